"""Every route × every way of presenting a bad key: no key, an empty key, a wrong key, another
library's key. Generic over the application's route table, so a route added later is covered
the day it is added.

Rules:

* ``/api/v1/…`` (admin API): never a 2xx without the admin key — 401 JSON (403 while no admin
  key is configured), also for a library's key and for ``?apikey=``.
* ``/torznab/…``: Newznab error 100 for every bad key; a library's own key opens that library
  only (another library's endpoint answers 100).
* Routes open on purpose are listed in :data:`PUBLIC` and must show no credential.
* Any other route (``/api/v2`` qBittorrent login, ``/stream/{token}`` signed URLs, …): never a
  5xx, and never a configured key in the body (its owner decides its auth).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from starlette.routing import Route

from anibridge_like.app import create_app
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import parse_seed
from anibridge_like.settings import Settings
from tests.plugin_doubles import EXTRA

REGISTRY = Registry(extra=EXTRA)
ADMIN = "admin-key-0123456789"
ANIME = "anime-key-0123456789"
MOVIES = "movies-key-0123456789"
SEED: dict[str, Any] = {
    "libraries": [
        {"slug": "anime", "kind": "anime", "api_key": ANIME},
        {"slug": "movies", "kind": "movies", "api_key": MOVIES},
    ],
    "plugins": [
        {"name": "echo-1", "implementation": "echo", "kind": "provider", "enabled": False},
    ],
}
PUBLIC = {"/health", "/health/catalog", "/api/v1/openapi.json"}
"""Routes open on purpose (liveness for Docker and monitors; the API description)."""
BAD_KEYS: dict[str, dict[str, str] | None] = {
    "no key": None,
    "empty": {"X-Api-Key": ""},
    "blank": {"X-Api-Key": "   "},
    "wrong": {"X-Api-Key": "wrong-key-0123456789"},
    "other library": {"X-Api-Key": MOVIES},
    "digest of the key": {"X-Api-Key": "sha256:" + "0" * 64},
}
PATH_VALUES = {"site": "sto", "slug": "some-show", "instance": "echo-1", "library": "anime"}


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        # the matrix sends hundreds of wrong keys from one address: the lockout after
        # repeated wrong keys (tests/api/test_key_lockout.py) is set out of its way
        settings.model_copy(
            update={"admin_api_key": SecretStr(ADMIN), "admin_key_max_failures": 10_000}
        ),
        seed=parse_seed(SEED, REGISTRY, environ={}),
        registry=REGISTRY,
        start_services=False,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            c.routes = app.routes  # type: ignore[attr-defined]
            yield c


def _concrete(path: str) -> str:
    out = path
    for name, value in PATH_VALUES.items():
        out = out.replace("{" + name + "}", value).replace("{" + name + ":path}", value)
    while "{" in out:  # a parameter added later: any value
        start, end = out.index("{"), out.index("}")
        out = out[:start] + "x" + out[end + 1 :]
    return out


def _endpoints(routes: list[Any]) -> list[tuple[str, str, str]]:
    """(method, template, concrete path) for every route of the app, mounts included."""
    found: list[tuple[str, str, str]] = []

    def walk(items: list[Any], prefix: str) -> None:
        for route in items:
            if isinstance(route, Route):
                for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                    template = prefix + route.path
                    found.append((method, template, _concrete(template)))
            elif hasattr(route, "routes"):
                walk(list(route.routes), prefix + getattr(route, "path", ""))

    walk(routes, "")
    return found


async def _ask(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str] | None,
    as_query: bool,
) -> httpx.Response:
    params: dict[str, str] = {}
    if path.startswith("/torznab/"):
        params["t"] = "caps"
    if headers is not None and as_query:
        params["apikey"] = headers["X-Api-Key"]
        headers = None
    body = b'{"tvdb_id": 1}' if method in ("PUT", "POST", "PATCH") else None
    return await client.request(method, path, headers=headers, params=params, content=body)


async def test_every_route_refuses_every_bad_key(client: httpx.AsyncClient) -> None:
    endpoints = _endpoints(client.routes)  # type: ignore[attr-defined]
    assert len(endpoints) >= 8, endpoints  # the matrix sees the real route table
    failures: list[str] = []
    for method, template, path in endpoints:
        for case, headers in BAD_KEYS.items():
            for as_query in (False, True):
                if headers is None and as_query:
                    continue
                response = await _ask(client, method, path, headers, as_query)
                where = f"{method} {template} [{case}{', query' if as_query else ''}]"
                text = response.text
                # 503 = a service deliberately not started in this app (downloads, catalog)
                if response.status_code >= 500 and response.status_code != 503:
                    failures.append(f"{where}: {response.status_code}")
                for secret in (ADMIN, ANIME, MOVIES):
                    if secret in text and secret not in str(headers):
                        failures.append(f"{where}: shows a configured key")
                if template in PUBLIC:
                    continue
                if template.startswith("/api/v1/"):
                    if response.status_code != 401 or "error" not in response.json():
                        failures.append(f"{where}: {response.status_code} {text[:80]}")
                elif template.startswith("/torznab/"):
                    # Torznab keys travel as ?apikey= (a header is not a Torznab key); the
                    # movies key opens /torznab/api (movies only) and the movies endpoint
                    is_anime = path.startswith("/torznab/anime/")
                    opened = case == "other library" and as_query and not is_anime
                    if opened != ('code="100"' not in text):
                        failures.append(f"{where}: {response.status_code} {text[:80]}")
    assert not failures, "\n".join(failures)


async def test_the_right_keys_open_what_they_should(client: httpx.AsyncClient) -> None:
    admin = await client.get("/api/v1/libraries", headers={"X-Api-Key": ADMIN})
    assert admin.status_code == 200
    anime = await client.get("/torznab/anime/api", params={"t": "caps", "apikey": ANIME})
    assert "<caps>" in anime.text
    movies_with_anime_key = await client.get(
        "/torznab/movies/api", params={"t": "caps", "apikey": ANIME}
    )
    assert 'code="100"' in movies_with_anime_key.text
    every = await client.get("/torznab/api", params={"t": "caps", "apikey": ANIME})
    assert "<caps>" in every.text and "Movies" not in every.text
