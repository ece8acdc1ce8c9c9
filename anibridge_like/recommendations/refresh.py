"""One recommendation refresh of one (library, instance): seeds → plugin → candidates resolved to
the library's canonical works → stored (replacing the instance's previous list).

Seeds are the library's list entries that are not dropped or removed (wanted, watching,
completed …, each with the ids its linked catalog titles add, so a Sonarr entry gains its AniList
id) and the works it owns (:func:`owned_works`). A candidate is kept only when its ids
resolve to a trusted-mapped, live catalog title of the library; its **work id** is the canonical
key of those titles (TVDB, else TMDB, IMDb, AniList, MAL: ``tvdb:81797``, the media-server
engine's keys),
so the same work suggested by two instances under different external ids merges. A failed
refresh keeps the previous list (served as cached) and records the error.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite
import structlog

from anibridge_like.catalog.state import iso, utcnow
from anibridge_like.context import AppContext
from anibridge_like.plugins.errors import PluginError
from anibridge_like.plugins.recommendation import (
    Candidate,
    RecommendationContext,
    RecommendationPlugin,
    Seed,
    SeedOrigin,
)
from anibridge_like.plugins.sync import ExternalIds
from anibridge_like.storage.database import run_sync
from anibridge_like.sync.runner import find_instance, in_scope
from anibridge_like.sync.scope import LibraryRow, library_by_slug, resolve_refs

log = structlog.get_logger(__name__)

_SEEDS = (
    "SELECT w.title, w.list_status, w.tvdb_id, w.tmdb_id, w.imdb_id, w.anilist_id, w.mal_id,"
    " (SELECT json_group_array(json_object('tvdb', sm.tvdb_id, 'tmdb', sm.tmdb_id,"
    "   'imdb', sm.imdb_id, 'anilist', sm.anilist_id, 'mal', sm.mal_id))"
    "  FROM wanted_links l JOIN series_mappings sm ON sm.title_id = l.title_id"
    "  WHERE l.wanted_id = w.id) AS linked"
    " FROM wanted_items w WHERE w.library_id = ? AND w.removed_at IS NULL"
    " AND w.list_status <> 'dropped' ORDER BY w.last_seen DESC, w.id"
)


def owned_works(conn: sqlite3.Connection, library_id: int) -> set[str]:
    """Canonical works of the library the user owns on a media server: the media-server engine's
    ``media_ownership`` (migration 0016), keyed by the same work ids (``tvdb:…``) — a work with
    at least one owned episode. This is the one place recommendations read ownership from."""
    rows = conn.execute(
        "SELECT DISTINCT work FROM media_ownership WHERE library_id = ? AND state = 'owned'",
        (library_id,),
    )
    return {str(r[0]) for r in rows}


_OWNED_IDS = (
    "SELECT sm.canonical_title, t.title, sm.tvdb_id, sm.tmdb_id, sm.imdb_id, sm.anilist_id,"
    " sm.mal_id FROM series_mappings sm JOIN titles t ON t.id = sm.title_id"
    " WHERE sm.status IN ('confirmed', 'high') AND sm.{column} = ? LIMIT 1"
)


def _ids(row: Any) -> ExternalIds:
    return ExternalIds(row[0], row[1], row[2], row[3], row[4])


def load_seeds(conn: sqlite3.Connection, library: LibraryRow) -> list[Seed]:
    seeds: list[Seed] = []
    seen: set[tuple[Any, ...]] = set()
    for r in conn.execute(_SEEDS, (library.id,)):
        ids = _ids(tuple(r[2:7]))
        for linked in json.loads(r[7] or "[]"):
            ids = ids.merged(
                ExternalIds(
                    linked.get("tvdb"),
                    linked.get("tmdb"),
                    linked.get("imdb"),
                    linked.get("anilist"),
                    linked.get("mal"),
                )
            )
        key = (ids.tvdb, ids.tmdb, ids.imdb, ids.anilist, ids.mal)
        if key in seen or not ids.any():
            continue
        seen.add(key)
        origin: SeedOrigin = "completed" if r[1] == "completed" else "wanted"
        seeds.append(Seed(ids, str(r[0]), origin))
    for work in sorted(owned_works(conn, library.id)):
        namespace, _, value = work.partition(":")
        if namespace not in _WORK_ORDER:
            continue
        row = conn.execute(
            _OWNED_IDS.format(column=f"{namespace}_id"),
            (value if namespace == "imdb" else int(value),),
        ).fetchone()
        if row is not None:
            seeds.append(Seed(_ids(tuple(row[2:7])), str(row[0] or row[1]), "owned"))
    return seeds


_WORK_ORDER = ("tvdb", "tmdb", "imdb", "anilist", "mal")
"""Namespaces of a work id, first present wins — the media-server engine's order
(``tvdb`` > ``tmdb`` > ``imdb``), AniList and MAL after them."""


def work_id(ids: dict[str, Any]) -> str | None:
    """The canonical key of a mapped title (``tvdb:81797``, ``tmdb:603``, ``imdb:tt0133093`` …)."""
    for namespace in _WORK_ORDER:
        if ids.get(namespace) is not None:
            return f"{namespace}:{ids[namespace]}"
    return None


@dataclass(frozen=True, slots=True)
class Resolved:
    candidate: Candidate
    work_id: str
    title_ids: list[int]


def resolve(
    conn: sqlite3.Connection, library: LibraryRow, candidates: list[Candidate]
) -> list[Resolved]:
    """Candidates that resolve to the library's catalog, each with its work id."""
    refs = [{"key": i, **c.ids.as_dict()} for i, c in enumerate(candidates)]
    found = resolve_refs(conn, library, refs)
    every = sorted({t for ids in found.values() for t in ids})
    keys: dict[int, str] = {}
    for r in conn.execute(
        "SELECT t.id, t.kind, sm.tvdb_id, sm.tmdb_id, sm.imdb_id, sm.anilist_id, sm.mal_id"
        " FROM titles t JOIN series_mappings sm ON sm.title_id = t.id"
        " WHERE t.id IN (SELECT value FROM json_each(?))",
        (json.dumps(every),),
    ):
        ids = dict(zip(("tvdb", "tmdb", "imdb", "anilist", "mal"), r[2:7], strict=True))
        key = work_id(ids)
        if key is not None:
            keys[int(r[0])] = key
    out: list[Resolved] = []
    for index, title_ids in sorted(found.items()):
        works = sorted({keys[t] for t in title_ids if t in keys}, key=_work_rank)
        if works:
            out.append(Resolved(candidates[index], works[0], title_ids))
    return out


