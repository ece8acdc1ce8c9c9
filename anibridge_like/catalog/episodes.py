"""Persisting fetched title details: one writer unit per batch of titles.

For each title that came back: title/kind/year corrected from the detail page, aliases added,
episodes upserted (the site's numbering), episodes the site no longer lists removed, language
rows added or removed. ``episode_languages.first_seen`` is the release's pubDate: an existing
(episode, language) row keeps its value, a language that newly appears gets *now*.
Ids the page links (``TitleDetail.external_ids``) are upserted into ``title_external_ids`` (only
the namespaces :data:`ID_NAMESPACES`; others are logged and skipped; a row is written only when
its value changed; an id the page no longer links is kept). A title whose content changed
(episodes added or removed, title/kind/year or an explicit id changed) becomes due for the
canonical stage again. Failed titles get their failure counted and a next attempt.

All statements are ``executemany`` over rows sorted by key; id lists travel as one JSON
parameter (``json_each``), so a batch is a handful of statements whatever its size.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite
import structlog

from anibridge_like.catalog.state import iso
from anibridge_like.plugins.errors import PluginError
from anibridge_like.plugins.provider import TitleDetail

log = structlog.get_logger(__name__)

ID_NAMESPACES = frozenset({"tvdb", "tmdb", "imdb", "anilist", "mal"})
"""The namespaces ``title_external_ids`` stores (what the canonical stage compares)."""
_KINDS = frozenset({"series", "movie"})
_EPISODE_KINDS = frozenset({"episode", "special", "film"})
BUILD_SLICE = 4
"""Titles whose rows are built per step of the event loop: a batch's rows (20 titles of a dozen
episodes) took up to 5 ms in one step, a request waiting behind it."""


@dataclass(slots=True)
class DetailOutcome:
    """One title's detail fetch: either ``detail`` or ``error`` is set."""

    title_id: int
    slug: str
    failures: int
    """Consecutive failures before this attempt."""
    detail: TitleDetail | None = None
    error: PluginError | None = None
    retry_at: datetime | None = None
    """Next attempt of a failed title (set by the stage from the retry policy)."""


@dataclass(slots=True)
class BatchSummary:
    ok: int = 0
    failed: int = 0
    episodes: int = 0
    languages_added: int = 0
    canonical_due: int = 0


def _ids_param(ids: Sequence[int]) -> str:
    return json.dumps(sorted(ids))


async def persist_details(
    conn: aiosqlite.Connection,
    outcomes: Sequence[DetailOutcome],
    *,
    moment: datetime,
    refresh_hours: float,
) -> BatchSummary:
    """Writer unit body: persist a batch of outcomes (see the module docstring)."""
    summary = BatchSummary()
    now = iso(moment)
    assert now is not None
    good = [o for o in outcomes if o.detail is not None]
    bad = [o for o in outcomes if o.detail is None]
    changed: set[int] = set()
    if good:
        changed = await _persist_good(conn, good, now, summary)
        await conn.executemany(
            "UPDATE title_state SET detail_status = 'ok', detail_ok_at = ?, detail_next_at = ?,"
            " detail_failures = 0, detail_error = NULL,"
            " canonical_status = iif(?, 'pending', canonical_status),"
            " canonical_next_at = iif(?, NULL, canonical_next_at)"
            " WHERE title_id = ?",
            sorted(
                (
                    now,
                    iso(refresh_time(moment, refresh_hours, o.title_id)),
                    o.title_id in changed,
                    o.title_id in changed,
                    o.title_id,
                )
                for o in good
            ),
        )
        summary.ok = len(good)
        summary.canonical_due = len(changed)
    if bad:
        rows = []
        for o in sorted(bad, key=lambda o: o.title_id):
            assert o.error is not None
            message = f"{o.error.code.value}: {o.error.message}"[:500]
            rows.append((o.failures + 1, iso(o.retry_at), message, o.title_id))
        await conn.executemany(
            "UPDATE title_state SET detail_status = 'failed', detail_failures = ?,"
            " detail_next_at = ?, detail_error = ? WHERE title_id = ?",
            rows,
        )
        summary.failed = len(bad)
    return summary


