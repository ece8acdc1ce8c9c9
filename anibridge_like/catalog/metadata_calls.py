"""Metadata calls as the canonical stage makes them: picked by capability, cached, throttled,
retried.

* :meth:`MetadataCalls.pick` chooses instances by their declared capabilities (never by name).
* Every answer goes through :class:`~anibridge_like.catalog.canonical_store.MetadataCache` (keys
  ``search_series:<folded term>``, ``search_movie:<folded term>|<year>``,
  ``find_series:<namespace>:<id>``, ``find_movie:<namespace>:<id>``, ``series:<id>``,
  ``movie:<id>``); ``not_found`` is cached as a miss.
* Each call runs through :class:`~anibridge_like.catalog.retry.Retrier` (the pipeline's one place
  for ``policy_for``) inside the instance's gate: at most ``canonical_concurrency`` calls at once,
  and after a ``rate_limited`` answer no call to that instance starts before ``retry_after``.
* An instance that answers ``not_configured`` — or, once retries are spent, a code that stops a
  stage (auth, blocked, rate limited) — is *out* for the rest of the run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, TypeVar

import structlog

from anibridge_like.catalog.canonical_store import MetadataCache
from anibridge_like.catalog.matching import Candidate, fold
from anibridge_like.catalog.retry import Retrier, stops_stage
from anibridge_like.catalog.state import utcnow
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.metadata import (
    IdNamespace,
    MetadataInstance,
    MetadataKind,
    MovieInfo,
    SeriesInfo,
    from_json,
    to_json,
)

T = TypeVar("T")
Role = Literal["numbering", "movies", "aliases"]
log = structlog.get_logger(__name__).bind(stage="canonical")


class Unconfigured(Exception):
    """No usable metadata instance for a title's category (configuration, not a failure)."""


class _Gate:
    """Per-instance concurrency and a shared "not before" time after a rate limit."""

    def __init__(self, limit: int) -> None:
        self.semaphore = asyncio.Semaphore(limit)
        self.not_before = 0.0

    async def wait(self) -> None:
        delay = self.not_before - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def hold(self, seconds: float) -> None:
        self.not_before = max(self.not_before, time.monotonic() + seconds)


def as_candidate(c: Any, kind: Literal["series", "movie"]) -> Candidate:
    """A contract candidate/info object as a matching candidate."""
    return Candidate(
        c.id,
        (c.title, *c.aliases),
        c.year,
        getattr(c, "kind", kind),
        dict(c.external_ids),
        id_lists=dict(getattr(c, "id_lists", {}) or {}),
    )