def _work_rank(key: str) -> tuple[int, str]:
    namespace = key.partition(":")[0]
    return (_WORK_ORDER.index(namespace), key)


@dataclass(frozen=True, slots=True)
class RefreshRun:
    library: str
    instance: str
    status: str
    """ok | failed | skipped | dry_run."""
    candidates: int = 0
    kept: int = 0
    error: str | None = None


def _store_unit(
    library_id: int,
    instance_id: int,
    resolved: list[Resolved] | None,
    candidates: int,
    now: str,
    error: str | None,
) -> Any:
    async def unit(conn: aiosqlite.Connection) -> None:
        if resolved is not None:
            await conn.execute(
                "DELETE FROM recommendations WHERE library_id = ? AND instance_id = ?",
                (library_id, instance_id),
            )
            best: dict[str, Resolved] = {}
            for r in resolved:  # one row per work: the instance's best candidate for it
                if r.work_id not in best or r.candidate.score > best[r.work_id].candidate.score:
                    best[r.work_id] = r
            await conn.executemany(
                "INSERT INTO recommendations(library_id, instance_id, work_id, external_id,"
                " title, score, reason, based_on, title_ids, generated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        library_id, instance_id, key, r.candidate.external_id,
                        r.candidate.title[:500], float(r.candidate.score),
                        r.candidate.reason[:500], json.dumps(list(r.candidate.based_on)),
                        json.dumps(r.title_ids), now,
                    )
                    for key, r in sorted(best.items())
                ],
            )  # fmt: skip
        await conn.execute(
            "INSERT INTO recommendation_runs(library_id, instance_id, status, generated_at,"
            " last_run_at, candidates, kept, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(library_id, instance_id) DO UPDATE SET status = excluded.status,"
            " generated_at = COALESCE(excluded.generated_at, recommendation_runs.generated_at),"
            " last_run_at = excluded.last_run_at, candidates = excluded.candidates,"
            " kept = excluded.kept, last_error = excluded.last_error",
            (
                library_id, instance_id, "failed" if error else "ok",
                None if error else now, now, candidates,
                len({r.work_id for r in resolved or []}), error,
            ),
        )  # fmt: skip

    return unit


async def refresh_instance(
    ctx: AppContext,
    instance_name: str,
    library_slug: str,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    job: str | None = None,
) -> RefreshRun:
    """Refresh one instance's recommendations for one library; never raises for the plugin.
    With ``dry_run`` the plugin is asked and its candidates resolved, nothing is written."""
    stamp = iso(now or utcnow()) or ""
    library = await library_by_slug(ctx.readers, library_slug)
    found = find_instance(ctx, instance_name, "recommendation")
    if library is None or found is None or not in_scope(found, library) or ctx.plugins is None:
        return RefreshRun(library_slug, instance_name, "skipped", error="not in scope")
    instance = found.row
    bound = log.bind(library=library.slug, plugin=instance.name)
    async with ctx.readers.connection() as conn:
        seeds = await run_sync(conn, load_seeds, library)
    candidates: list[Candidate] = []
    rec_ctx = RecommendationContext(library.slug, library.name, library.kind, instance.name)

    async def call(plugin: RecommendationPlugin) -> list[Candidate]:
        return list(await plugin.recommend(rec_ctx, seeds[: plugin.capabilities.max_seeds]))

    try:  # the manager's boundary turns any bug into upstream
        candidates = await ctx.plugins.call(found, call, library=library.library, job=job)
    except PluginError as error:
        message = f"{error.code.value}: {error.message}"
    else:
        async with ctx.readers.connection() as conn:
            resolved = await run_sync(conn, resolve, library, candidates)
        if dry_run:
            kept = len({r.work_id for r in resolved})
            return RefreshRun(library.slug, instance.name, "dry_run", len(candidates), kept)
        unit = _store_unit(library.id, instance.id, resolved, len(candidates), stamp, None)
        await ctx.writer.run(unit, label="recommendations.store")
        kept = len({r.work_id for r in resolved})
        bound.info("recommendations.refreshed", seeds=len(seeds), candidates=len(candidates),
                   kept=kept)  # fmt: skip
        return RefreshRun(library.slug, instance.name, "ok", len(candidates), kept)
    if dry_run:
        return RefreshRun(library.slug, instance.name, "failed", error=message)
    unit = _store_unit(library.id, instance.id, None, 0, stamp, message[:500])
    await ctx.writer.run(unit, label="recommendations.failed")
    bound.warning("recommendations.failed", error=message)
    return RefreshRun(library.slug, instance.name, "failed", error=message)
