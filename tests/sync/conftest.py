"""The sync conformance suite's ground: every registered sync implementation with its fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from anibridge_like.demo.anilist_lists import FakeAniListLists, FakeMedia, ListEntry
from anibridge_like.demo.arr import ArrEntry, FakeArr
from anibridge_like.plugins.registry import Registry
from anibridge_like.plugins.sync import SyncContext, SyncPlugin

KEY = "secret-key"
SERIES = [
    ArrEntry(1, "Frieren", 2023, tvdb_id=424536, imdb_id="tt22248376", series_type="anime"),
    ArrEntry(2, "Dark", 2017, tvdb_id=334824, tmdb_id=70523),
    ArrEntry(3, "Old Show", 2001, monitored=False, tvdb_id=70001),
]
MOVIES = [
    ArrEntry(1, "Your Name", 2016, tmdb_id=372058, imdb_id="tt5311514"),
    ArrEntry(2, "Perfect Blue", 1997, tmdb_id=10494, monitored=False),
]
MEDIA = [FakeMedia(100 + i, f"Show {i}", 2000 + i, mal_id=500 + i) for i in range(7)]
ALICE = [
    ListEntry(100, "PLANNING"),
    ListEntry(101, "CURRENT"),
    ListEntry(102, "COMPLETED"),
    ListEntry(103, "DROPPED"),
    ListEntry(104, "REPEATING"),
    ListEntry(105, "PLANNING"),
]


@dataclass
class Harness:
    """A plugin built through the registry against its fake (in-process transport)."""

    plugin: SyncPlugin
    fake: Any
    expected: set[str]
    """External ids a complete default sync lists."""
    paged: bool

    def fail_next(self, **kw: Any) -> None:
        self.fake.control.fail_next(**kw)


def _arr(app: str) -> Callable[[], tuple[Any, dict[str, Any], set[str]]]:
    def make() -> tuple[Any, dict[str, Any], set[str]]:
        if app == "Sonarr":
            return FakeArr("Sonarr", KEY, SERIES), {}, {"tvdb:424536", "tvdb:334824"}
        return FakeArr("Radarr", KEY, MOVIES), {}, {"tmdb:372058"}

    return make


def _anilist() -> tuple[Any, dict[str, Any], set[str]]:
    fake = FakeAniListLists(MEDIA, {"alice": ALICE}, {})
    config = {"username": "alice", "per_chunk": 2}
    return fake, config, {"anilist:100", "anilist:101", "anilist:102", "anilist:104", "anilist:105"}


MAKERS: dict[str, Callable[[], tuple[Any, dict[str, Any], set[str]]]] = {
    "sonarr": _arr("Sonarr"),
    "radarr": _arr("Radarr"),
    "anilist": _anilist,
}
CTX = SyncContext("anime", "Anime", "anime", "test-instance")


def build(
    implementation: str, fake: Any, config: dict[str, Any], client: httpx.AsyncClient
) -> SyncPlugin:
    impl = Registry().get("sync", implementation)
    full = {"base_url": "http://fake", **config}
    if impl.capabilities.requires_key and "api_key" not in full:
        full["api_key"] = KEY
    plugin: SyncPlugin = impl(impl.config_model.model_validate(full), client)
    return plugin


@pytest.fixture(params=sorted(Registry().names("sync")))
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    name = request.param
    if name not in MAKERS:
        pytest.fail(f"sync implementation {name!r} has no fake in tests/sync/conftest.py")
    fake, config, expected = MAKERS[name]()
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
        plugin = build(name, fake, config, client)
        yield Harness(plugin, fake, expected, plugin.capabilities.paged)