class MetadataCalls:
    """The stage's access to its metadata instances for one run."""

    def __init__(
        self,
        instances: Sequence[MetadataInstance],
        cache: MetadataCache,
        retrier: Retrier,
        *,
        concurrency: int,
        rate_limit_pause: float,
    ) -> None:
        self.instances = list(instances)
        self.cache = cache
        self.retrier = retrier
        self.rate_limit_pause = rate_limit_pause
        self.gates = {m.name: _Gate(concurrency) for m in self.instances}
        self.down: dict[str, PluginError] = {}
        self.not_configured: list[str] = []
        self.requests = 0
        self.fetched: set[tuple[str, str]] = set()

    def pick(self, category: MetadataKind, role: Role) -> list[MetadataInstance]:
        """Usable instances for ``category`` with capability ``role`` (declaration order).

        For a primary role with none usable: raises the error that took the instance out (a
        failure), or :class:`Unconfigured` when none is configured or in scope.
        """
        usable: list[MetadataInstance] = []
        down: PluginError | None = None
        for inst in self.instances:
            caps = inst.capabilities
            if category not in caps.kinds or not getattr(caps, role):
                continue
            if inst.name in self.down:
                down = down or self.down[inst.name]
                continue
            usable.append(inst)
        if not usable and role != "aliases":
            if down is not None and down.code is not ErrorCode.NOT_CONFIGURED:
                raise down
            reason = down.message if down is not None else "none in scope"
            raise Unconfigured(f"no usable metadata instance for {category} ({reason})")
        return usable

    async def _call(self, inst: MetadataInstance, what: str, fn: Callable[[], Awaitable[T]]) -> T:
        if inst.name in self.down:
            raise self.down[inst.name]
        gate = self.gates[inst.name]

        async def attempt() -> T:
            async with gate.semaphore:
                await gate.wait()
                self.requests += 1
                try:
                    return await fn()
                except PluginError as err:
                    if err.code is ErrorCode.RATE_LIMITED:
                        pause = err.retry_after
                        gate.hold(self.rate_limit_pause if pause is None else pause)
                    raise

        try:
            return await self.retrier.call(attempt, what=f"{inst.name}.{what}")
        except PluginError as err:
            out = err.code is ErrorCode.NOT_CONFIGURED or stops_stage(err)
            if out and inst.name not in self.down:
                self.down[inst.name] = err
                log.warning(
                    "canonical.instance_out",
                    instance=inst.name,
                    code=err.code.value,
                    error=err.message,
                )
                if err.code is ErrorCode.NOT_CONFIGURED:
                    self.not_configured.append(inst.name)
            raise

    async def _cached(
        self,
        inst: MetadataInstance,
        key: str,
        fn: Callable[[], Awaitable[Any]],
        *,
        fresh: bool = False,
    ) -> Any:
        """The JSON answer for ``key``: cache first (unless ``fresh``), else ``fn`` (``None`` for
        not found). Keys answered by the service in this run are never asked twice."""
        fresh = fresh and (inst.name, key) not in self.fetched
        hit = None if fresh else await self.cache.get(inst.name, key, utcnow())
        if hit is not None:
            return None if hit == {"missing": True} else hit
        self.fetched.add((inst.name, key))
        try:
            value = await self._call(inst, key.partition(":")[0], fn)
        except PluginError as err:
            if err.code is not ErrorCode.NOT_FOUND:
                raise
            self.cache.put(inst.name, key, {"missing": True}, miss=True)
            return None
        self.cache.put(inst.name, key, value, miss=value == [])
        return value

    async def search(
        self, inst: MetadataInstance, term: str, year: int | None, *, movie: bool
    ) -> list[Candidate]:
        if movie:
            key = f"search_movie:{fold(term)}|{year or ''}"
            value = await self._cached(
                inst, key, lambda: _dump_list(inst.plugin.search_movie(term, year))
            )
        else:
            key = f"search_series:{fold(term)}"
            value = await self._cached(
                inst, key, lambda: _dump_list(inst.plugin.search_series(term, year))
            )
        kind: Literal["series", "movie"] = "movie" if movie else "series"
        return [as_candidate(from_json(v), kind) for v in value or ()]

    async def find(
        self, inst: MetadataInstance, namespace: IdNamespace, value: str, *, movie: bool
    ) -> list[Candidate]:
        """Candidates carrying the linked id ``namespace:value`` (``[]`` when the instance cannot
        look that namespace up)."""
        if namespace not in inst.capabilities.lookup:
            return []
        what = "movie" if movie else "series"
        key = f"find_{what}:{namespace}:{value.strip().lower()}"
        plugin = inst.plugin
        answer = await self._cached(
            inst,
            key,
            lambda: _dump_list(
                plugin.find_movie(namespace, value)
                if movie
                else plugin.find_series(namespace, value)
            ),
        )
        return [as_candidate(from_json(v), "movie" if movie else "series") for v in answer or ()]

    async def get_series(
        self, inst: MetadataInstance, id: str, *, fresh: bool = False
    ) -> SeriesInfo | None:
        """One series; ``fresh`` skips a cached answer (new episodes may have aired since)."""
        value = await self._cached(
            inst, f"series:{id}", lambda: _dump(inst.plugin.get_series(id)), fresh=fresh
        )
        info: SeriesInfo | None = None if value is None else from_json(value)
        return info

    async def get_movie(self, inst: MetadataInstance, id: str) -> MovieInfo | None:
        value = await self._cached(inst, f"movie:{id}", lambda: _dump(inst.plugin.get_movie(id)))
        info: MovieInfo | None = None if value is None else from_json(value)
        return info


async def _dump(call: Awaitable[Any]) -> Any:
    return to_json(await call)


async def _dump_list(call: Awaitable[list[Any]]) -> list[Any]:
    return [to_json(x) for x in await call]
