from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from anibridge_like.app import create_app
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import parse_seed
from anibridge_like.settings import Settings
from tests.plugin_doubles import EXTRA

REGISTRY = Registry(extra=EXTRA)
SEED: dict[str, Any] = {
    "libraries": [{"slug": "anime", "kind": "anime"}, {"slug": "movies", "kind": "movies"}],
    "plugins": [
        {
            "name": "echo-1",
            "implementation": "echo",
            "kind": "provider",
            "libraries": ["anime"],
            "enabled": False,
        },
        {
            "name": "echo-2",
            "implementation": "echo",
            "kind": "provider",
            "config": {"site": "other"},
            "enabled": False,
        },
    ],
}


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings.model_copy(update={"admin_api_key": SecretStr("adm1n")})
    app = create_app(settings, seed=parse_seed(SEED, REGISTRY, environ={}), registry=REGISTRY)
    async with app.router.lifespan_context(app):
        app.state.ctx  # noqa: B018 - the lifespan must have set it
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            yield c


async def test_health_reports_version_database_and_writer(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"]
    assert body["uptime_seconds"] >= 0
    assert body["database"]["ok"] is True
    assert body["database"]["schema_version"] >= 3
    assert body["writer"]["running"] is True


@pytest.mark.parametrize("headers", [{}, {"X-Api-Key": "wrong"}])
async def test_admin_api_rejects_wrong_or_missing_key(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for path in ("/api/v1/libraries", "/api/v1/plugins"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/json")
        assert "error" in response.json()


async def test_admin_api_lists_libraries_and_scoped_plugins(client: httpx.AsyncClient) -> None:
    headers = {"X-Api-Key": "adm1n"}
    libs = (await client.get("/api/v1/libraries", headers=headers)).json()["libraries"]
    assert [lib["slug"] for lib in libs] == ["anime", "movies"]
    assert libs[0]["categories"] == [5070]
    plugins = (await client.get("/api/v1/plugins", params={"apikey": "adm1n"})).json()["plugins"]
    by_name = {p["name"]: p for p in plugins}
    assert by_name["echo-1"]["libraries"] == ["anime"]
    assert by_name["echo-2"]["libraries"] == "all"
    assert by_name["echo-2"]["site"] == "other"
