"""The plugin manager: every configured instance built once per reload, and the one boundary
every plugin call passes through.

::

    manager = PluginManager(registry, http)
    await manager.reload(readers)                     # after a seed reconcile / API change
    one = manager.get("aniworld", Provider)           # typed per kind (the kind's Protocol)
    page = await manager.call(one, lambda p: p.list_titles(""), job="catalog:aniworld")
    results = await manager.fan_out("metadata", MetadataPlugin, library, fetch)

**The call boundary** (:meth:`PluginManager.call`) binds the log context (``plugin``,
``library``, ``job``) for the duration of the call, lets :class:`PluginError` through after
logging it with the policy :func:`~anibridge_like.plugins.errors.policy_for` gives its code, and
turns any other exception (a bug in the plugin) into ``upstream`` after logging its traceback.
It is the only ``except Exception`` around plugin code.

**Fan-out** (:meth:`PluginManager.fan_out`) calls every enabled, successfully built instance of
a kind whose scope (:func:`anibridge_like.libraries.scope.in_scope`) includes the library, one
after another in name order; a failing instance is logged and skipped, the others still answer.

An instance whose implementation is unknown or whose config does not validate is kept with its
``error`` (``not_configured``) so callers can report it; it is never called.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import aiosqlite
import httpx
import structlog

from anibridge_like.libraries.model import Library
from anibridge_like.libraries.scope import in_scope
from anibridge_like.plugins.errors import ErrorCode, PluginError, policy_for
from anibridge_like.plugins.instances import (
    InstanceRow,
    build_plugin,
    load_instances,
    resolved_config,
)
from anibridge_like.plugins.isolation.remote import PluginWorker, remote_plugin
from anibridge_like.plugins.registry import Registry, kind_of
from anibridge_like.storage.database import ReaderPool

log = structlog.get_logger(__name__)

P = TypeVar("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PluginInstance(Generic[P]):
    """A configured instance: its row, and the built plugin (or why it could not be built)."""

    row: InstanceRow
    plugin: P | None
    error: PluginError | None = None

    @property
    def name(self) -> str:
        return self.row.name

    @property
    def kind(self) -> str:
        return self.row.kind

    @property
    def usable(self) -> bool:
        return self.row.enabled and self.plugin is not None

    def serves(self, library: Library | str) -> bool:
        slug = library if isinstance(library, str) else library.slug
        return in_scope(self.row.libraries, slug)


@dataclass(frozen=True, slots=True)
class FanOutResult(Generic[T]):
    """One instance's answer in a fan-out: ``value`` or ``error`` (the instance was skipped)."""

    instance: str
    value: T | None = None
    error: PluginError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class PluginManager:
    """See the module docstring."""

    def __init__(
        self,
        registry: Registry,
        http: httpx.AsyncClient,
        environ: Mapping[str, str] | None = None,
        worker: PluginWorker | None = None,
    ) -> None:
        self.registry = registry
        self.http = http
        self._environ = environ
        self.worker = worker
        """Where the indexing kinds' contract methods run (``None``: in this process)."""
        self._instances: dict[str, PluginInstance[Any]] = {}
        self.reloads = 0

    def worker_cpu_seconds(self) -> float:
        """CPU seconds the plugin worker has used (0.0 without one): the indexing work done off
        the daemon, which pacing counts (:mod:`anibridge_like.jobs.pacing`)."""
        return self.worker.cpu_seconds() if self.worker is not None else 0.0

    # ---- building ----------------------------------------------------------------------

    async def reload(self, source: ReaderPool | aiosqlite.Connection) -> None:
        """Build every instance from the database. An instance whose row did not change keeps
        its built plugin (no rebuild, no lost connection pools)."""
        rows = await load_instances(source)
        fresh: dict[str, PluginInstance[Any]] = {}
        for row in rows:
            kept = self._instances.get(row.name)
            fresh[row.name] = kept if kept is not None and kept.row == row else self._build(row)
        self._instances = fresh
        self.reloads += 1

    def _build(self, row: InstanceRow) -> PluginInstance[Any]:
        kind = kind_of(row.kind)  # an unknown kind in the database is a bug: fail loudly
        try:
            plugin = build_plugin(self.registry, row, self.http, self._environ)
            if self.worker is not None and kind.remote_methods:
                config = resolved_config(row, self._environ)
                plugin = remote_plugin(self.worker, row.name, plugin, config, kind.remote_methods)
        except Exception as exc:  # unknown implementation, import failure or invalid config
            error = PluginError(
                ErrorCode.NOT_CONFIGURED, f"cannot build {row.kind} {row.implementation!r}: {exc}"
            )
            log.error("plugin.not_configured", plugin=row.name, kind=row.kind, error=error.message)
            return PluginInstance(row, None, error)
        return PluginInstance(row, plugin)

    # ---- lookups -----------------------------------------------------------------------
    def names(self, kind: str | None = None) -> list[str]:
        return sorted(n for n, i in self._instances.items() if kind is None or i.kind == kind)

    def get(self, name: str, contract: type[P] | None = None) -> PluginInstance[P]:
        """The instance ``name`` (``KeyError`` when absent); ``contract`` only types it."""
        return cast("PluginInstance[P]", self._instances[name])

    def of_kind(self, kind: str, contract: type[P] | None = None) -> list[PluginInstance[P]]:
        """Every instance of ``kind`` (enabled or not, built or not), by name."""
        return [cast("PluginInstance[P]", self._instances[n]) for n in self.names(kind)]

    def in_scope(
        self, kind: str, library: Library | str, contract: type[P] | None = None
    ) -> list[PluginInstance[P]]:
        """The usable instances of ``kind`` serving ``library``, by name."""
        return [i for i in self.of_kind(kind, contract) if i.usable and i.serves(library)]

    # ---- the call boundary -------------------------------------------------------------
    async def call(
        self,
        instance: PluginInstance[P],
        fn: Callable[[P], Awaitable[T]],
        *,
        library: Library | None = None,
        job: str | None = None,
    ) -> T:
        """Call ``fn(plugin)`` inside the boundary (see the module docstring). Raises
        :class:`PluginError` only."""
        context = {"plugin": instance.name}  # library/job: given here, or bound by the run
        if library is not None:
            context["library"] = library.slug
        if job is not None:
            context["job"] = job
        with structlog.contextvars.bound_contextvars(**context):
            if instance.plugin is None or not instance.row.enabled:
                raise instance.error or PluginError(
                    ErrorCode.NOT_CONFIGURED, f"instance {instance.name!r} is disabled"
                )
            try:
                return await fn(instance.plugin)
            except PluginError as error:
                policy = policy_for(error.code)
                log.warning(
                    "plugin.call_failed",
                    code=error.code.value,
                    error=error.message,
                    retryable=policy.retryable,
                )
                raise
            except Exception as exc:  # the one boundary per plugin call: a plugin bug
                log.exception("plugin.call_crashed", error=repr(exc))
                raise PluginError(ErrorCode.UPSTREAM, f"{type(exc).__name__}: {exc}") from exc

    async def fan_out(
        self,
        kind: str,
        library: Library,
        fn: Callable[[P, Mapping[str, str]], Awaitable[T]],
        *,
        contract: type[P] | None = None,
        job: str | None = None,
    ) -> list[FanOutResult[T]]:
        """Call ``fn(plugin, payload)`` on every usable instance of ``kind`` serving
        ``library``; ``payload`` is the library's plugin payload (``library_slug``,
        ``library_name``). A failing instance is logged and skipped (its result carries the
        error)."""
        payload = library.payload()
        results: list[FanOutResult[T]] = []
        for instance in self.in_scope(kind, library, contract):

            async def one(plugin: P) -> T:
                return await fn(plugin, payload)

            try:
                value = await self.call(instance, one, library=library, job=job)
            except PluginError as error:
                log.info(
                    "plugin.fan_out_skipped",
                    plugin=instance.name,
                    library=library.slug,
                    job=job,
                    code=error.code.value,
                )
                results.append(FanOutResult(instance.name, error=error))
                continue
            results.append(FanOutResult(instance.name, value=value))
        return results
