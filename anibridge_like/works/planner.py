"""The ``metadata_refresh`` planner: pure and read-only. What a run would refresh now, per work
and metadata instance, with typed plan failures and skip reasons (the same plan feeds the run,
the runner's dry run and the dry-run API's totals).

Plan failures (the whole job cannot run): ``instance_missing`` (no metadata instance of that
name), ``instance_disabled`` (disabled, or its config does not build), ``out_of_scope`` (it does
not serve the job's library), ``lacks_capability`` (it serves none of the library's kinds).

Skip reasons, counted per (work, instance) pair: ``gone`` (every provider title of the work in
this library is gone from its site), ``unsupported_kind`` (a movie for a series-only instance
and vice versa), ``locked`` (every field the instance would write is locked), ``no_id`` (the
work lacks the instance's id and ``existing_ids_only`` is set), ``recently_synced`` (refreshed
by this instance less than ``skip_recently_synced_hours`` ago). A run adds ``gone`` (the service
no longer knows the id) and ``no_match`` (re-match found no single candidate).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from anibridge_like.libraries.model import Library
from anibridge_like.libraries.scope import scope_sql
from anibridge_like.plugins.metadata import MetadataCapabilities
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.timestamps import iso
from anibridge_like.works.refresh_config import MetadataRefreshConfig

if TYPE_CHECKING:
    from anibridge_like.plugins.manager import PluginInstance, PluginManager


class PlanFailure(StrEnum):
    INSTANCE_MISSING = "instance_missing"
    INSTANCE_DISABLED = "instance_disabled"
    OUT_OF_SCOPE = "out_of_scope"
    LACKS_CAPABILITY = "lacks_capability"


class SkipReason(StrEnum):
    GONE = "gone"
    UNSUPPORTED_KIND = "unsupported_kind"
    LOCKED = "locked"
    NO_ID = "no_id"
    RECENTLY_SYNCED = "recently_synced"
    NO_MATCH = "no_match"


_LIBRARY_KINDS = {"anime": "anime", "series": "series", "movies": "movie"}


@dataclass(frozen=True, slots=True)
class Source:
    """A metadata instance the job refreshes from, with the fields it may write."""

    name: str
    capabilities: MetadataCapabilities
    fields: tuple[str, ...]

    @property
    def namespace(self) -> str:
        return self.capabilities.namespace

    def serves(self, kind: str) -> bool:
        if kind == "movie":
            return self.capabilities.movies
        return bool(self.capabilities.kinds & {"series", "anime"})


@dataclass(frozen=True, slots=True)
class Pair:
    instance: str
    id: str | None
    """The work's id in the instance's namespace; ``None`` = re-match first."""


@dataclass(slots=True)
class PlannedWork:
    key: str
    kind: str
    title: str
    year: int | None
    ids: dict[str, str]
    locks: frozenset[str]
    pairs: list[Pair] = field(default_factory=list)


@dataclass(slots=True)
class RefreshPlan:
    sources: list[Source] = field(default_factory=list)
    works: list[PlannedWork] = field(default_factory=list)
    total_works: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_works: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """work key → ``(instance, reason)`` for every skipped pair."""
    failure: PlanFailure | None = None
    message: str | None = None

    def pairs(self) -> int:
        return sum(len(w.pairs) for w in self.works)


def resolve_sources(
    manager: PluginManager | None, library: Library, config: MetadataRefreshConfig
) -> tuple[list[Source], PlanFailure | None, str | None]:
    """The job's instances as sources, or the first plan failure."""
    sources: list[Source] = []
    wanted = _LIBRARY_KINDS[library.kind]
    for name in config.instances:
        found: PluginInstance[Any] | None = None
        if manager is not None and name in manager.names("metadata"):
            found = manager.get(name)
        if found is None:
            return [], PlanFailure.INSTANCE_MISSING, f"no metadata instance named {name!r}"
        if not found.usable:
            why = found.error.message if found.error else "disabled"
            return [], PlanFailure.INSTANCE_DISABLED, f"instance {name!r} is unusable: {why}"
        if not found.serves(library):
            return [], PlanFailure.OUT_OF_SCOPE, f"{name!r} does not serve {library.slug!r}"
        caps: MetadataCapabilities = type(cast(Any, found.plugin)).capabilities
        if wanted not in caps.kinds:
            kinds = ", ".join(sorted(caps.kinds))
            message = f"{name!r} serves {kinds}, not the {library.kind} library {library.slug!r}"
            return [], PlanFailure.LACKS_CAPABILITY, message
        sources.append(Source(name, caps, tuple(config.fields_of(name))))
    return sources, None, None


