"""The admin API's bad input: every answer a 4xx JSON naming the field, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from anibridge_like.api.limits import json_depth_problem
from anibridge_like.app import create_app
from anibridge_like.seed import Seed
from anibridge_like.settings import Settings

KEY = {"X-Api-Key": "adm"}
URL = "/api/v1/titles/sto/some-show/mapping"


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings.model_copy(update={"admin_api_key": SecretStr("adm"), "max_body_bytes": 4096}),
        seed=Seed(),
        start_services=False,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield c


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tvdb_id": 2**63}, "tvdb_id"),
        ({"tvdb_id": 10**30}, "tvdb_id"),
        ({"tvdb_id": True}, "tvdb_id"),
        ({"tmdb_id": "12"}, "tmdb_id"),
        ({"tvdb_id": 0}, "tvdb_id"),
        ({"mal_id": -5}, "mal_id"),
        ({"tvdb_id": 1, "season_map": {"1": -1}}, "season_map"),
        ({"tvdb_id": 1, "season_map": {"-2": 1}}, "season_map"),
        ({"imdb_id": "tt" + "1" * 1000}, "imdb_id"),
        ({"imdb_id": "tt١٢٣٤٥٦٧"}, "imdb_id"),  # Arabic-Indic digits are digits to str.isdigit
        ({"tvdb_id": 1, "canonical_year": True}, "canonical_year"),
        ({"tvdb_id": 1, "note": "x" * 3000}, "note"),
    ],
)
async def test_put_mapping_refuses_out_of_range_values_with_the_field_path(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await client.put(URL, json=body, headers=KEY)
    assert response.status_code == 422, response.text
    issues = response.json()["issues"]
    assert any(issue["loc"].startswith(field) for issue in issues), issues


async def test_put_mapping_accepts_the_largest_sqlite_id(client: httpx.AsyncClient) -> None:
    response = await client.put(URL, json={"tvdb_id": 2**63 - 1}, headers=KEY)
    assert response.status_code == 200, response.text
    assert response.json()["override"]["tvdb_id"] == 2**63 - 1


@pytest.mark.parametrize("depth", [100, 100_000])
async def test_deeply_nested_json_is_a_400(client: httpx.AsyncClient, depth: int) -> None:
    body = "[" * depth + "]" * depth
    headers = {**KEY, "content-type": "application/json"}
    response = await client.put(URL, content=body[:4000], headers=headers)
    assert response.status_code == 400
    assert "nested deeper" in response.json()["error"]


@pytest.mark.parametrize("content", [b"{", b"\xff\xfe", b"1" * 5000, b"nul"])
async def test_a_body_that_is_not_json_is_a_400(client: httpx.AsyncClient, content: bytes) -> None:
    response = await client.put(URL, content=content[:4000], headers=KEY)
    assert response.status_code == 400
    assert "error" in response.json()


async def test_a_body_over_the_limit_is_refused_before_it_is_read(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put(URL, content=b"{" + b" " * 20_000 + b"}", headers=KEY)
    assert response.status_code == 413
    assert "ANIBRIDGE_MAX_BODY_BYTES" in response.json()["error"]


async def test_a_streamed_body_over_the_limit_is_cut_off(client: httpx.AsyncClient) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(10_000):  # 10 MB if it were all read
            sent += 1
            yield b" " * 1024

    response = await client.put(URL, content=chunks(), headers=KEY)
    assert response.status_code == 413
    assert sent < 100


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert json_depth_problem('{"a": "[[[[[[[[[[[[[[[["}', 3) is None
    assert json_depth_problem('{"a": "\\"[[[[["}', 3) is None
    assert json_depth_problem("[[[[1]]]]", 3) is not None
