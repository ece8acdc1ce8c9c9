"""PUT/GET/DELETE /api/v1/titles/{site}/{slug}/mapping through the real application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from anibridge_like.app import create_app
from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.seed import Seed
from anibridge_like.settings import Settings
from tests.catalog.canonical_support import index_catalog

SERIES = GeneratedCatalog("sto", 5, seed=2)
KEY = {"X-Api-Key": "adm"}


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(
        settings.model_copy(update={"admin_api_key": SecretStr("adm")}),
        seed=Seed(),
        start_services=False,
    )
    async with app.router.lifespan_context(app):
        ctx = app.state.ctx
        await index_catalog(ctx.writer, SERIES, range(2))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield c, ctx


def url(slug: str, site: str = "sto") -> str:
    return f"/api/v1/titles/{site}/{slug}/mapping"


async def test_the_admin_key_is_required(client: tuple[httpx.AsyncClient, Any]) -> None:
    c, _ = client
    slug = SERIES.title(0).slug
    assert (await c.get(url(slug))).status_code == 401
    assert (await c.put(url(slug), json={"tvdb_id": 1})).status_code == 401
    assert (await c.get(url(slug), headers={"X-Api-Key": "wrong"})).status_code == 401
    assert (await c.get(url(slug) + "?apikey=adm")).status_code == 200


async def test_put_pins_and_get_shows_it(client: tuple[httpx.AsyncClient, Any]) -> None:
    c, ctx = client
    slug = SERIES.title(0).slug
    got = await c.get(url(slug), headers=KEY)
    assert got.status_code == 200 and got.json()["mapping"] is None
    body = {
        "tvdb_id": 81189,
        "imdb_id": "0903747",
        "canonical_title": "Breaking Bad",
        "numbering": "absolute",
        "season_map": {"1": 2},
        "note": "checked by hand",
    }
    put = await c.put(url(slug), json=body, headers=KEY)
    assert put.status_code == 200, put.text
    view = put.json()
    assert view["mapping"]["status"] == "confirmed" and view["mapping"]["pinned"] is True
    assert view["mapping"]["tvdb_id"] == 81189 and view["mapping"]["imdb_id"] == "tt0903747"
    assert view["mapping"]["source"] == "override"
    assert view["override"]["origin"] == "api" and view["override"]["season_map"] == {"1": 2}
    assert view["state"]["canonical_status"] == "pending"
    again = (await c.get(url(slug), headers=KEY)).json()
    assert again["mapping"] == view["mapping"] and again["episodes"]["total"] == 0
    rows = await ctx.readers.fetchall(
        "SELECT pinned FROM series_mappings sm JOIN titles t ON t.id = sm.title_id"
        " WHERE t.slug = ?",
        (slug,),
    )
    assert [r[0] for r in rows] == [1]


async def test_put_before_the_title_is_indexed_keeps_the_override(
    client: tuple[httpx.AsyncClient, Any],
) -> None:
    c, _ = client
    put = await c.put(url("not-yet-listed"), json={"tvdb_id": 5}, headers=KEY)
    assert put.status_code == 200
    assert put.json()["indexed"] is False and put.json()["override"]["tvdb_id"] == 5
    assert (await c.get(url("never-heard-of"), headers=KEY)).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "where"),
    [
        ({}, 422, ""),
        ({"tvdb_id": 1, "bogus": 2}, 422, "bogus"),
        ({"tvdb_id": -3}, 422, "tvdb_id"),
        ({"imdb_id": "nonsense"}, 422, "imdb_id"),
        ({"tvdb_id": 1, "numbering": "sideways"}, 422, "numbering"),
        ({"tvdb_id": 1, "site": "aniworld"}, 422, ""),
        ([1, 2], 400, ""),
    ],
)
async def test_put_rejects_bad_bodies(
    client: tuple[httpx.AsyncClient, Any], body: Any, status: int, where: str
) -> None:
    c, _ = client
    answer = await c.put(url(SERIES.title(0).slug), json=body, headers=KEY)
    assert answer.status_code == status
    if where:
        assert where in str(answer.json()["issues"])
    assert (await c.get(url(SERIES.title(0).slug), headers=KEY)).json()["override"] is None


async def test_delete_unpins(client: tuple[httpx.AsyncClient, Any]) -> None:
    c, _ = client
    slug = SERIES.title(1).slug
    assert (await c.delete(url(slug), headers=KEY)).status_code == 404
    await c.put(url(slug), json={"tvdb_id": 77}, headers=KEY)
    assert (await c.delete(url(slug), headers=KEY)).status_code == 204
    view = (await c.get(url(slug), headers=KEY)).json()
    assert view["override"] is None and view["mapping"]["pinned"] is False
