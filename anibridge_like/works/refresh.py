"""The metadata calls and changes of a refresh — one code path for the run, the runner's dry run
and the dry-run API (which only differ in whether :func:`refresh` hands its updates to the
writer).

Per planned work: each planned (work, instance) pair is fetched (``get_series``/``get_movie``;
a pair without an id is re-matched first: an id lookup in a namespace the instance looks up and
the work has, else a name search keeping the one candidate whose name and year match the
work's), the answers are merged in the job's instance order (a field is taken from the first
instance that writes and provides it), and :func:`~.values.diff` compares them with the stored
values. Every plugin call passes the plugin manager's boundary and holds one slot of a semaphore
of ``max_concurrency`` — the bound on requests in flight at once, whatever the batch size.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from anibridge_like.catalog.matching import fold
from anibridge_like.libraries.model import Library
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.metadata import MetadataProvider
from anibridge_like.works.fields import GROUP_IDS, GROUP_OF
from anibridge_like.works.planner import Pair, PlannedWork, SkipReason, Source
from anibridge_like.works.store import WorkRecord, WorkUpdate
from anibridge_like.works.values import WorkDiff, WorkValues, diff, movie_values, series_values

if TYPE_CHECKING:
    from anibridge_like.plugins.manager import PluginManager

T = TypeVar("T")


@dataclass(slots=True)
class WorkResult:
    """One work's refresh: the diff, the instances that answered, skips and failures."""

    key: str
    title: str
    diff: WorkDiff
    answered: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """``(instance, reason)`` for pairs skipped at run time (gone, no_match)."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """``(instance, error)``."""

    def update(self) -> WorkUpdate | None:
        if not self.answered:
            return None
        values = {name: after for name, (_before, after) in self.diff.changes.items()}
        return WorkUpdate(self.key, values, list(self.answered))


@dataclass(slots=True)
class Caller:
    """Plugin calls of one refresh: the manager's boundary, one shared concurrency bound."""

    manager: PluginManager
    library: Library
    job: str
    max_concurrency: int
    requests: int = 0
    semaphore: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.semaphore = asyncio.Semaphore(self.max_concurrency)

    async def __call__(self, instance: str, fn: Callable[[MetadataProvider], Awaitable[T]]) -> T:
        target = self.manager.get(instance, MetadataProvider)
        async with self.semaphore:
            self.requests += 1
            return await self.manager.call(target, fn, library=self.library, job=self.job)


async def _rematch(call: Caller, source: Source, work: PlannedWork) -> str | None:
    movie = work.kind == "movie"
    for ns, value in sorted(work.ids.items()):
        if ns not in source.capabilities.lookup:
            continue
        found: list[Any] = await call(
            source.name,
            lambda p, ns=ns, value=value: (
                p.find_movie(ns, value)  # type: ignore[misc]
                if movie
                else p.find_series(ns, value)
            ),
        )
        if len(found) == 1:
            return str(found[0].id)
    hits: list[Any] = await call(
        source.name,
        lambda p: (
            p.search_movie(work.title, work.year)
            if movie
            else p.search_series(work.title, work.year)
        ),
    )
    want = fold(work.title)
    close = [
        c
        for c in hits
        if want in {fold(n) for n in (c.title, *c.aliases)}
        and (work.year is None or c.year is None or abs(c.year - work.year) <= 1)
    ]
    return str(close[0].id) if len(close) == 1 else None


async def _fetch(call: Caller, source: Source, work: PlannedWork, pair: Pair) -> WorkValues:
    """The instance's answer for the work as values; raises :class:`LookupError` with a skip
    reason, :class:`PluginError` for failures."""
    id = pair.id if pair.id is not None else await _rematch(call, source, work)
    if id is None:
        raise LookupError(SkipReason.NO_MATCH)
    try:
        if work.kind == "movie":
            movie = await call(source.name, lambda p: p.get_movie(id))
            return movie_values(movie, source.namespace)
        series = await call(source.name, lambda p: p.get_series(id))
        return series_values(series, source.namespace)
    except PluginError as err:
        if err.code is ErrorCode.NOT_FOUND:
            raise LookupError(SkipReason.GONE) from err
        raise


async def refresh_work(
    call: Caller, sources: Sequence[Source], work: PlannedWork, before: WorkRecord | None
) -> WorkResult:
    by_name = {s.name: s for s in sources}
    answers: list[tuple[Source, WorkValues]] = []
    result = WorkResult(work.key, work.title, WorkDiff())
    for pair in work.pairs:
        source = by_name[pair.instance]
        try:
            answers.append((source, await _fetch(call, source, work, pair)))
            result.answered.append(source.name)
        except LookupError as gone:
            result.skipped.append((source.name, str(gone.args[0])))
        except PluginError as err:
            result.failed.append((source.name, f"{err.code.value}: {err.message}"))
    fields = [f for f in dict.fromkeys(f for s in sources for f in s.fields)]
    after: WorkValues = {}
    for name in fields:
        for source, values in answers:
            if name in source.fields and values.get(name) not in (None, []):
                after[name] = values[name]
                break
    stored = before.values if before is not None else {}
    locks = before.locks if before is not None else work.locks
    result.diff = diff(stored, after, fields, locks)
    return result


@dataclass(slots=True)
class GroupCounts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0


@dataclass(slots=True)
class Totals:
    """Counts over a refresh (the run summary's content)."""

    works: int = 0
    refreshed: int = 0
    failed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    groups: dict[str, GroupCounts] = field(
        default_factory=lambda: {g: GroupCounts() for g in GROUP_IDS}
    )
    errors: list[str] = field(default_factory=list)

    def add(self, r: WorkResult) -> None:
        self.works += 1
        self.refreshed += bool(r.answered)
        self.failed += bool(r.failed) and not r.answered
        for _instance, reason in r.skipped:
            self.skipped[reason] += 1
        if r.failed and len(self.errors) < 5:
            self.errors.append(f"{r.key}: {r.failed[0][1]}"[:200])
        for name, kind in r.diff.kinds.items():
            counts = self.groups[GROUP_OF[name]]
            setattr(counts, kind, getattr(counts, kind) + 1)
        for name in r.diff.skipped:
            counts = self.groups[GROUP_OF[name]]
            if r.failed and not r.answered:
                counts.failed += 1
            else:
                counts.skipped += 1
