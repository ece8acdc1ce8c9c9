"""One conformance suite, run unchanged against every registered metadata implementation and
its fake server."""

from __future__ import annotations

import httpx
import pytest
from pydantic import BaseModel, ValidationError

from anibridge_like.demo.metadata.records import Movie, Show
from anibridge_like.metadata.skyhook import SkyHookConfig, SkyHookMetadata
from anibridge_like.metadata.tmdb import TmdbConfig, TmdbMetadata
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.metadata import (
    MetadataCapabilities,
    MetadataProvider,
    from_json,
    to_json,
)
from anibridge_like.plugins.registry import Registry
from tests.fakes.metadata_common import FakeControl, serve_loopback
from tests.fakes.skyhook import FakeSkyHook
from tests.fakes.tmdb import FakeTmdb
from tests.metadata.conftest import FAKES, IMPLEMENTATIONS, MOVIES, Harness, configured


def test_every_registered_implementation_has_a_fake() -> None:
    assert set(IMPLEMENTATIONS) >= {"skyhook", "anilist", "tmdb"}
    assert set(IMPLEMENTATIONS) <= set(FAKES)


def test_capabilities_and_config_are_declared_as_data(harness: Harness) -> None:
    caps = harness.impl.capabilities
    assert isinstance(caps, MetadataCapabilities)
    assert caps.kinds and caps.namespace
    assert caps.numbering or caps.aliases or caps.movies
    assert issubclass(harness.impl.config_model, BaseModel)
    with pytest.raises(ValidationError):
        harness.impl.config_model.model_validate({"no_such_key": 1})
    assert isinstance(harness.plugin(), MetadataProvider)


async def _search(h: Harness, title: str, year: int | None) -> list[object]:
    plugin = h.plugin()
    if h.impl.capabilities.movies:
        return list(await plugin.search_movie(title, year))
    return list(await plugin.search_series(title, year))


async def _get(h: Harness, id: str) -> object:
    plugin = h.plugin()
    if h.impl.capabilities.movies:
        return await plugin.get_movie(id)
    return await plugin.get_series(id)


async def test_search_finds_known_titles_by_canonical_name(harness: Harness) -> None:
    truth = harness.spec.truth()[:8]
    assert truth
    for t, id in truth:
        found = await _search(harness, t.canonical_title, t.year)
        assert id in [c.id for c in found], (t.canonical_title, id)  # type: ignore[attr-defined]


async def test_get_returns_canonical_name_year_and_ids(harness: Harness) -> None:
    ns = harness.impl.capabilities.namespace
    for t, id in harness.spec.truth()[:5]:
        info = await _get(harness, id)
        assert info.id == id  # type: ignore[attr-defined]
        assert info.title == t.canonical_title  # type: ignore[attr-defined]
        assert info.year == t.year  # type: ignore[attr-defined]
        assert info.external_ids[ns] == id  # type: ignore[attr-defined]
        if ns in ("tvdb", "tmdb"):
            assert info.external_ids.get("imdb") == t.imdb_id  # type: ignore[attr-defined]
        assert from_json(to_json(info)) == info  # type: ignore[arg-type]


async def test_numbering_sources_list_tvdb_episodes_with_absolute_numbers(
    harness: Harness,
) -> None:
    if not harness.impl.capabilities.numbering:
        pytest.skip("not a numbering source")
    checked = 0
    for t, id in harness.spec.truth()[:10]:
        info = await harness.plugin().get_series(id)
        got = {(e.season, e.number): e for e in info.episodes}
        for ep in t.episodes:
            if ep.tvdb_season is None or ep.tvdb_episode is None:
                assert all(e.titles.get("en") != ep.titles.get("en") for e in info.episodes)
                continue
            meta = got[(ep.tvdb_season, ep.tvdb_episode)]
            assert meta.absolute == (ep.absolute if ep.kind == "episode" else None)
            assert meta.titles.get("en") == ep.titles["en"]
            checked += 1
        assert info.seasons == tuple(sorted({e.season for e in info.episodes}))
    assert checked > 50