_NAMESPACES = ("tvdb", "tmdb", "imdb", "anilist", "mal")


async def _rows(
    readers: ReaderPool, library_id: int, instances: Sequence[str], only: Sequence[str] | None
) -> tuple[list[Any], list[Any]]:
    provider_sites = (
        "SELECT p.site FROM plugin_instances p WHERE p.kind = 'provider' AND p.site IS NOT NULL"
        f" AND {scope_sql('p', '?')}"
    )
    only_sql = "" if only is None else " AND w.key IN (SELECT value FROM json_each(?))"
    params: list[Any] = [library_id] + ([] if only is None else [json.dumps(list(only))])
    async with readers.connection() as conn:
        works = list(
            await conn.execute_fetchall(
                "SELECT w.key, w.kind, w.title, w.year, w.tvdb_id, w.tmdb_id, w.imdb_id,"
                " w.anilist_id, w.mal_id, w.locked_fields, MIN(t.gone) AS gone FROM works w"
                " JOIN title_works tw ON tw.work = w.key JOIN titles t ON t.id = tw.title_id"
                f" WHERE t.site IN ({provider_sites}){only_sql} GROUP BY w.key ORDER BY w.key",
                params,
            )
        )
        synced = list(
            await conn.execute_fetchall(
                "SELECT work, instance, synced_at FROM work_sync"
                " WHERE instance IN (SELECT value FROM json_each(?))",
                (json.dumps(list(instances)),),
            )
        )
    return works, synced


async def plan(
    readers: ReaderPool,
    manager: PluginManager | None,
    library: Library,
    library_id: int,
    config: MetadataRefreshConfig,
    now: datetime,
    *,
    only: Sequence[str] | None = None,
) -> RefreshPlan:
    """The plan for ``library`` (``only``: just these work keys). Reads only."""
    sources, failure, message = resolve_sources(manager, library, config)
    if failure is not None:
        return RefreshPlan(failure=failure, message=message)
    works, synced_rows = await _rows(readers, library_id, [s.name for s in sources], only)
    cutoff = iso(now - timedelta(hours=config.skip_recently_synced_hours))
    synced = {(r[0], r[1]) for r in synced_rows if cutoff is not None and r[2] > cutoff}
    out = RefreshPlan(sources=sources, total_works=len(works))
    for r in works:
        ids = {ns: str(r[4 + i]) for i, ns in enumerate(_NAMESPACES) if r[4 + i] is not None}
        work = PlannedWork(r[0], r[1], r[2], r[3], ids, frozenset(json.loads(r[9])))
        for source in sources:
            reason = _skip(work, source, bool(r[10]), config, (work.key, source.name) in synced)
            if reason is None:
                work.pairs.append(Pair(source.name, ids.get(source.namespace)))
            else:
                out.skipped[reason] += 1
                out.skipped_works.setdefault(work.key, []).append((source.name, reason))
        if work.pairs:
            out.works.append(work)
    return out


def _skip(
    work: PlannedWork,
    source: Source,
    gone: bool,
    config: MetadataRefreshConfig,
    recently: bool,
) -> SkipReason | None:
    if gone:
        return SkipReason.GONE
    if not source.serves(work.kind):
        return SkipReason.UNSUPPORTED_KIND
    if source.fields and all(f in work.locks for f in source.fields):
        return SkipReason.LOCKED
    if source.namespace not in work.ids and config.existing_ids_only:
        return SkipReason.NO_ID
    if recently:
        return SkipReason.RECENTLY_SYNCED
    return None
