"""The admin API's OpenAPI document covers the whole route table: every ``/api/v1`` route and
method, with its path parameters and a summary — generic, so routes added later are checked too."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from anibridge_like.api.openapi import admin_routes, build_document, operation_methods
from anibridge_like.app import create_app
from anibridge_like.seed import Seed
from anibridge_like.settings import Settings


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    settings = settings.model_copy(update={"admin_api_key": SecretStr("adm1n")})
    application = create_app(settings, seed=Seed(), start_services=False)
    async with application.router.lifespan_context(application):
        yield application


async def test_the_document_is_served_without_a_key_and_covers_every_admin_route(
    app: Starlette,
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    routes = list(admin_routes(app.routes))
    assert len(routes) >= 6  # libraries, plugins, refresh, mapping ×3, openapi
    for path, route in routes:
        spec_path = re.sub(r"{(\w+):\w+}", r"{\1}", path)
        assert spec_path in document["paths"], path
        item = document["paths"][spec_path]
        for method in operation_methods(route):
            operation = item[method]
            assert operation["summary"], (method, path)
            declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)", path)), (method, path)
            assert "401" in operation["responses"]
    assert sum(len(item) for item in document["paths"].values()) == sum(
        len(operation_methods(r)) for _, r in routes
    )
    assert not any(p.startswith("/torznab") or p.startswith("/health") for p in document["paths"])


def test_a_new_route_appears_with_its_docstring_and_typed_parameters() -> None:
    async def remove_job(request: object) -> JSONResponse:
        """Delete a job

        It stops first."""
        return JSONResponse({})

    routes = [Mount("/api/v1", routes=[Route("/jobs/{job:int}", remove_job, methods=["DELETE"])])]
    document = build_document(routes)
    operation = document["paths"]["/api/v1/jobs/{job}"]["delete"]
    assert operation["summary"] == "Delete a job" and operation["description"] == "It stops first."
    assert operation["parameters"] == [
        {"name": "job", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
