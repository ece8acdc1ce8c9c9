"""``GET /api/v1/openapi.json``: the admin API's OpenAPI 3.1 document, generated from the app's
route table at request time, so a route added anywhere appears without editing this module.

Every ``/api/v1/…`` route and method becomes an operation: path parameters from the path's
``{name}`` / ``{name:type}`` segments, the summary and description from the handler's docstring
(first line / the rest), the admin key as security (header ``X-Api-Key`` or query ``apikey``,
as ``api/auth.py`` reads it) and the JSON error shape of ``app.py`` for 4xx answers. A test
walks the route table and checks that the document covers all of it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from anibridge_like import __version__

PREFIX = "/api/v1/"
OPENAPI_PATH = "/api/v1/openapi.json"
_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-z]+))?}")
_TYPES = {"int": "integer", "float": "number", "path": "string", "str": "string"}
_ERROR = {
    "description": "error",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"error": {"type": "string"}},
                "required": ["error"],
            }
        }
    },
}


def admin_routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    """(full path, route) of every admin API route, through mounts."""
    for route in routes:
        if isinstance(route, Mount):
            yield from admin_routes(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            path = prefix + route.path
            if path.startswith(PREFIX):
                yield path, route


def operation_methods(route: Route) -> list[str]:
    return sorted(m.lower() for m in (route.methods or {"GET"}) if m != "HEAD")


def _doc(route: Route) -> tuple[str, str]:
    doc = inspect.getdoc(route.endpoint) or ""
    first, _, rest = doc.partition("\n")
    if not first:
        words = getattr(route.endpoint, "__name__", route.name or "operation").split("_")
        first = " ".join(words).capitalize()
    return first.strip(), rest.strip()


def _operation(path: str, route: Route, method: str) -> dict[str, Any]:
    summary, description = _doc(route)
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": _TYPES.get(kind or "str", "string")},
        }
        for name, kind in _PARAM.findall(path)
    ]
    operation: dict[str, Any] = {
        "operationId": f"{method}_{route.name}",
        "summary": summary,
        "parameters": parameters,
        "responses": {
            "2XX": {"description": "success", "content": {"application/json": {}}},
            "401": {**_ERROR, "description": "missing or wrong admin API key"},
            "4XX": {**_ERROR, "description": "bad request, unknown resource or conflict"},
        },
    }
    if description:
        operation["description"] = description
    if method in ("put", "post", "patch"):
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    if path == OPENAPI_PATH:
        operation["security"] = []
    return operation


def build_document(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for full, route in admin_routes(routes):
        openapi_path = _PARAM.sub(lambda m: "{" + m.group(1) + "}", full)
        item = paths.setdefault(openapi_path, {})
        for method in operation_methods(route):
            item[method] = _operation(full, route, method)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "anibridge-like admin API",
            "version": __version__,
            "description": "Administration of a running anibridge-like daemon. Every operation "
            "needs the admin key (`ANIBRIDGE_ADMIN_API_KEY`).",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "X-Api-Key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "apikey": {"type": "apiKey", "in": "query", "name": "apikey"},
            }
        },
        "security": [{"X-Api-Key": []}, {"apikey": []}],
    }


async def openapi_json(request: Request) -> JSONResponse:
    """The admin API's OpenAPI document

    Generated from the route table; needs no key (it holds no secret)."""
    document = getattr(request.app.state, "openapi_document", None)
    if document is None:
        document = build_document(request.app.routes)
        request.app.state.openapi_document = document
    return JSONResponse(document)


routes = [Route(OPENAPI_PATH, openapi_json, methods=["GET"], name="openapi")]
