"""The media-server engine: instances from the plugin manager, their bindings, and the two
things the core asks of them — pull the inventory (:func:`scan`, the body of the ``media_scan``
job) and ask for a rescan after a download landed (:func:`trigger_scans`).

Dispatch is by capability (``"trigger_scan" in capabilities.optional``), never by name. Every
call goes through the plugin manager's one boundary
(:meth:`~anibridge_like.plugins.manager.PluginManager.call`: log context, a plugin bug becomes
``upstream``); a ``PluginError`` is recorded on the bindings' state and one failing server never
stops the others (an unreachable server at start blocks nothing).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

from anibridge_like.catalog.state import now_iso
from anibridge_like.context import AppContext
from anibridge_like.mediaservers.inventory import pull
from anibridge_like.mediaservers.store import Binding, ScanOutcome, record_unreachable
from anibridge_like.plugins.errors import PluginError
from anibridge_like.plugins.manager import PluginInstance, PluginManager
from anibridge_like.plugins.media_server import (
    ItemPage,
    MediaServer,
    ServerLibrary,
    ServerStatus,
)

log = structlog.get_logger(__name__)

KIND = "media_server"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BoundInstance:
    instance: PluginInstance[MediaServer]
    bindings: tuple[Binding, ...]


class _Guarded:
    """A media server whose every call passes the manager's boundary (it offers the contract's
    methods, so the inventory pull needs no knowledge of the manager)."""

    def __init__(
        self, manager: PluginManager, instance: PluginInstance[MediaServer], job: str
    ) -> None:
        self._manager = manager
        self._instance = instance
        self._job = job

    @property
    def optional(self) -> frozenset[str]:
        plugin = self._instance.plugin
        return frozenset(plugin.capabilities.optional) if plugin is not None else frozenset()

    async def _call(self, fn: Callable[[Any], Awaitable[T]]) -> T:
        return await self._manager.call(self._instance, fn, job=self._job)

    async def check_connection(self) -> ServerStatus:
        return await self._call(lambda s: s.check_connection())

    async def list_libraries(self) -> list[ServerLibrary]:
        return await self._call(lambda s: s.list_libraries())

    async def list_items(self, library_ref: str, cursor: str | None) -> ItemPage:
        return await self._call(lambda s: s.list_items(library_ref, cursor))

    async def trigger_scan(self, library_ref: str) -> None:
        await self._call(lambda s: s.trigger_scan(library_ref))


def _manager(ctx: AppContext) -> PluginManager:
    if ctx.plugins is None:
        raise RuntimeError("the plugin manager is not running")
    return ctx.plugins


async def bound_instances(
    ctx: AppContext, *, instance: str | None = None, library: str | None = None
) -> list[BoundInstance]:
    """Enabled media-server instances with their bindings to existing libraries."""
    libraries = {
        str(r["slug"]): (int(r["id"]), str(r["kind"]))
        for r in await ctx.readers.fetchall("SELECT id, slug, kind FROM libraries")
    }
    out: list[BoundInstance] = []
    for inst in _manager(ctx).of_kind(KIND, MediaServer):
        row = inst.row
        if not row.enabled or (instance is not None and row.name != instance):
            continue
        raw = row.config.get("libraries") or {}
        bindings = tuple(
            Binding(row.id, row.name, libraries[slug][0], slug, libraries[slug][1], str(target))
            for slug, target in sorted(raw.items())
            if slug in libraries and (library is None or slug == library)
        )
        if bindings:
            out.append(BoundInstance(inst, bindings))
    return out


async def _backing_off(ctx: AppContext, bindings: tuple[Binding, ...]) -> dict[int, str]:
    """library id → ``next_attempt_at`` for bindings whose last failure asks to wait."""
    rows = await ctx.readers.fetchall(
        "SELECT library_id, next_attempt_at FROM media_scan_state WHERE instance_id = ?"
        " AND next_attempt_at IS NOT NULL AND next_attempt_at > ?",
        (bindings[0].instance_id, now_iso()),
    )
    return {int(r["library_id"]): str(r["next_attempt_at"]) for r in rows}


async def scan(
    ctx: AppContext,
    *,
    instance: str | None = None,
    library: str | None = None,
    force: bool = True,
    job: str = "media_scan",
) -> list[ScanOutcome]:
    """Pull the inventory of every bound library (optionally one instance / one library).

    ``force=False`` (scheduled runs) skips bindings whose last failure set a
    ``next_attempt_at`` still in the future; a manual run always tries."""
    manager = _manager(ctx)
    outcomes: list[ScanOutcome] = []
    for found in await bound_instances(ctx, instance=instance, library=library):
        waiting = {} if force else await _backing_off(ctx, found.bindings)
        for b in found.bindings:
            if b.library_id in waiting:
                message = f"backing off until {waiting[b.library_id]}"
                outcomes.append(ScanOutcome(b.instance, b.library, "skipped", error=message))
        ready = [b for b in found.bindings if b.library_id not in waiting]
        if not ready:
            continue
        server: Any = _Guarded(manager, found.instance, job)
        try:
            status = await server.check_connection()
        except PluginError as exc:
            for b in ready:
                outcomes.append(await record_unreachable(ctx.writer, b, exc))
            continue
        log.info("media.connection.ok", plugin=found.instance.name, server=status.name)
        for b in ready:
            outcomes.append(await pull(ctx.writer, ctx.readers, server, b, status))
    return outcomes


async def trigger_scans(ctx: AppContext, library: str) -> list[str]:
    """Ask every server bound to ``library`` that opted in (``trigger_scan: true``) and declares
    the capability to rescan its library; returns the instances asked. Failures are logged."""
    manager = _manager(ctx)
    asked: list[str] = []
    for found in await bound_instances(ctx, library=library):
        server = _Guarded(manager, found.instance, "media_trigger")
        if not found.instance.row.config.get("trigger_scan") or "trigger_scan" not in (
            server.optional
        ):
            continue
        try:
            libraries = await server.list_libraries()
            for b in found.bindings:
                ref = next((x.ref for x in libraries if b.server_library in (x.ref, x.name)), None)
                if ref is not None:
                    await server.trigger_scan(ref)
                    asked.append(found.instance.name)
        except PluginError as exc:
            log.warning("media.trigger.failed", plugin=found.instance.name, code=exc.code.value)
    return asked
