"""AniWorld-style provider and fake site: parsers, cursors, partial listings, fault control."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.faults import FaultController
from anibridge_like.demo.sites import build_site_app
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import FILM_SEASON, SPECIAL_SEASON, Language
from anibridge_like.providers.aniworld import AniWorldProvider
from anibridge_like.providers.aniworld_pages import (
    AlphabetStream,
    parse_alphabet,
    parse_season_page,
    parse_series_page,
)
from tests.fakes.sites import serve_site
from tests.providers.test_conformance import assert_detail_matches, assert_listing_matches

CATALOG = GeneratedCatalog("aniworld", 60, seed=3)


async def _fetch_alphabet(catalog: GeneratedCatalog) -> str:
    app = build_site_app("aniworld", catalog)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app)) as client:
        return (await client.get("http://aniworld.test/animes-alphabet")).text


ALPHABET_HTML = asyncio.run(_fetch_alphabet(CATALOG))


@pytest.fixture
def faults() -> FaultController:
    return FaultController()


@pytest.fixture
async def client(faults: FaultController) -> AsyncIterator[httpx.AsyncClient]:
    app = build_site_app("aniworld", CATALOG, faults)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app)) as c:
        yield c


def provider_for(client: httpx.AsyncClient, **config: object) -> AniWorldProvider:
    return AniWorldProvider(
        {"base_url": "http://aniworld.test", "requests_per_second": None, **config}, client
    )


# ---- listing parser -----------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(ALPHABET_HTML) - 1), max_size=30))
def test_streamed_parse_equals_whole_parse_for_any_chunking(cuts: list[int]) -> None:
    bounds = [0, *sorted(set(cuts)), len(ALPHABET_HTML)]
    stream = AlphabetStream()
    items = []
    for start, end in itertools.pairwise(bounds):
        items += stream.feed(ALPHABET_HTML[start:end])
    items += stream.close()
    assert items == parse_alphabet(ALPHABET_HTML)
    assert_listing_matches(items, CATALOG)


def test_listing_cursor_resumes_exactly_after_the_given_position() -> None:
    full = parse_alphabet(ALPHABET_HTML)
    stream = AlphabetStream()
    seen = []
    for item in stream.feed(ALPHABET_HTML[: len(ALPHABET_HTML) // 2]):
        seen.append(item)
    cursor = stream.cursor
    rest = parse_alphabet(ALPHABET_HTML, cursor)
    assert seen + rest == full
    assert 0 < len(seen) < len(full)


def test_cursor_after_the_last_section_yields_nothing_and_bad_cursors_are_refused() -> None:
    assert parse_alphabet(ALPHABET_HTML, "Z:999") == []
    with pytest.raises(PluginError) as info:
        parse_alphabet(ALPHABET_HTML, "no-index")
    assert info.value.code is ErrorCode.INVALID_DATA


def test_listing_without_container_or_anchors_is_invalid_data() -> None:
    with pytest.raises(PluginError, match="#seriesContainer missing"):
        parse_alphabet(
            "<html><body><ul><li><a href='/anime/stream/x'>X</a></li></ul></body></html>"
        )
    with pytest.raises(PluginError, match="no /anime/stream/<slug> anchors"):
        parse_alphabet('<html><div id="seriesContainer"><h3>A</h3><ul></ul></div></html>')


def test_aliases_are_split_and_entities_decoded() -> None:
    html = (
        '<html><div id="seriesContainer"><h3>#</h3><ul><li><a href="/anime/stream/a-b" '
        'data-alternative-title="Ä &amp; B, , C">A &amp; B</a></li></ul></div></html>'
    )
    [item] = parse_alphabet(html)
    assert (item.slug, item.title, item.aliases) == ("a-b", "A & B", ("Ä & B", "C"))


# ---- detail parsers -----------------------------------------------------------------------
SERIES_MINIMAL = """<html><body><div class="series-title"><h1><span>Only Title</span></h1></div>
<div class="hosterSiteDirectNav" id="stream"><ul>
<li><a href="/anime/stream/only/filme">Filme</a></li>
<li><a class="active" href="/anime/stream/only/staffel-1">1</a></li></ul></div>
<table class="seasonEpisodesList"><tbody>
<tr itemtype="http://schema.org/Episode"><td><a href="/anime/stream/only/staffel-1/episode-3">F</a>
</td><td class="seasonEpisodeTitle"><a><strong>Nur Deutsch</strong></a></td>
<td class="editFunctions"></td></tr>
<tr itemtype="http://schema.org/Episode"><td><meta itemprop="episodeNumber" content="4"></td>
<td class="editFunctions"><img class="flag" src="/img/japanese-english.svg?v=2">
<img class="flag" src="/img/klingon.svg"><img class="flag" src="/img/german.svg"></td></tr>
</tbody></table></body></html>"""


def test_series_page_tolerates_missing_optional_parts() -> None:
    page = parse_series_page(SERIES_MINIMAL, "series page")
    assert (page.title, page.aliases, page.year, page.imdb) == ("Only Title", (), None, None)
    assert page.seasons == {
        FILM_SEASON: "/anime/stream/only/filme",
        1: "/anime/stream/only/staffel-1",
    }
    first, second = page.episodes
    assert (first.number, dict(first.titles), first.languages) == (3, {"de": "Nur Deutsch"}, set())
    assert second.number == 4 and second.titles == {}
    assert second.languages == {Language.ENGLISH_SUB, Language.GERMAN_DUB}


@pytest.mark.parametrize(
    ("html", "missing"),
    [
        (SERIES_MINIMAL.replace('id="stream"', 'id="nav"'), "#stream missing"),
        (SERIES_MINIMAL.replace("<span>Only Title</span>", ""), "series title"),
        (SERIES_MINIMAL.replace("seasonEpisodesList", "episodes"), "seasonEpisodesList missing"),
        (SERIES_MINIMAL.replace('content="4"', 'content=""'), "row 2: no episodeNumber"),
        (SERIES_MINIMAL.replace("</html>", ""), "truncated"),
        (SERIES_MINIMAL.replace('itemtype="http://schema.org/Episode"', ""), "lack itemtype"),
    ],
)
def test_series_page_without_a_required_part_names_it(html: str, missing: str) -> None:
    with pytest.raises(PluginError) as info:
        parse_series_page(html, "series page /anime/stream/only")
    assert info.value.code is ErrorCode.INVALID_DATA
    assert missing in info.value.message
    assert "/anime/stream/only" in info.value.message


CHALLENGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    '<div class="cf-turnstile" data-sitekey="x"></div></body></html>'
)


def test_a_captcha_page_is_blocked_not_invalid_data() -> None:
    with pytest.raises(PluginError) as listing:
        parse_alphabet(CHALLENGE)
    with pytest.raises(PluginError) as series:
        parse_series_page(CHALLENGE, "series page")
    with pytest.raises(PluginError) as season:
        parse_season_page(CHALLENGE, 2, "season page")
    assert listing.value.code is series.value.code is season.value.code is ErrorCode.BLOCKED
    assert "challenge page" in series.value.message


def test_a_captcha_widget_on_a_good_page_does_not_block_it() -> None:
    html = SERIES_MINIMAL.replace("<body>", '<body><div class="g-recaptcha"></div>')
    assert parse_series_page(html, "series page").title == "Only Title"


def test_film_and_special_rows_get_their_kinds() -> None:
    films = parse_season_page(SERIES_MINIMAL, FILM_SEASON, "films")
    specials = parse_season_page(SERIES_MINIMAL, SPECIAL_SEASON, "specials")
    assert {e.kind for e in films} == {"film"} and {e.season for e in films} == {FILM_SEASON}
    assert {e.kind for e in specials} == {"special"}


# ---- provider over the fake ---------------------------------------------------------------
async def test_detail_fetches_one_page_per_season_and_matches_the_catalog(
    client: httpx.AsyncClient, faults: FaultController
) -> None:
    provider = provider_for(client)
    for gen in CATALOG:
        if len({e.season for e in gen.episodes}) >= 3:
            break
    faults.reset_counters()
    detail = await provider.fetch_detail(gen.slug)
    assert_detail_matches(detail, gen)
    assert faults.count() == len({e.season for e in gen.episodes})
    assert detail.year == gen.year and detail.aliases == gen.aliases


async def test_detail_external_ids_are_the_linked_imdb_id_or_none(
    client: httpx.AsyncClient,
) -> None:
    provider = provider_for(client)
    linked = [t for t in CATALOG if t.imdb_id][:3]
    unlinked = [t for t in CATALOG if not t.imdb_id]
    assert linked and unlinked  # the catalog has both kinds of series page
    for gen in (*linked, *unlinked):
        detail = await provider.fetch_detail(gen.slug)
        assert dict(detail.external_ids) == ({"imdb": gen.imdb_id} if gen.imdb_id else {})


async def test_streamed_and_loaded_listing_agree(client: httpx.AsyncClient) -> None:
    streamed = await provider_for(client).list_titles(None)
    loaded = await provider_for(client, stream_listing=False).list_titles("")
    assert streamed.items == loaded.items and not streamed.has_more
    assert_listing_matches(streamed.items, CATALOG)


@pytest.mark.parametrize("stream_listing", [True, False])
async def test_truncated_listing_is_partial_and_the_cursor_completes_it(
    client: httpx.AsyncClient, faults: FaultController, stream_listing: bool
) -> None:
    provider = provider_for(client, stream_listing=stream_listing)
    faults.add("truncate", path="/animes-alphabet", keep=0.5, count=1)
    with pytest.raises(PluginError) as info:
        await provider.list_titles(None)
    err = info.value
    assert err.code is ErrorCode.PARTIAL and err.retry
    assert 0 < len(err.items) < len(CATALOG) and err.cursor
    rest = await provider.list_titles(err.cursor)
    assert_listing_matches(list(err.items) + rest.items, CATALOG)


async def test_listing_truncated_before_any_title_is_invalid_data(
    client: httpx.AsyncClient, faults: FaultController
) -> None:
    faults.add("truncate", path="/animes-alphabet", keep=0.02)
    with pytest.raises(PluginError) as info:
        await provider_for(client).list_titles(None)
    assert info.value.code is ErrorCode.INVALID_DATA


async def test_stalled_listing_body_over_loopback_is_partial() -> None:
    with serve_site("aniworld", catalog=CATALOG) as site:
        site.faults.add("slow", where="body", keep=0.5, delay=0.6, count=1)
        async with httpx.AsyncClient() as http:
            provider = AniWorldProvider({"base_url": site.base_url, "timeout": 0.2}, http)
            with pytest.raises(PluginError) as info:
                await provider.list_titles(None)
            err = info.value
            assert err.code is ErrorCode.PARTIAL and "timed out" in err.message
            rest = await provider.list_titles(err.cursor)
    assert_listing_matches(list(err.items) + rest.items, CATALOG)


async def test_provider_honours_retry_after_from_the_site(
    client: httpx.AsyncClient, faults: FaultController
) -> None:
    provider = AniWorldProvider({"base_url": "http://aniworld.test"}, client)
    faults.add("rate_limit", retry_after=0.2, count=1)
    with pytest.raises(PluginError) as info:
        await provider.list_titles(None)
    assert info.value.code is ErrorCode.RATE_LIMITED and info.value.retry_after == 0.2
    started = asyncio.get_running_loop().time()
    page = await provider.list_titles(None)  # the host pause is waited out, then it asks
    assert asyncio.get_running_loop().time() - started >= 0.15
    assert len(page.items) == len(CATALOG)
    assert faults.inside_window == 0


async def test_a_linked_season_answering_404_is_upstream_not_a_gone_title(
    client: httpx.AsyncClient, faults: FaultController
) -> None:
    gen = next(g for g in CATALOG if any(e.season == 2 for e in g.episodes))
    faults.add("server_error", status=404, path=f"/anime/stream/{gen.slug}/staffel-2")
    with pytest.raises(PluginError) as info:
        await provider_for(client).fetch_detail(gen.slug)
    assert info.value.code is ErrorCode.UPSTREAM and "staffel-2" in info.value.message


async def test_layout_change_on_season_pages_only_is_still_loud(
    client: httpx.AsyncClient, faults: FaultController
) -> None:
    gen = next(g for g in CATALOG if any(e.season == 2 for e in g.episodes))
    faults.add("layout", path="*/staffel-2")
    with pytest.raises(PluginError) as info:
        await provider_for(client).fetch_detail(gen.slug)
    assert info.value.code is ErrorCode.INVALID_DATA
    assert "staffel-2" in info.value.message and "seasonEpisodesList" in info.value.message


def test_site_key_follows_the_config_override() -> None:
    http = httpx.AsyncClient()
    assert AniWorldProvider({"base_url": "http://a.test"}, http).site == "aniworld"
    assert AniWorldProvider({"base_url": "http://a.test", "site": "aw2"}, http).site == "aw2"
    with pytest.raises(ValueError):
        AniWorldProvider({"base_url": "http://a.test", "unknown": True}, http)


# ---- the fake site itself -----------------------------------------------------------------
async def test_fake_site_serves_404_for_unknown_titles_and_seasons(
    client: httpx.AsyncClient,
) -> None:
    gen = CATALOG.title(0)
    last = max(e.season for e in gen.episodes)
    assert (await client.get("http://t/anime/stream/nope")).status_code == 404
    assert (
        await client.get(f"http://t/anime/stream/{gen.slug}/staffel-{last + 1}")
    ).status_code == 404
    assert (await client.get(f"http://t/anime/stream/{gen.slug}/staffel-{last}")).status_code == 200


async def test_faults_are_controlled_over_http(
    client: httpx.AsyncClient, faults: FaultController
) -> None:
    made = await client.post(
        "http://t/__faults",
        json=[{"kind": "server_error", "status": 503, "path": "/animes-*", "skip": 1, "count": 1}],
    )
    assert made.status_code == 200 and made.json()[0]["kind"] == "server_error"
    statuses = [(await client.get("http://t/animes-alphabet")).status_code for _ in range(3)]
    assert statuses == [200, 503, 200]
    assert (await client.get("http://t/__counters")).json() == {"/animes-alphabet": 3}
    assert (await client.post("http://t/__faults", json={"kind": "meteor"})).status_code == 400
    assert (await client.delete("http://t/__faults")).json() == []
    assert faults.faults == []
    await client.delete("http://t/__counters")
    assert faults.count() == 0


async def test_dropped_titles_are_deterministic(
    client: httpx.AsyncClient, faults: FaultController
) -> None:
    faults.add("drop_titles", share=0.3)
    provider = provider_for(client)
    first = {i.slug for i in (await provider.list_titles(None)).items}
    second = {i.slug for i in (await provider.list_titles(None)).items}
    assert first == second and len(first) < len(CATALOG)


@pytest.mark.slow
async def test_a_100k_title_listing_streams_through_the_provider() -> None:
    catalog = GeneratedCatalog("aniworld", 100_000, seed=11)
    app = build_site_app("aniworld", catalog)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app)) as http:
        page = await AniWorldProvider({"base_url": "http://big.test"}, http).list_titles(None)
    assert len(page.items) == 100_000
    assert {i.slug for i in page.items} == set(catalog.slugs)


async def test_a_film_only_title_is_a_movie_so_the_canonical_stage_can_map_it(
    client: httpx.AsyncClient, faults: FaultController
) -> None:
    film = next(g for g in CATALOG if g.kind == "movie")
    assert {e.season for e in film.episodes} == {FILM_SEASON}
    detail = await provider_for(client).fetch_detail(film.slug)
    assert detail.kind == "movie"
    assert [(e.season, e.kind) for e in detail.episodes] == [(FILM_SEASON, "film")]
    series = next(
        g for g in CATALOG if any(e.kind == "film" for e in g.episodes) and g.kind == "series"
    )
    assert (await provider_for(client).fetch_detail(series.slug)).kind == "series"
