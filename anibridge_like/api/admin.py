"""Admin API, read side: ``/api/v1/libraries`` and ``/api/v1/plugins`` (admin key required).

Instance configs are shown without any secret value (``***``: the seed's inline secrets are not
even stored, see :mod:`anibridge_like.plugins.inline_secrets`); no route sets an instance config —
instances come from the seed only."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from anibridge_like.api.auth import require_admin
from anibridge_like.context import AppContext
from anibridge_like.plugins.inline_secrets import public_config
from anibridge_like.plugins.instances import load_instances


async def list_libraries(request: Request) -> JSONResponse:
    """List the libraries with their categories, languages and Torznab path"""
    require_admin(request)
    ctx: AppContext = request.app.state.ctx
    rows = await ctx.readers.fetchall(
        "SELECT slug, name, kind, categories, languages, api_key IS NOT NULL AS own_key"
        " FROM libraries ORDER BY slug"
    )
    return JSONResponse(
        {
            "libraries": [
                {
                    "slug": r["slug"],
                    "name": r["name"],
                    "kind": r["kind"],
                    "categories": json.loads(r["categories"]),
                    "languages": json.loads(r["languages"]),
                    "own_api_key": bool(r["own_key"]),
                    "torznab": f"/torznab/{r['slug']}/api",
                }
                for r in rows
            ]
        }
    )


async def list_plugins(request: Request) -> JSONResponse:
    """List the plugin instances with their library scope and config (secrets as ***)"""
    require_admin(request)
    ctx: AppContext = request.app.state.ctx
    instances = await load_instances(ctx.readers)
    return JSONResponse(
        {
            "plugins": [
                {
                    "name": i.name,
                    "implementation": i.implementation,
                    "kind": i.kind,
                    "site": i.site,
                    "enabled": i.enabled,
                    "libraries": "all" if i.libraries is None else list(i.libraries),
                    "refresh_interval_hours": i.refresh_interval_hours,
                    "refresh_cron": i.refresh_cron,
                    "config_keys": sorted(i.config),
                    "config": public_config(i.config),
                }
                for i in instances
            ]
        }
    )


routes = [
    Route("/api/v1/libraries", list_libraries, methods=["GET"]),
    Route("/api/v1/plugins", list_plugins, methods=["GET"]),
]
