"""GET /api/v1/libraries/{slug}/wanted and POST …/wanted/sync through the real app."""

from __future__ import annotations

from anibridge_like.plugins.sync import ExternalIds, SyncResult, WantedItem
from anibridge_like.settings import Settings
from anibridge_like.sync.service import service_of
from tests.sync.support import PLANS, running_app, script
from tests.sync.test_runner import catalog

KEY = {"X-Api-Key": "adm"}


def entry(key: int, title: str) -> WantedItem:
    return WantedItem(f"tvdb:{key}", ExternalIds(tvdb=key), title, 2023, "series", "wanted")


async def test_sync_then_list_with_sources_links_and_removed(settings: Settings) -> None:
    plugins = [script("a", "p", ["anime"]), script("b", "q", None)]
    async with running_app(settings, catalog(), plugins) as (ctx, client):
        PLANS["p"] = [SyncResult([entry(424536, "Frieren"), entry(3, "Gone")]),
                      SyncResult([entry(424536, "Frieren")])]  # fmt: skip
        PLANS["q"] = [SyncResult([entry(5, "Other")])]
        started = await client.post("/api/v1/libraries/anime/wanted/sync", headers=KEY)
        assert started.status_code == 202 and started.json()["started"] == ["a", "b"]
        await service_of(ctx).wait()
        await client.post("/api/v1/libraries/anime/wanted/sync", headers=KEY)
        await service_of(ctx).wait()
        body = (await client.get("/api/v1/libraries/anime/wanted", headers=KEY)).json()
        items = {(i["instance"], i["external_id"]): i for i in body["items"]}
        assert set(items) == {("a", "tvdb:424536"), ("b", "tvdb:5")}
        frieren = items[("a", "tvdb:424536")]
        assert [t["slug"] for t in frieren["titles"]] == ["frieren", "frieren-2"]
        assert frieren["ids"] == {"tvdb": 424536} and frieren["plugin"] == "script"
        assert {s["instance"]: s["status"] for s in body["sources"]} == {"a": "ok", "b": "ok"}
        every = await client.get("/api/v1/libraries/anime/wanted?removed=1", headers=KEY)
        gone = [i for i in every.json()["items"] if i["removed"]]
        assert [(i["title"], i["titles"]) for i in gone] == [("Gone", [])]


async def test_unknown_library_and_missing_key(settings: Settings) -> None:
    async with running_app(settings, catalog(), [script("a", "p", ["anime"])]) as (_, client):
        assert (await client.get("/api/v1/libraries/anime/wanted")).status_code == 401
        missing = await client.get("/api/v1/libraries/nope/wanted", headers=KEY)
        assert missing.status_code == 404 and "nope" in missing.json()["error"]
        none = await client.post("/api/v1/libraries/movies/wanted/sync", headers=KEY)
        assert none.status_code == 404
