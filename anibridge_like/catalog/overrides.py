"""Manual mapping overrides: pin a provider title to canonical ids (and, optionally, how its
episodes are numbered). A pinned mapping is never overwritten by enrichment.

Overrides come from the seed (``mapping_overrides:`` — :func:`apply_overrides`, called by the
seed reconcile inside its writer unit) or from ``PUT /api/v1/titles/{site}/{slug}/mapping``
(:func:`put_override`). They live in ``mapping_overrides`` keyed by (site, slug), so one can be
declared before the title is indexed; an ``api`` row wins over the seed until it is deleted.

Pinning a title that is already indexed happens in the same transaction: its ``series_mappings``
row becomes ``confirmed`` / ``source='override'`` / ``pinned=1`` with the override's ids, its
episode mappings are dropped and its canonical state is set due, so the next canonical run maps
the episodes against the pinned series (the canonical stage pins titles indexed later itself).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import aiosqlite
import structlog
from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator, model_validator

from anibridge_like.catalog.state import now_iso

log = structlog.get_logger(__name__)

Origin = Literal["seed", "api"]

SQLITE_MAX_INT = 2**63 - 1
Id = Annotated[int, Strict(), Field(gt=0, le=SQLITE_MAX_INT)]
"""A positive id that fits SQLite's integer (``true`` is not an id, nor is ``"12"``)."""
Season = Annotated[int, Field(ge=0, le=10_000)]


