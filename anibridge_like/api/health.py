"""``GET /health``: liveness with version, uptime, database, writer and storage state.

``status`` is ``ok`` (200) or ``degraded`` (503) with ``degraded`` naming the parts: ``database``
(the readers cannot query), ``writer`` (its task stopped), ``storage`` (the last write failed
for a fault of the machine — disk full, read-only, I/O — until a write succeeds again).

``/health`` and ``/health/catalog`` are open (Docker health checks, uptime monitors), so what they
show to a caller without the admin key is reduced: the database by its file name only, URLs by
scheme, host and path (no credentials, no query strings —
:func:`anibridge_like.redaction.public_view`). With the admin key (``X-Api-Key``) the full
paths are shown; credentials never are."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from anibridge_like import __version__
from anibridge_like.api.auth import is_admin
from anibridge_like.context import AppContext
from anibridge_like.redaction import public_view, redact_value
from anibridge_like.storage.migrate import schema_version


async def health(request: Request) -> JSONResponse:
    ctx: AppContext = request.app.state.ctx
    admin = is_admin(request)
    db_ok = await ctx.readers.ping()
    stats = ctx.writer.stats
    fault = ctx.writer.storage_fault
    degraded = [
        part
        for part, bad in (
            ("database", not db_ok),
            ("writer", not ctx.writer.running),
            ("storage", fault is not None),
        )
        if bad
    ]
    body: dict[str, object] = {
        "status": "degraded" if degraded else "ok",
        "degraded": degraded,
        "version": __version__,
        "uptime_seconds": round(time.monotonic() - ctx.started_at, 3),
        "database": {
            "ok": db_ok,
            "path": str(ctx.settings.database_path) if admin else ctx.settings.database_path.name,
            "schema_version": schema_version(ctx.settings.database_path),
        },
        "writer": {
            "running": ctx.writer.running,
            "queue_depth": ctx.writer.queue_depth,
            "queue_size": ctx.writer.queue_size,
            "committed": stats.committed,
            "rolled_back": stats.rolled_back,
            "utilisation": round(stats.utilisation, 4),
            "last_lag_seconds": round(stats.last_lag_seconds, 4),
        },
        "storage": {"ok": True}
        if fault is None
        else {"ok": False, "fault": fault.kind.value, "error": fault.message, "since": fault.since},
    }
    catalog = ctx.services.get("catalog")
    if catalog is not None:
        from anibridge_like.api.catalog import catalog_summary

        body["catalog"] = await catalog_summary(ctx)
    shown = redact_value(body) if admin else public_view(body)
    return JSONResponse(shown, status_code=200 if body["status"] == "ok" else 503)


routes = [Route("/health", health, methods=["GET"])]
