"""Sonarr/Radarr specifics: monitored filter, series types, missing key, wrong app."""

from __future__ import annotations

import httpx
import pytest

from anibridge_like.demo.arr import FakeArr
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.sync.arr import RadarrSync, SonarrConfig, SonarrSync
from tests.sync.conftest import CTX, KEY, MOVIES, SERIES


def _client(fake: FakeArr) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app))


async def test_unmonitored_series_listed_when_asked() -> None:
    config = SonarrConfig(base_url="http://fake", api_key=KEY, monitored_only=False)
    async with _client(FakeArr("Sonarr", KEY, SERIES)) as client:
        result = await SonarrSync(config, client).sync(CTX, None)
    status = {i.external_id: i.list_status for i in result.items}
    assert status == {"tvdb:424536": "wanted", "tvdb:334824": "wanted", "tvdb:70001": "unmonitored"}


async def test_series_types_filter_and_ids() -> None:
    config = SonarrConfig(base_url="http://fake", api_key=KEY, series_types=["anime"])
    async with _client(FakeArr("Sonarr", KEY, SERIES)) as client:
        result = await SonarrSync(config, client).sync(CTX, None)
    [item] = result.items
    assert item.ids.tvdb == 424536 and item.ids.imdb == "tt22248376" and item.year == 2023


async def test_missing_key_is_not_configured_without_a_request() -> None:
    fake = FakeArr("Sonarr", KEY, SERIES)
    async with _client(fake) as client:
        plugin = SonarrSync(SonarrConfig(base_url="http://fake"), client)
        with pytest.raises(PluginError) as caught:
            await plugin.sync(CTX, None)
    assert caught.value.code is ErrorCode.NOT_CONFIGURED and fake.control.requests == 0


async def test_radarr_url_in_a_sonarr_instance_is_not_configured() -> None:
    config = SonarrConfig(base_url="http://fake", api_key=KEY)
    async with _client(FakeArr("Radarr", KEY, MOVIES)) as client:
        with pytest.raises(PluginError) as caught:
            await SonarrSync(config, client).sync(CTX, None)
    assert caught.value.code is ErrorCode.NOT_CONFIGURED
    assert "Radarr" in caught.value.message


async def test_key_in_header_never_in_url() -> None:
    seen: list[httpx.Request] = []
    fake = FakeArr("Radarr", KEY, MOVIES)

    async def record(request: httpx.Request) -> None:
        seen.append(request)

    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, event_hooks={"request": [record]}) as client:
        config = RadarrSync.config_model(base_url="http://fake", api_key=KEY)
        await RadarrSync(config, client).sync(CTX, None)
    assert seen and all(KEY not in str(r.url) and r.headers["x-api-key"] == KEY for r in seen)
