"""The media-server engine: instances from the registry, their bindings, and the two things the
core asks of them — pull the inventory (:func:`scan`, the body of the ``media_scan`` job) and
ask for a rescan after a download landed (:func:`trigger_scans`).

Dispatch is by capability (``"trigger_scan" in capabilities.optional``), never by name. Each
instance is handled inside one boundary: a ``PluginError`` is recorded on its bindings' state,
anything else is logged with context and recorded as ``upstream``; one failing server never
stops the others (an unreachable server at start blocks nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import ValidationError

from anibridge_like.catalog.state import now_iso
from anibridge_like.context import AppContext
from anibridge_like.mediaservers.inventory import pull
from anibridge_like.mediaservers.store import Binding, ScanOutcome, record_unreachable
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.instances import InstanceRow, build_plugin, load_instances
from anibridge_like.plugins.registry import UnknownImplementationError

log = structlog.get_logger(__name__)

KIND = "media_server"


@dataclass(frozen=True, slots=True)
class BoundInstance:
    instance: InstanceRow
    bindings: tuple[Binding, ...]


async def bound_instances(
    ctx: AppContext, *, instance: str | None = None, library: str | None = None
) -> list[BoundInstance]:
    """Enabled media-server instances with their bindings to existing libraries."""
    libraries = {
        str(r["slug"]): (int(r["id"]), str(r["kind"]))
        for r in await ctx.readers.fetchall("SELECT id, slug, kind FROM libraries")
    }
    out: list[BoundInstance] = []
    for row in await load_instances(ctx.readers, KIND):
        if not row.enabled or (instance is not None and row.name != instance):
            continue
        raw = row.config.get("libraries") or {}
        bindings = tuple(
            Binding(row.id, row.name, libraries[slug][0], slug, libraries[slug][1], str(target))
            for slug, target in sorted(raw.items())
            if slug in libraries and (library is None or slug == library)
        )
        if bindings:
            out.append(BoundInstance(row, bindings))
    return out


def _build(ctx: AppContext, row: InstanceRow) -> Any:
    try:
        return build_plugin(ctx.registry, row, ctx.http)
    except (ValidationError, UnknownImplementationError) as exc:
        raise PluginError(ErrorCode.NOT_CONFIGURED, f"instance {row.name}: {exc}") from exc


async def _backing_off(ctx: AppContext, bindings: tuple[Binding, ...]) -> dict[int, str]:
    """library id → ``next_attempt_at`` for bindings whose last failure asks to wait."""
    now = now_iso()
    rows = await ctx.readers.fetchall(
        "SELECT library_id, next_attempt_at FROM media_scan_state WHERE instance_id = ?"
        " AND next_attempt_at IS NOT NULL AND next_attempt_at > ?",
        (bindings[0].instance_id, now),
    )
    return {int(r["library_id"]): str(r["next_attempt_at"]) for r in rows}


async def scan(
    ctx: AppContext,
    *,
    instance: str | None = None,
    library: str | None = None,
    force: bool = True,
) -> list[ScanOutcome]:
    """Pull the inventory of every bound library (optionally one instance / one library).

    ``force=False`` (scheduled runs) skips bindings whose last failure set a
    ``next_attempt_at`` still in the future; a manual run always tries."""
    outcomes: list[ScanOutcome] = []
    for found in await bound_instances(ctx, instance=instance, library=library):
        waiting = {} if force else await _backing_off(ctx, found.bindings)
        for b in found.bindings:
            if b.library_id in waiting:
                message = f"backing off until {waiting[b.library_id]}"
                outcomes.append(ScanOutcome(b.instance, b.library, "skipped", error=message))
        ready = tuple(b for b in found.bindings if b.library_id not in waiting)
        if not ready:
            continue
        bound = BoundInstance(found.instance, ready)
        row = bound.instance
        bound_log = log.bind(plugin=row.name, implementation=row.implementation)
        try:
            server = _build(ctx, row)
            status = await server.check_connection()
        except PluginError as exc:
            bound_log.warning("media.connection.failed", code=exc.code.value, error=exc.message)
            for b in bound.bindings:
                outcomes.append(await record_unreachable(ctx.writer, b, exc))
            continue
        except Exception as exc:  # the one boundary per plugin call
            bound_log.exception("media.connection.crashed")
            error = PluginError(ErrorCode.UPSTREAM, f"{type(exc).__name__}: {exc}")
            for b in bound.bindings:
                outcomes.append(await record_unreachable(ctx.writer, b, error))
            continue
        bound_log.info("media.connection.ok", server=status.name, version=status.version)
        for b in bound.bindings:
            try:
                outcomes.append(await pull(ctx.writer, ctx.readers, server, b, status))
            except Exception as exc:  # a plugin bug: logged, recorded, the others go on
                bound_log.exception("media.scan.crashed", library=b.library)
                error = PluginError(ErrorCode.UPSTREAM, f"{type(exc).__name__}: {exc}")
                outcomes.append(await record_unreachable(ctx.writer, b, error))
    return outcomes


async def trigger_scans(ctx: AppContext, library: str) -> list[str]:
    """Ask every server bound to ``library`` that opted in (``trigger_scan: true``) and declares
    the capability to rescan its library; returns the instances asked. Failures are logged."""
    asked: list[str] = []
    for bound in await bound_instances(ctx, library=library):
        row = bound.instance
        if not row.config.get("trigger_scan"):
            continue
        try:
            server = _build(ctx, row)
            if "trigger_scan" not in server.capabilities.optional:
                continue
            libraries = await server.list_libraries()
            for b in bound.bindings:
                ref = next((x.ref for x in libraries if b.server_library in (x.ref, x.name)), None)
                if ref is not None:
                    await server.trigger_scan(ref)
                    asked.append(row.name)
        except PluginError as exc:
            log.warning("media.trigger.failed", plugin=row.name, code=exc.code.value)
    return asked
