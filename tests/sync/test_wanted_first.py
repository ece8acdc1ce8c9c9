"""Wanted first in the no-query Torznab feed (RSS sync): recent releases of wanted titles lead,
every other release follows in feed order, pages stay disjoint."""

from __future__ import annotations

from datetime import timedelta

from anibridge_like.catalog.state import iso, utcnow
from anibridge_like.plugins.sync import ExternalIds, SyncResult, WantedItem
from anibridge_like.settings import Settings
from anibridge_like.sync.runner import sync_instance
from tests.sync.support import PLANS, running_app, script
from tests.torznab.conftest import Catalog, Ep, Show
from tests.torznab.xmlutil import items


def ago(days: float) -> str:
    stamp = iso(utcnow() - timedelta(days=days))
    assert stamp is not None
    return stamp


def catalog() -> Catalog:
    return Catalog(
        ready=("aw", "sto", "mk"),
        shows=[
            Show("aniworld", "fresh", "Fresh", [Ep(1, 1, {"de_dub": ago(1)})],
                 mapping={"tvdb_id": 1}),
            Show("aniworld", "frieren", "Frieren",
                 [Ep(1, 1, {"de_dub": ago(30)}), Ep(1, 2, {"de_dub": ago(3)})],
                 mapping={"tvdb_id": 424536}),
            Show("aniworld", "other", "Other", [Ep(1, 1, {"de_dub": ago(2)})],
                 mapping={"tvdb_id": 2}),
        ],
    )  # fmt: skip


def names(response: object) -> list[str]:
    return [i.title.split(" S01")[0] for i in items(response)]  # type: ignore[arg-type]


async def test_rss_puts_recent_releases_of_wanted_titles_first(settings: Settings) -> None:
    async with running_app(settings, catalog(), [script("a", "p", ["anime"])]) as (ctx, client):
        before = names(await client.get("/torznab/anime/api?t=search"))
        assert before == ["Fresh", "Other", "Frieren", "Frieren"]
        PLANS["p"] = [SyncResult([WantedItem("tvdb:424536", ExternalIds(tvdb=424536),
                                              "Frieren", 2023, "series", "wanted")])]  # fmt: skip
        await sync_instance(ctx, "a", "anime")
        feed = await client.get("/torznab/anime/api?t=search")
        assert names(feed) == ["Frieren", "Fresh", "Other", "Frieren"]
        [first, *_, last] = items(feed)
        assert "S01E02" in first.title and "S01E01" in last.title  # only the recent one leads
        page1 = items(await client.get("/torznab/anime/api?t=search&limit=2"))
        page2 = items(await client.get("/torznab/anime/api?t=search&limit=2&offset=2"))
        assert [i.guid for i in page1 + page2] == [i.guid for i in items(feed)]
        # a search with a query is not reordered
        found = names(await client.get("/torznab/anime/api?t=search&q=frieren"))
        assert found == ["Frieren", "Frieren"]


async def test_only_wanted_and_watching_entries_lead(settings: Settings) -> None:
    async with running_app(settings, catalog(), [script("a", "p", ["anime"])]) as (ctx, client):
        done = WantedItem(
            "tvdb:424536", ExternalIds(tvdb=424536), "Frieren", 2023, "series", "completed"
        )
        PLANS["p"] = [SyncResult([done])]
        await sync_instance(ctx, "a", "anime")
        assert names(await client.get("/torznab/anime/api?t=search")) == [
            "Fresh", "Other", "Frieren", "Frieren",
        ]  # fmt: skip