async def _persist_good(
    conn: aiosqlite.Connection, good: Sequence[DetailOutcome], now: str, summary: BatchSummary
) -> set[int]:
    ids = _ids_param([o.title_id for o in good])
    changed: set[int] = set()
    current = {
        int(r[0]): (r[1], r[2], r[3])
        for r in await conn.execute_fetchall(
            "SELECT id, title, kind, year FROM titles WHERE id IN (SELECT value FROM json_each(?))",
            (ids,),
        )
    }
    title_rows: list[tuple[Any, ...]] = []
    alias_rows: list[tuple[int, str]] = []
    wanted: dict[tuple[int, int, int], tuple[Any, ...]] = {}
    languages: dict[tuple[int, int, int], frozenset[str]] = {}
    for i, o in enumerate(good):
        if i and i % BUILD_SLICE == 0:
            await asyncio.sleep(0)  # let requests in between slices (issue 12, item 7)
        detail = o.detail
        assert detail is not None
        if o.title_id not in current:
            continue  # deleted meanwhile
        title, kind, year = current[o.title_id]
        new_kind = detail.kind if detail.kind in _KINDS else kind
        new_title = detail.title or title
        new_year = detail.year if detail.year is not None else year
        if (new_title, new_kind, new_year) != (title, kind, year):
            title_rows.append((new_title, new_kind, new_year, o.title_id))
            changed.add(o.title_id)
        alias_rows.extend((o.title_id, a) for a in detail.aliases if a and a != new_title)
        for ep in detail.episodes:
            key = (o.title_id, int(ep.season), int(ep.number))
            kind_ep = ep.kind if ep.kind in _EPISODE_KINDS else "episode"
            names = json.dumps(dict(sorted(ep.titles.items())), ensure_ascii=False)
            wanted[key] = (*key, ep.absolute, kind_ep, names, now)
            languages[key] = frozenset(str(lang) for lang in ep.languages)
    if title_rows:
        await conn.executemany(
            "UPDATE titles SET title = ?, kind = ?, year = ? WHERE id = ?", sorted(title_rows)
        )
    if alias_rows:
        await conn.executemany(
            "INSERT OR IGNORE INTO title_aliases (title_id, alias) VALUES (?, ?)",
            sorted(set(alias_rows)),
        )
    changed |= await _persist_external_ids(conn, [o for o in good if o.title_id in current], ids)
    existing = {
        (int(r[1]), int(r[2]), int(r[3])): int(r[0])
        for r in await conn.execute_fetchall(
            "SELECT id, title_id, season, number FROM episodes"
            " WHERE title_id IN (SELECT value FROM json_each(?))",
            (ids,),
        )
    }
    added = [k for k in wanted if k not in existing]
    removed = [eid for k, eid in existing.items() if k not in wanted]
    changed.update(k[0] for k in added)
    if removed:
        rows = await conn.execute_fetchall(
            "SELECT DISTINCT title_id FROM episodes WHERE id IN (SELECT value FROM json_each(?))",
            (_ids_param(removed),),
        )
        changed.update(int(r[0]) for r in rows)
        await conn.executemany("DELETE FROM episodes WHERE id = ?", [(e,) for e in sorted(removed)])
    await conn.executemany(
        "INSERT INTO episodes (title_id, season, number, absolute, kind, names, first_seen)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(title_id, season, number) DO UPDATE SET"
        " absolute = excluded.absolute, kind = excluded.kind, names = excluded.names"
        " WHERE episodes.absolute IS NOT excluded.absolute OR episodes.kind IS NOT excluded.kind"
        " OR episodes.names IS NOT excluded.names",
        [wanted[k] for k in sorted(wanted)],
    )
    summary.episodes += len(wanted)
    if added:
        existing = {
            (int(r[1]), int(r[2]), int(r[3])): int(r[0])
            for r in await conn.execute_fetchall(
                "SELECT id, title_id, season, number FROM episodes"
                " WHERE title_id IN (SELECT value FROM json_each(?))",
                (ids,),
            )
        }
    have: set[tuple[int, str]] = {
        (int(r[0]), str(r[1]))
        for r in await conn.execute_fetchall(
            "SELECT l.episode_id, l.language FROM episode_languages l"
            " JOIN episodes e ON e.id = l.episode_id"
            " WHERE e.title_id IN (SELECT value FROM json_each(?))",
            (ids,),
        )
    }
    want: set[tuple[int, str]] = {
        (existing[k], lang) for k, langs in languages.items() if k in existing for lang in langs
    }
    new_langs = sorted(want - have)
    old_langs = sorted(have - want)
    if new_langs:
        await conn.executemany(
            "INSERT OR IGNORE INTO episode_languages (episode_id, language, first_seen)"
            " VALUES (?, ?, ?)",
            [(e, lang, now) for e, lang in new_langs],
        )
        summary.languages_added += len(new_langs)
    if old_langs:
        await conn.executemany(
            "DELETE FROM episode_languages WHERE episode_id = ? AND language = ?", old_langs
        )
    return changed


async def _persist_external_ids(
    conn: aiosqlite.Connection, good: Sequence[DetailOutcome], ids: str
) -> set[int]:
    """Upsert the linked ids whose value changed; returns the titles that got a changed id."""
    have = {
        (int(r[0]), str(r[1])): str(r[2])
        for r in await conn.execute_fetchall(
            "SELECT title_id, namespace, value FROM title_external_ids"
            " WHERE title_id IN (SELECT value FROM json_each(?))",
            (ids,),
        )
    }
    rows: dict[tuple[int, str], str] = {}
    for o in good:
        assert o.detail is not None
        for namespace, raw in o.detail.external_ids.items():
            value = str(raw).strip()
            if namespace not in ID_NAMESPACES or not value:
                log.debug(
                    "detail.external_id_ignored",
                    title_id=o.title_id,
                    slug=o.slug,
                    namespace=namespace,
                    value=value,
                )
                continue
            if have.get((o.title_id, namespace)) != value:
                rows[(o.title_id, namespace)] = value
    if rows:
        await conn.executemany(
            "INSERT INTO title_external_ids (title_id, namespace, value) VALUES (?, ?, ?)"
            " ON CONFLICT(title_id, namespace) DO UPDATE SET value = excluded.value",
            [(tid, ns, rows[(tid, ns)]) for tid, ns in sorted(rows)],
        )
    return {tid for tid, _ns in rows}


def refresh_time(now: datetime, hours: float, title_id: int) -> datetime:
    """When a title's details are due again: ``hours`` later, spread by ±10 % per title so a
    bootstrap's titles do not all fall due in the same minute."""
    spread = ((title_id * 2654435761) % 2001 - 1000) / 10000.0  # deterministic, in [-0.1, 0.1]
    return now + timedelta(hours=hours * (1.0 + spread))
