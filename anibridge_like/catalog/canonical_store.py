"""The canonical stage's database side: what it reads per batch of titles, the metadata cache
with its TTL, and the one writer unit that persists a batch of outcomes.

Reads use one reader connection per batch (a handful of queries whatever the batch size; id
lists travel as one JSON parameter). Writes are one unit per batch: cache rows, pins, series
mappings (never touching ``pinned`` rows), episode mappings (replaced per title) and
``title_state.canonical_*`` — all ``executemany`` over rows sorted by key, each guarded by the
row it refers to still existing (the detail stage may have removed an episode meanwhile).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import aiosqlite

from anibridge_like.catalog.matching import EpisodeMapping, SiteEpisode
from anibridge_like.catalog.overrides import MappingOverride, override_from_row, pin_rows
from anibridge_like.catalog.state import iso
from anibridge_like.libraries.scope import scope_sql
from anibridge_like.storage.database import ReaderPool
from anibridge_like.works.store import fill_works

OutcomeKind = Literal["mapped", "unmatched", "conflict", "failed", "pinned", "unconfigured"]


@dataclass(frozen=True, slots=True)
class TitleRow:
    """One provider title as the canonical stage needs it."""

    id: int
    site: str
    slug: str
    title: str
    kind: Literal["series", "movie"]
    year: int | None
    aliases: tuple[str, ...]
    anime: bool
    episodes: tuple[SiteEpisode, ...]
    explicit_ids: dict[str, str]
    pinned: bool
    override: MappingOverride | None
    failures: int


@dataclass(slots=True)
class TitleOutcome:
    """What enrichment decided for one title (rows ready for :func:`persist_batch`)."""

    title: TitleRow
    kind: OutcomeKind
    series: tuple[Any, ...] | None = None
    """``series_mappings`` values (unpinned titles)."""
    pinned_fill: tuple[Any, ...] | None = None
    """Canonical title/year and ids a pinned row gains where it has none."""
    episodes: list[EpisodeMapping] | None = None
    """Replacement episode mappings (``None`` = keep the existing ones)."""
    error: str | None = None
    retry_at: datetime | None = None
    work: tuple[str, str, dict[str, Any]] | None = None
    """``(key, kind, values)`` of the canonical work the answers describe
    (:func:`anibridge_like.works.store.fill_works`)."""


_JSON_IDS = "(SELECT value FROM json_each(?))"


async def anime_sites(readers: ReaderPool) -> frozenset[str]:
    """Sites whose provider instances serve an anime library (their titles are anime)."""
    rows = await readers.fetchall(
        "SELECT DISTINCT p.site FROM plugin_instances p JOIN libraries l ON l.kind = 'anime'"
        f" WHERE p.kind = 'provider' AND p.site IS NOT NULL AND {scope_sql('p', 'l.id')}"
    )
    return frozenset(r[0] for r in rows)


async def load_titles(
    readers: ReaderPool, ids: Sequence[int], anime: frozenset[str]
) -> list[TitleRow]:
    """The titles ``ids`` with aliases, episodes, explicit ids, pins and overrides."""
    param = (json.dumps(sorted(set(ids))),)
    async with readers.connection() as conn:
        titles = await conn.execute_fetchall(
            "SELECT t.id, t.site, t.slug, t.title, t.kind, t.year,"
            " COALESCE(ts.canonical_failures, 0) AS failures, COALESCE(sm.pinned, 0) AS pinned"
            " FROM titles t LEFT JOIN title_state ts ON ts.title_id = t.id"
            " LEFT JOIN series_mappings sm ON sm.title_id = t.id"
            f" WHERE t.id IN {_JSON_IDS} ORDER BY t.id",
            param,
        )
        aliases = await conn.execute_fetchall(
            f"SELECT title_id, alias FROM title_aliases WHERE title_id IN {_JSON_IDS}"
            " ORDER BY title_id, alias",
            param,
        )
        episodes = await conn.execute_fetchall(
            "SELECT id, title_id, season, number, absolute, kind, names FROM episodes"
            f" WHERE title_id IN {_JSON_IDS} ORDER BY title_id, season, number",
            param,
        )
        external = await conn.execute_fetchall(
            f"SELECT title_id, namespace, value FROM title_external_ids WHERE title_id IN"
            f" {_JSON_IDS}",
            param,
        )
        overrides = await conn.execute_fetchall(
            "SELECT t.id AS title_id, o.* FROM mapping_overrides o"
            f" JOIN titles t ON t.site = o.site AND t.slug = o.slug WHERE t.id IN {_JSON_IDS}",
            param,
        )
    alias_map: dict[int, list[str]] = {}
    for r in aliases:
        alias_map.setdefault(r[0], []).append(r[1])
    episode_map: dict[int, list[SiteEpisode]] = {}
    for r in episodes:
        names = json.loads(r["names"] or "{}")
        episode_map.setdefault(r["title_id"], []).append(
            SiteEpisode(
                r["id"],
                r["season"],
                r["number"],
                r["absolute"],
                r["kind"],
                names if isinstance(names, dict) else {},
            )
        )
    ext_map: dict[int, dict[str, str]] = {}
    for r in external:
        ext_map.setdefault(r[0], {})[r[1]] = str(r[2])
    override_map = {r["title_id"]: override_from_row(r) for r in overrides}
    return [
        TitleRow(
            id=r["id"],
            site=r["site"],
            slug=r["slug"],
            title=r["title"],
            kind=r["kind"],
            year=r["year"],
            aliases=tuple(alias_map.get(r["id"], ())),
            anime=r["site"] in anime,
            episodes=tuple(episode_map.get(r["id"], ())),
            explicit_ids=ext_map.get(r["id"], {}),
            pinned=bool(r["pinned"]),
            override=override_map.get(r["id"]),
            failures=r["failures"],
        )
        for r in titles
    ]


@dataclass(slots=True)
class MetadataCache:
    """Metadata answers by (instance, key): this run's memory in front of the database table.

    ``get`` returns the JSON value or ``None``; new answers wait in :attr:`pending` until the
    next batch unit writes them (:meth:`take_pending`).
    """

    readers: ReaderPool
    ttl: timedelta
    miss_ttl: timedelta
    memory: dict[tuple[str, str], Any] = field(default_factory=dict)
    pending: dict[tuple[str, str], tuple[str, bool]] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0

    async def get(self, instance: str, key: str, now: datetime) -> Any:
        if (instance, key) in self.memory:
            self.hits += 1
            return self.memory[(instance, key)]
        row = await self.readers.fetchone(
            "SELECT value FROM metadata_cache WHERE instance = ? AND key = ? AND expires_at > ?",
            (instance, key, iso(now)),
        )
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        value = json.loads(row[0])
        self.memory[(instance, key)] = value
        return value

    def put(self, instance: str, key: str, value: Any, *, miss: bool = False) -> None:
        self.memory[(instance, key)] = value
        self.pending[(instance, key)] = (json.dumps(value, separators=(",", ":")), miss)

    def take_pending(self, now: datetime) -> list[tuple[str, str, str, str, str]]:
        rows = []
        for (instance, key), (text, miss) in sorted(self.pending.items()):
            expires = now + (self.miss_ttl if miss else self.ttl)
            rows.append((instance, key, text, str(iso(now)), str(iso(expires))))
        self.pending.clear()
        return rows


_SERIES_UPSERT = (
    "INSERT INTO series_mappings(title_id, status, score, source, reason, tvdb_id, tmdb_id,"
    " imdb_id, anilist_id, mal_id, canonical_title, canonical_year, pinned, updated_at)"
    " SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ? WHERE EXISTS"
    " (SELECT 1 FROM titles WHERE id = ?)"
    " ON CONFLICT(title_id) DO UPDATE SET status = excluded.status, score = excluded.score,"
    " source = excluded.source, reason = excluded.reason, tvdb_id = excluded.tvdb_id,"
    " tmdb_id = excluded.tmdb_id, imdb_id = excluded.imdb_id, anilist_id = excluded.anilist_id,"
    " mal_id = excluded.mal_id, canonical_title = excluded.canonical_title,"
    " canonical_year = excluded.canonical_year, updated_at = excluded.updated_at"
    " WHERE series_mappings.pinned = 0"
)
_PINNED_FILL = (
    "UPDATE series_mappings SET canonical_title = COALESCE(canonical_title, ?),"
    " canonical_year = COALESCE(canonical_year, ?), tvdb_id = COALESCE(tvdb_id, ?),"
    " tmdb_id = COALESCE(tmdb_id, ?), imdb_id = COALESCE(imdb_id, ?),"
    " anilist_id = COALESCE(anilist_id, ?), mal_id = COALESCE(mal_id, ?)"
    " WHERE title_id = ? AND pinned = 1"
)
_EPISODE_INSERT = (
    "INSERT INTO episode_mappings(episode_id, title_id, tvdb_season, tvdb_episode, absolute,"
    " status, method, reason) SELECT ?, ?, ?, ?, ?, ?, ?, ?"
    " WHERE EXISTS (SELECT 1 FROM episodes WHERE id = ? AND title_id = ?)"
)
_STATE_UPSERT = (
    "INSERT INTO title_state(title_id, canonical_status, canonical_ok_at, canonical_next_at,"
    " canonical_failures, canonical_error) SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS"
    " (SELECT 1 FROM titles WHERE id = ?)"
    " ON CONFLICT(title_id) DO UPDATE SET canonical_status = excluded.canonical_status,"
    " canonical_ok_at = COALESCE(excluded.canonical_ok_at, title_state.canonical_ok_at),"
    " canonical_next_at = excluded.canonical_next_at,"
    " canonical_failures = excluded.canonical_failures,"
    " canonical_error = excluded.canonical_error"
)


async def persist_batch(
    conn: aiosqlite.Connection,
    outcomes: Sequence[TitleOutcome],
    cache_rows: Sequence[tuple[str, str, str, str, str]],
    now: datetime,
) -> None:
    """Writer unit body: one batch of outcomes (see the module docstring)."""
    stamp = str(iso(now))
    if cache_rows:
        await conn.executemany(
            "INSERT OR REPLACE INTO metadata_cache(instance, key, value, fetched_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            cache_rows,
        )
    ordered = sorted(outcomes, key=lambda o: o.title.id)
    to_pin = [o.title.override for o in ordered if o.title.override and not o.title.pinned]
    if to_pin:
        sql, rows = pin_rows([p for p in to_pin if p is not None], stamp)
        await conn.executemany(sql, rows)
    series = [(o.title.id, *o.series, stamp, o.title.id) for o in ordered if o.series]
    if series:
        await conn.executemany(_SERIES_UPSERT, series)
    works = [o.work for o in ordered if o.work is not None]
    if works:
        await fill_works(conn, works, stamp)
    fills = [(*o.pinned_fill, o.title.id) for o in ordered if o.pinned_fill is not None]
    if fills:
        await conn.executemany(_PINNED_FILL, fills)
    replaced = [o for o in ordered if o.episodes is not None]
    if replaced:
        await conn.execute(
            f"DELETE FROM episode_mappings WHERE title_id IN {_JSON_IDS}",
            (json.dumps([o.title.id for o in replaced]),),
        )
        episode_rows = sorted(
            (
                m.key,
                o.title.id,
                m.tvdb_season,
                m.tvdb_episode,
                m.absolute,
                m.status,
                m.method,
                m.reason[:300],
                m.key,
                o.title.id,
            )
            for o in replaced
            for m in o.episodes or ()
        )
        if episode_rows:
            await conn.executemany(_EPISODE_INSERT, episode_rows)
    states: list[tuple[Any, ...]] = []
    for o in ordered:
        if o.kind == "failed":
            states.append(
                (
                    o.title.id,
                    "failed",
                    None,
                    iso(o.retry_at),
                    o.title.failures + 1,
                    (o.error or "")[:500],
                    o.title.id,
                )
            )
        elif o.kind == "unconfigured":
            states.append(
                (
                    o.title.id,
                    "pending",
                    None,
                    None,
                    o.title.failures,
                    (o.error or "")[:500],
                    o.title.id,
                )
            )
        else:
            states.append((o.title.id, "ok", stamp, None, 0, None, o.title.id))
    await conn.executemany(_STATE_UPSERT, states)


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def series_values(
    status: str,
    score: float | None,
    source: str,
    reason: str,
    ids: dict[str, str],
    title: str | None,
    year: int | None,
) -> tuple[Any, ...]:
    imdb = ids.get("imdb")
    return (
        status,
        None if score is None else round(score, 2),
        source,
        reason[:500],
        _int(ids.get("tvdb")),
        _int(ids.get("tmdb")),
        imdb,
        _int(ids.get("anilist")),
        _int(ids.get("mal")),
        title,
        year,
    )


def pinned_fill_values(title: str, year: int | None, ids: Any) -> tuple[Any, ...]:
    return (
        title,
        year,
        _int(ids.get("tvdb")),
        _int(ids.get("tmdb")),
        ids.get("imdb"),
        _int(ids.get("anilist")),
        _int(ids.get("mal")),
    )