async def test_unknown_id_is_not_found(harness: Harness) -> None:
    with pytest.raises(PluginError) as info:
        await _get(harness, "999999999")
    assert info.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(PluginError) as info:
        await _get(harness, "not-a-number")
    assert info.value.code is ErrorCode.NOT_FOUND


async def test_unsupported_calls_raise_not_found(harness: Harness) -> None:
    plugin = harness.plugin()
    with pytest.raises(PluginError) as info:
        if harness.impl.capabilities.movies:
            await plugin.search_series("Anything")
        else:
            await plugin.search_movie("Anything")
    assert info.value.code is ErrorCode.NOT_FOUND
    assert harness.control.requests == 0


async def test_declared_lookups_find_by_linked_id_and_others_are_not_found(
    harness: Harness,
) -> None:
    plugin = harness.plugin()
    movies = harness.impl.capabilities.movies
    lookup = harness.impl.capabilities.lookup
    find = plugin.find_movie if movies else plugin.find_series
    for t, id in harness.spec.truth()[:5]:
        if "imdb" in lookup and t.imdb_id:
            assert [c.id for c in await find("imdb", t.imdb_id)] == [id]
            assert [c.id for c in await find("imdb", t.imdb_id[2:])] == [id]  # without "tt"
        if "tvdb" in lookup:
            assert [c.id for c in await find("tvdb", id)] == [id]
    if "imdb" in lookup:
        assert await find("imdb", "tt0000001") == []
    sent = harness.control.requests
    for ns in ("tvdb", "tmdb", "imdb", "anilist", "mal"):
        if ns not in lookup:
            with pytest.raises(PluginError) as info:
                await find(ns, "1")
            assert info.value.code is ErrorCode.NOT_FOUND
    assert harness.control.requests == sent  # an undeclared lookup sends nothing


async def test_an_empty_search_is_an_empty_list(harness: Harness) -> None:
    assert await _search(harness, "zzzz qqqq xxxx", None) == []


async def test_rate_limit_carries_retry_after(harness: Harness) -> None:
    harness.control.fail_next(status=429, retry_after=7)
    with pytest.raises(PluginError) as info:
        await _search(harness, "Dragon", None)
    assert info.value.code is ErrorCode.RATE_LIMITED
    assert info.value.retry_after == pytest.approx(7)
    assert info.value.retry


async def test_server_errors_are_upstream_and_retryable(harness: Harness) -> None:
    harness.control.fail_next(status=503)
    with pytest.raises(PluginError) as info:
        await _search(harness, "Dragon", None)
    assert info.value.code is ErrorCode.UPSTREAM and info.value.retry


async def test_a_body_that_is_not_json_is_invalid_data(harness: Harness) -> None:
    harness.control.fail_next(status=200, body="placeholder")
    harness.control.faults[0].body = b"<html>maintenance</html>"
    with pytest.raises(PluginError) as info:
        await _search(harness, "Dragon", None)
    assert info.value.code is ErrorCode.INVALID_DATA


async def test_a_json_answer_of_the_wrong_shape_is_invalid_data(harness: Harness) -> None:
    harness.control.fail_next(
        status=200,
        body={"unexpected": True} if harness.name != "tmdb" else {"results": [{"id": "x"}]},
    )
    with pytest.raises(PluginError) as info:
        await _search(harness, "Dragon", None)
    assert info.value.code is ErrorCode.INVALID_DATA