class MappingOverride(BaseModel):
    """A pinned canonical mapping for one provider title (``site`` + ``slug``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site: str = Field(min_length=1, description="Catalog site key of the title (e.g. aniworld).")
    slug: str = Field(min_length=1, description="The title's slug on that site.")
    tvdb_id: Id | None = Field(None, description="TVDB series id (series and anime).")
    tmdb_id: Id | None = Field(None, description="TMDB id (movies).")
    imdb_id: str | None = Field(None, max_length=16, description="IMDb id, with or without `tt`.")
    anilist_id: Id | None = Field(None, description="AniList media id.")
    mal_id: Id | None = Field(None, description="MyAnimeList id.")
    canonical_title: str | None = Field(
        None, max_length=500, description="Canonical (TVDB/TMDB) name."
    )
    canonical_year: Annotated[int, Strict()] | None = Field(
        None, ge=1870, le=2100, description="Canonical year."
    )
    numbering: Literal["auto", "direct", "absolute"] = Field(
        "auto",
        description="How site episodes map: `direct` season/episode, `absolute` number, or "
        "`auto` (decided per title as for unpinned titles).",
    )
    season_map: dict[Season, Season] = Field(
        default_factory=dict,
        description="Site season → TVDB season for `direct` numbering (e.g. {1: 3}).",
    )
    note: str | None = Field(
        None, max_length=2000, description="Why the override exists (shown in the API)."
    )

    @field_validator("imdb_id")
    @classmethod
    def _imdb(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip().lower()
        text = text if text.startswith("tt") else f"tt{text}"
        if not text[2:].isascii() or not text[2:].isdigit() or not 9 <= len(text) <= 12:
            raise ValueError(f"not an IMDb id: {value!r}")
        return text

    @model_validator(mode="after")
    def _some_id(self) -> MappingOverride:
        if not any((self.tvdb_id, self.tmdb_id, self.imdb_id, self.anilist_id, self.mal_id)):
            raise ValueError("an override needs at least one id (tvdb_id, tmdb_id, imdb_id, …)")
        return self


_COLUMNS = (
    "tvdb_id",
    "tmdb_id",
    "imdb_id",
    "anilist_id",
    "mal_id",
    "canonical_title",
    "canonical_year",
    "numbering",
    "season_map",
    "note",
)


def _row(override: MappingOverride, origin: Origin, now: str) -> tuple[Any, ...]:
    return (
        override.site,
        override.slug,
        origin,
        override.tvdb_id,
        override.tmdb_id,
        override.imdb_id,
        override.anilist_id,
        override.mal_id,
        override.canonical_title,
        override.canonical_year,
        override.numbering,
        json.dumps({str(k): v for k, v in sorted(override.season_map.items())}),
        override.note,
        now,
    )


def override_from_row(row: Any) -> MappingOverride:
    """A ``mapping_overrides`` row (sqlite3.Row or mapping) as the model."""
    season_map = {int(k): int(v) for k, v in json.loads(row["season_map"] or "{}").items()}
    return MappingOverride(
        site=row["site"],
        slug=row["slug"],
        tvdb_id=row["tvdb_id"],
        tmdb_id=row["tmdb_id"],
        imdb_id=row["imdb_id"],
        anilist_id=row["anilist_id"],
        mal_id=row["mal_id"],
        canonical_title=row["canonical_title"],
        canonical_year=row["canonical_year"],
        numbering=row["numbering"],
        season_map=season_map,
        note=row["note"],
    )


_UPSERT = (
    "INSERT INTO mapping_overrides(site, slug, origin, " + ", ".join(_COLUMNS) + ", updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(site, slug) DO UPDATE SET origin = excluded.origin, "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS)
    + ", updated_at = excluded.updated_at"
)

_PIN = (
    "INSERT INTO series_mappings(title_id, status, score, source, reason, tvdb_id, tmdb_id,"
    " imdb_id, anilist_id, mal_id, canonical_title, canonical_year, pinned, updated_at)"
    " SELECT t.id, 'confirmed', NULL, 'override', ?, ?, ?, ?, ?, ?, ?, ?, 1, ?"
    " FROM titles t WHERE t.site = ? AND t.slug = ?"
    " ON CONFLICT(title_id) DO UPDATE SET status = 'confirmed', score = NULL,"
    " source = 'override', reason = excluded.reason, tvdb_id = excluded.tvdb_id,"
    " tmdb_id = excluded.tmdb_id, imdb_id = excluded.imdb_id,"
    " anilist_id = excluded.anilist_id, mal_id = excluded.mal_id,"
    " canonical_title = COALESCE(excluded.canonical_title, series_mappings.canonical_title),"
    " canonical_year = COALESCE(excluded.canonical_year, series_mappings.canonical_year),"
    " pinned = 1, updated_at = excluded.updated_at"
)

_RESET_TITLE = (
    "DELETE FROM episode_mappings WHERE title_id ="
    " (SELECT id FROM titles WHERE site = ? AND slug = ?)",
    "UPDATE title_state SET canonical_status = 'pending', canonical_next_at = NULL,"
    " canonical_failures = 0, canonical_error = NULL"
    " WHERE title_id = (SELECT id FROM titles WHERE site = ? AND slug = ?)",
)


def _pin_params(override: MappingOverride, now: str) -> tuple[Any, ...]:
    reason = "pinned by override" + (f": {override.note}" if override.note else "")
    return (
        reason,
        override.tvdb_id,
        override.tmdb_id,
        override.imdb_id,
        override.anilist_id,
        override.mal_id,
        override.canonical_title,
        override.canonical_year,
        now,
        override.site,
        override.slug,
    )


def pin_rows(overrides: list[MappingOverride], now: str) -> tuple[str, list[tuple[Any, ...]]]:
    """``executemany`` arguments pinning the titles of ``overrides`` that are indexed."""
    return _PIN, [_pin_params(o, now) for o in overrides]


async def _pin(conn: aiosqlite.Connection, overrides: list[MappingOverride], now: str) -> None:
    keys = [(o.site, o.slug) for o in overrides]
    await conn.executemany(_PIN, [_pin_params(o, now) for o in overrides])
    for sql in _RESET_TITLE:
        await conn.executemany(sql, keys)


async def _unpin(conn: aiosqlite.Connection, keys: list[tuple[str, str]]) -> None:
    await conn.executemany(
        "UPDATE series_mappings SET pinned = 0, source = 'override-removed'"
        " WHERE pinned = 1 AND title_id = (SELECT id FROM titles WHERE site = ? AND slug = ?)",
        keys,
    )
    for sql in _RESET_TITLE:
        await conn.executemany(sql, keys)


async def apply_overrides(conn: aiosqlite.Connection, overrides: list[MappingOverride]) -> int:
    """Writer unit body: make the seed's overrides exactly ``overrides``; returns rows changed.

    Seed rows no longer listed are removed (and their titles unpinned); ``api`` rows are left
    alone (they win over the seed). Unchanged rows are not touched, so reconciling twice is a
    no-op.
    """
    now = now_iso()
    rows = await conn.execute_fetchall(
        "SELECT site, slug, origin, " + ", ".join(_COLUMNS) + " FROM mapping_overrides"
    )
    current = {(r["site"], r["slug"]): r for r in rows}
    wanted = {(o.site, o.slug): o for o in overrides}
    removed = sorted(k for k, r in current.items() if r["origin"] == "seed" and k not in wanted)
    changed: list[MappingOverride] = []
    for key in sorted(wanted):
        existing = current.get(key)
        if existing is not None and existing["origin"] == "api":
            continue
        if existing is not None and override_from_row(existing) == wanted[key]:
            continue
        changed.append(wanted[key])
    if removed:
        await conn.executemany(
            "DELETE FROM mapping_overrides WHERE site = ? AND slug = ? AND origin = 'seed'",
            removed,
        )
        await _unpin(conn, removed)
    if changed:
        await conn.executemany(_UPSERT, [_row(o, "seed", now) for o in changed])
        await _pin(conn, changed, now)
    if removed or changed:
        log.info("overrides.applied", origin="seed", changed=len(changed), removed=len(removed))
    return len(removed) + len(changed)


async def put_override(conn: aiosqlite.Connection, override: MappingOverride) -> None:
    """Writer unit body of ``PUT …/mapping``: store the override as ``api`` and pin the title."""
    now = now_iso()
    await conn.execute(_UPSERT, _row(override, "api", now))
    await _pin(conn, [override], now)
    log.info("overrides.applied", origin="api", site=override.site, slug=override.slug)


async def delete_override(conn: aiosqlite.Connection, site: str, slug: str) -> bool:
    """Writer unit body of ``DELETE …/mapping``: drop the override and unpin the title."""
    cursor = await conn.execute(
        "DELETE FROM mapping_overrides WHERE site = ? AND slug = ?", (site, slug)
    )
    if cursor.rowcount:
        await _unpin(conn, [(site, slug)])
        log.info("overrides.removed", site=site, slug=slug)
    return bool(cursor.rowcount)
