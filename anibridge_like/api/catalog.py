"""Catalog routes: ``GET /health/catalog`` and ``POST /api/v1/plugins/{instance}/refresh``.

``/health/catalog`` answers 200 with the readiness report
(:func:`anibridge_like.catalog.report.catalog_snapshot`) — readiness is in the body, not in the
status code. The refresh route needs the admin key and answers:

==========================  ======  =============================================
outcome                     status  body
==========================  ======  =============================================
refresh started             202     ``{"instance", "status": "started", "run_id"}``
a refresh is running        409     ``{"error", "instance", "run_id"}`` (the active run's id,
                                    as the jobs API's run-now 409 gives it)
no such enabled provider    404     ``{"error", "instance"}``
catalog service not started 503     ``{"error"}``
==========================  ======  =============================================
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from anibridge_like.api.auth import is_admin, require_admin
from anibridge_like.catalog.report import catalog_snapshot
from anibridge_like.catalog.report import catalog_summary as _summary
from anibridge_like.catalog.service import (
    CatalogError,
    CatalogService,
    RefreshRunningError,
    UnknownInstanceError,
)
from anibridge_like.context import AppContext
from anibridge_like.mediaservers.status import media_server_states
from anibridge_like.redaction import public_view, redact_value

_STATUS: dict[type[CatalogError], int] = {UnknownInstanceError: 404, RefreshRunningError: 409}


async def catalog_summary(ctx: AppContext) -> dict[str, Any]:
    """The catalog part of ``/health`` (cheap: no database reads)."""
    return _summary(ctx)


async def health_catalog(request: Request) -> JSONResponse:
    ctx: AppContext = request.app.state.ctx
    body = await catalog_snapshot(ctx)
    body["media_servers"] = await media_server_states(ctx.readers)
    # open route: URLs reduced to host and path unless the admin key is presented
    return JSONResponse(redact_value(body) if is_admin(request) else public_view(body))


async def refresh_instance(request: Request) -> JSONResponse:
    """Run a catalog refresh of a provider instance now

    202 when started, 404 for an unknown instance, 409 while one runs."""
    require_admin(request)
    ctx: AppContext = request.app.state.ctx
    instance = request.path_params["instance"]
    service: CatalogService | None = ctx.services.get("catalog")
    if service is None:
        return JSONResponse({"error": "the catalog service is not running"}, status_code=503)
    try:
        run_id = await service.start(instance)
    except CatalogError as error:
        status = _STATUS.get(type(error), 409)
        body: dict[str, Any] = {"error": str(error), "instance": instance}
        if isinstance(error, RefreshRunningError):
            body["run_id"] = error.run_id
        return JSONResponse(body, status_code=status)
    return JSONResponse(
        {"instance": instance, "status": "started", "run_id": run_id}, status_code=202
    )


routes = [
    Route("/health/catalog", health_catalog, methods=["GET"]),
    Route("/api/v1/plugins/{instance}/refresh", refresh_instance, methods=["POST"]),
]