async def test_timeouts_and_connection_errors_are_mapped(harness: Harness) -> None:
    def raise_timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def raise_refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    for handler, code in ((raise_timeout, ErrorCode.TIMEOUT), (raise_refused, ErrorCode.UPSTREAM)):
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            config = harness.impl.config_model.model_validate(
                configured(harness.spec, "http://fake.test")
            )
            plugin = harness.impl(config, client)
            with pytest.raises(PluginError) as info:
                if harness.impl.capabilities.movies:
                    await plugin.search_movie("Dragon")
                else:
                    await plugin.search_series("Dragon")
            assert info.value.code is code


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_works_against_a_loopback_server(name: str) -> None:
    spec = FAKES[name]
    impl = Registry().get("metadata", name)
    t, id = spec.truth()[0]
    async with serve_loopback(spec.build(FakeControl())) as base, httpx.AsyncClient() as client:
        plugin = impl(impl.config_model.model_validate(configured(spec, base)), client)
        if impl.capabilities.movies:
            found = await plugin.search_movie(t.canonical_title, t.year)
        else:
            found = await plugin.search_series(t.canonical_title, t.year)
        assert id in [c.id for c in found]


async def test_tmdb_without_a_key_is_not_configured_and_sends_nothing() -> None:
    control = FakeControl()
    transport = httpx.ASGITransport(app=FakeTmdb(MOVIES, control=control).app)
    impl = TmdbMetadata
    async with httpx.AsyncClient(transport=transport) as client:
        plugin = impl(impl.config_model.model_validate({"base_url": "http://t/3"}), client)
        with pytest.raises(PluginError) as info:
            await plugin.search_movie("Anything")
        assert info.value.code is ErrorCode.NOT_CONFIGURED and not info.value.retry
        wrong = impl(
            impl.config_model.model_validate({"base_url": "http://t/3", "api_key": "wrong"}), client
        )
        with pytest.raises(PluginError) as info:
            await wrong.search_movie("Anything")
        assert info.value.code is ErrorCode.AUTH
    assert control.requests == 1


async def test_skyhook_keeps_every_anilist_and_mal_id_of_a_show_in_order() -> None:
    show = Show(
        4242,
        "Cour Show",
        "2019-04-01",
        mal_ids=(11, 12, 13),
        anilist_ids=(21, 22, 23),
        anime=True,
    )
    fake = FakeSkyHook(shows=[show])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app)) as client:
        plugin = SkyHookMetadata(SkyHookConfig(base_url="http://sky.test/v1/tvdb"), client)
        info = await plugin.get_series("4242")
        assert info.id_lists == {"anilist": ("21", "22", "23"), "mal": ("11", "12", "13")}
        assert info.external_ids["anilist"] == "21"
        assert from_json(to_json(info)) == info
        found = await plugin.find_series("anilist", "23")
        assert [c.id for c in found] == ["4242"] and found[0].id_lists == info.id_lists
        assert fake.control.paths[-1].startswith("/v1/tvdb/search/")


async def test_tmdb_answers_in_its_language_and_keeps_translations_and_alternatives() -> None:
    movie = Movie(
        77,
        "The Silent Harbor",
        "The Silent Harbor",
        "2001-10-10",
        "tt0000077",
        {"de": "Der stille Hafen"},
        (("FR", "Le port silencieux"),),
        (2001,),
    )
    fake = FakeTmdb(movies=[movie], api_key="k")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app)) as client:
        german = TmdbMetadata(TmdbConfig(base_url="http://tmdb.test/3", api_key="k"), client)
        english = TmdbMetadata(
            TmdbConfig(base_url="http://tmdb.test/3", api_key="k", language="en-US"), client
        )
        assert [c.title for c in await german.search_movie("Der stille Hafen", 2001)] == [
            "Der stille Hafen"
        ]
        assert [c.title for c in await english.search_movie("Der stille Hafen")] == [
            "The Silent Harbor"
        ]
        assert await german.search_movie("Der stille Hafen", 2002) == []  # released 2001 only
        info = await german.get_movie("77")
        assert info.title == "Der stille Hafen"
        assert {"The Silent Harbor", "Le port silencieux"} <= set(info.aliases)
        found = await german.find_movie("imdb", "tt0000077")
        assert [(c.id, c.external_ids["imdb"]) for c in found] == [("77", "tt0000077")]
