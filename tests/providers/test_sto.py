"""The s.to provider: page parsers on hand-written HTML (optional parts missing, required parts
missing, truncation, language labels) and the provider against the fake s.to site in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.faults import FaultController
from anibridge_like.demo.sites.sto import (
    build_app,
    episodes_by_season,
    has_announced_season,
    legacy_season,
    season_numbers,
)
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import FILM_SEASON, Language
from anibridge_like.plugins.registry import Registry
from anibridge_like.providers.language_labels import language_from_label
from anibridge_like.providers.sto import StoConfig, StoProvider
from anibridge_like.providers.sto_pages import (
    ListingStream,
    parse_episode_page,
    parse_listing,
    parse_season_page,
    parse_series_page,
)
from tests.providers.test_conformance import assert_detail_matches, assert_listing_matches

BASE = "http://sto.test"


def doc(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>x</title></head><body>{body}</body></html>"


# ---- language labels --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("label", "language_id", "expected"),
    [
        ("Deutsch", "1", Language.GERMAN_DUB),
        ("Englisch", "2", Language.ENGLISH_DUB),
        ("Englisch, Untertitel Deutsch", "3", Language.GERMAN_SUB),
        ("mit deutschen Untertiteln", None, Language.GERMAN_SUB),
        ("Japanisch, Untertitel Englisch", None, Language.ENGLISH_SUB),
        ("  DEUTSCH ", None, Language.GERMAN_DUB),
        ("Japanisch", None, Language.JAPANESE),
        (None, "3", Language.GERMAN_SUB),
        ("Klingonisch", "2", Language.ENGLISH_DUB),
        ("Französisch", "9", None),
        (None, None, None),
    ],
)
def test_language_labels_map_to_the_vocabulary(
    label: str | None, language_id: str | None, expected: Language | None
) -> None:
    assert language_from_label(label, language_id) == expected


# ---- listing parser ---------------------------------------------------------------------------
LISTING = doc(
    '<div class="popular"><a href="/serie/who-killed"><img alt=""></a></div>'
    '<!-- <li><a href="/serie/removed">Removed</a></li> -->'
    '<div class="series-list"><ul>'
    '<li><a href="/serie/the-black-dragon" data-alternative-title="Kuro no Ryu, The Black Dragon">'
    "The Black Dragon</a></li>"
    '<li><a href="https://s.to/serie/who-killed">Who Killed the &quot;Ritter&quot;?</a></li>'
    '<li><a href="/serie/the-black-dragon">Duplicate</a></li>'
    '<li><a href="/serie/no-title"> </a></li>'
    '<li><a href="/katalog/A">A</a></li>'
    '<li><a href="/serie/cafe/staffel-1">season link, not a series</a></li>'
    "</ul></div>"
)


def test_listing_reads_titles_aliases_and_skips_what_is_not_a_series() -> None:
    listing = parse_listing(LISTING)
    assert listing.complete
    assert [(i.slug, i.title, i.aliases) for i in listing.items] == [
        ("the-black-dragon", "The Black Dragon", ("Kuro no Ryu",)),
        ("who-killed", 'Who Killed the "Ritter"?', ()),
    ]


def test_listing_resumes_after_a_slug_and_restarts_when_it_is_gone() -> None:
    assert [i.slug for i in parse_listing(LISTING, "the-black-dragon").items] == ["who-killed"]
    assert len(parse_listing(LISTING, "vanished-meanwhile").items) == 2


def test_a_truncated_listing_drops_the_entry_at_the_cut() -> None:
    cut = LISTING[: LISTING.index("Duplicate")]
    listing = parse_listing(cut)
    assert not listing.complete
    assert [i.slug for i in listing.items] == ["the-black-dragon", "who-killed"]
    cut_in_title = LISTING[: LISTING.index("Killed")]
    assert [i.slug for i in parse_listing(cut_in_title).items] == ["the-black-dragon"]


def test_the_streamed_listing_equals_the_whole_page_parse() -> None:
    stream = ListingStream()
    items = [item for n in range(0, len(LISTING), 7) for item in stream.feed(LISTING[n : n + 7])]
    listing = stream.close()
    assert listing.complete
    assert items + listing.items == parse_listing(LISTING).items


@pytest.mark.parametrize(
    ("html", "named"),
    [
        (doc('<div><a href="/serie/x"><img alt="poster only"></a></div>'), "with a title"),
        (doc('<div class="series-list"><a href="/show/x">X</a></div>'), "/serie/<slug>"),
        ("<html><body><ul><li><a href='/serie/x'>", "truncated"),
    ],
)
def test_a_listing_without_its_required_parts_is_invalid_data(html: str, named: str) -> None:
    with pytest.raises(PluginError) as info:
        parse_listing(html)
    assert info.value.code is ErrorCode.INVALID_DATA
    assert named in info.value.message


# ---- series / season / episode parsers ------------------------------------------------------
def test_series_page_without_optional_parts_still_parses() -> None:
    page = parse_series_page(
        doc(
            '<h1>Bare</h1><a href="/serie/bare/staffel-2">2</a><a href="/serie/bare/filme">F</a>'
            '<a href="/serie/other/staffel-9">other series</a>'
        ),
        "bare",
    )
    assert (page.title, page.year, page.aliases, page.external_ids) == ("Bare", None, (), {})
    assert [s.season for s in page.seasons] == [2, FILM_SEASON]


def test_series_page_reads_year_aliases_and_imdb() -> None:
    page = parse_series_page(
        doc(
            '<div class="head"><h1 class="h2 mb-1 fw-bold">Süße Nacht &amp; Tag</h1>'
            '<p class="small text-muted mb-2"><a class="small text-muted" href="/jahr/2011">'
            '2011</a> - FSK 16 • <a href="https://www.imdb.com/title/tt0944947/">IMDb</a></p>'
            '<div data-alternative-title="Sweet Night, Süße Nacht &amp; Tag"></div></div>'
            '<a href="https://s.to/serie/susse-nacht/staffel-0">Specials</a>'
            '<section class="similar"><a href="/serie/other">Other</a>'
            '<a href="/jahr/1999">1999</a></section>'
        ),
        "susse-nacht",
    )
    assert (page.title, page.year, page.aliases) == ("Süße Nacht & Tag", 2011, ("Sweet Night",))
    assert page.external_ids == {"imdb": "tt0944947"}
    assert [s.season for s in page.seasons] == [0]


@pytest.mark.parametrize(
    ("html", "named"),
    [
        (doc('<div class="headline">X</div><a href="/serie/x/staffel-1">1</a>'), "h1 title"),
        (doc('<h1>X</h1><a href="/serie/x/season/1">1</a>'), "season links"),
        ('<html><h1>X</h1><a href="/serie/x/staffel-1">1</a>', "truncated"),
    ],
)
def test_series_page_without_required_parts_is_invalid_data(html: str, named: str) -> None:
    with pytest.raises(PluginError) as info:
        parse_series_page(html, "x")
    assert info.value.code is ErrorCode.INVALID_DATA
    assert named in info.value.message


def test_season_page_reads_links_with_or_without_titles() -> None:
    html = doc(
        "<table><tr><td><a href='/serie/x/staffel-1/episode-2'>2</a></td>"
        "<td><a href='/serie/x/staffel-1/episode-2'><strong>Anfang</strong><span>Start</span>"
        "</a></td></tr></table><a href='/serie/x/staffel-1/episode-1'>1</a>"
        "<a href='/serie/x/staffel-2/episode-1'>other season</a>"
    )
    episodes = parse_season_page(html, "x", 1)
    assert [(e.number, e.titles, e.languages) for e in episodes] == [
        (1, {}, None),
        (2, {"de": "Anfang", "en": "Start"}, None),
    ]
    with pytest.raises(PluginError, match="episode links") as info:
        parse_season_page(html, "x", 3)
    assert info.value.code is ErrorCode.INVALID_DATA


def test_season_page_reads_languages_from_the_row_flags() -> None:
    html = doc(
        "<table><tr class='episode-row'><th><a href='https://s.to/serie/x/staffel-2/episode-1'>"
        "1</a></th><td><svg class='svg-flag-german'></svg><svg class='svg-flag-english'></svg>"
        "</td></tr><tr class='episode-row'><th><a href='/serie/x/staffel-2/episode-2'>2</a></th>"
        "<td><svg class='svg-flag-klingon'></svg></td></tr></table>"
    )
    episodes = parse_season_page(html, "x", 2)
    assert [(e.number, e.languages) for e in episodes] == [
        (1, {Language.GERMAN_DUB, Language.ENGLISH_DUB}),
        (2, None),
    ]


def test_an_announced_season_page_is_empty_and_any_other_page_without_episodes_is_invalid() -> None:
    announced = doc("<div class='alert'>Noch keine Episoden</div>").replace(
        "<head>", "<head><link rel='canonical' href='https://s.to/serie/x/staffel-4'>"
    )
    assert parse_season_page(announced, "x", 4) == []
    with pytest.raises(PluginError, match="episode links"):
        parse_season_page(announced, "x", 3)
    with pytest.raises(PluginError, match="episode links"):
        parse_season_page(doc("<p>nothing</p>"), "x", 4)


def test_episode_page_languages_skip_unknown_labels() -> None:
    html = doc(
        '<button data-play-url="/r?t=1" data-language-label="Deutsch" data-language-id="1">'
        '</button><button data-play-url="/r?t=2" data-language-id="3"></button>'
        '<button data-play-url="/r?t=3" data-language-label="Französisch" data-language-id="9">'
        "</button>"
    )
    found = parse_episode_page(html, "/e")
    assert found.languages == {Language.GERMAN_DUB, Language.GERMAN_SUB}
    assert found.unknown == ("Französisch#9",)


@pytest.mark.parametrize(
    ("html", "named", "retry"),
    [
        (doc('<a data-stream="/r?t=1" data-lang="1">VOE</a>'), "player buttons", False),
        (doc('<button data-play-url="/r?t=1">VOE</button>'), "data-language-label", False),
        ('<html><button data-play-url="/r" data-language-id="1">', "truncated", True),
    ],
)
def test_episode_page_without_required_parts_is_invalid_data(
    html: str, named: str, retry: bool
) -> None:
    with pytest.raises(PluginError) as info:
        parse_episode_page(html, "/e")
    assert info.value.code is ErrorCode.INVALID_DATA
    assert named in info.value.message
    assert info.value.retry is retry


# ---- the provider against the fake site -------------------------------------------------------
class InFlight:
    """ASGI wrapper measuring the most requests the site handled at once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.now = 0
        self.peak = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


@pytest.fixture(scope="module")
def catalog() -> GeneratedCatalog:
    return GeneratedCatalog("sto", 60, seed=3)


@pytest.fixture
def faults() -> FaultController:
    return FaultController()


@pytest.fixture
def site(catalog: GeneratedCatalog, faults: FaultController) -> InFlight:
    return InFlight(build_app(catalog, faults))


@pytest.fixture
async def client(site: InFlight) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=site)) as http:
        yield http


def provider(client: httpx.AsyncClient, **config: object) -> StoProvider:
    cls = Registry().get("provider", "sto")
    assert cls is StoProvider
    settings = {"base_url": BASE, "requests_per_second": None, **config}
    return StoProvider(StoConfig.model_validate(settings), client)


def test_config_defaults_to_the_real_site_and_rejects_unknown_keys() -> None:
    assert StoConfig().base_url == "https://s.to"
    with pytest.raises(ValidationError, match="sitemap_path"):
        StoConfig.model_validate({"sitemap_path": "/x"})


async def test_every_title_and_every_episode_language_matches_the_truth(
    catalog: GeneratedCatalog, client: httpx.AsyncClient
) -> None:
    sto = provider(client)
    page = await sto.list_titles(None)
    assert not page.has_more
    assert_listing_matches(page.items, catalog)
    for gen in catalog:
        detail = await sto.fetch_detail(gen.slug)
        assert_detail_matches(detail, gen)
        assert detail.year == gen.year
        assert all(e.languages for e in detail.episodes)
    assert any(has_announced_season(t.slug) for t in catalog)


def with_legacy_season(catalog: GeneratedCatalog) -> tuple[int, int]:
    """(index, season) of a title with a season page that shows no language flags."""
    for i in range(len(catalog)):
        gen = catalog.title(i)
        for season in episodes_by_season(gen):
            if legacy_season(gen.slug, season):
                return i, season
    raise AssertionError("no legacy season in the catalog")


async def test_a_detail_costs_one_request_per_season_plus_flagless_episodes(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    index, season = with_legacy_season(catalog)
    gen = catalog.title(index)
    flagless = len(episodes_by_season(gen)[season])
    assert_detail_matches(await provider(client).fetch_detail(gen.slug), gen)
    assert faults.count() == 1 + len(season_numbers(gen)) + flagless
    assert faults.count("/serie/*/episode-*") == flagless
    faults.reset_counters()
    detail = await provider(client, episode_languages=False).fetch_detail(gen.slug)
    assert faults.count() == 1 + len(season_numbers(gen))
    assert sum(1 for e in detail.episodes if not e.languages) == flagless


async def test_an_announced_season_is_a_season_with_no_episodes_not_a_failure(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    gen = next(t for t in catalog if has_announced_season(t.slug))
    detail = await provider(client).fetch_detail(gen.slug)
    assert_detail_matches(detail, gen)
    newest = max(season_numbers(gen))
    assert faults.count(f"/serie/{gen.slug}/staffel-{newest}") == 1
    assert not [e for e in detail.episodes if e.season == newest]


async def test_an_older_season_without_episodes_is_a_loud_layout_change(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    gen = next(t for t in catalog if len([s for s in episodes_by_season(t) if s > 0]) >= 2)
    faults.add("layout", path=f"/serie/{gen.slug}/staffel-1")
    with pytest.raises(PluginError, match="list no episode") as info:
        await provider(client).fetch_detail(gen.slug)
    assert info.value.code is ErrorCode.INVALID_DATA


async def test_season_pages_are_fetched_concurrently_within_the_host_limit(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController, site: InFlight
) -> None:
    faults.add("slow", path="/serie/*/staffel-*", delay=0.02)
    gen = max(catalog, key=lambda t: len(season_numbers(t)))
    assert len(season_numbers(gen)) >= 3
    await provider(client, max_concurrency=2).fetch_detail(gen.slug)
    assert site.peak == 2


async def test_a_429_pauses_every_request_to_the_host_until_its_window_ends(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    gen = catalog.title(7)
    faults.add("rate_limit", path=f"/serie/{gen.slug}/staffel-1", count=1, retry_after=0.3)
    sto = provider(client, max_concurrency=4)
    others = [catalog.title(i).slug for i in range(10, 16)]
    results = await asyncio.gather(
        sto.fetch_detail(gen.slug), *(sto.fetch_detail(s) for s in others), return_exceptions=True
    )
    first = results[0]
    assert isinstance(first, PluginError) and first.code is ErrorCode.RATE_LIMITED
    assert first.retry_after == pytest.approx(0.3)
    assert all(not isinstance(r, BaseException) for r in results[1:])
    assert faults.rate_limited == 1
    assert faults.inside_window == 0
    assert_detail_matches(await sto.fetch_detail(gen.slug), gen)


async def test_a_linked_page_answering_404_fails_the_detail_as_upstream(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    gen = catalog.title(8)
    faults.add("server_error", status=404, path=f"/serie/{gen.slug}/staffel-1")
    with pytest.raises(PluginError, match="linked from") as info:
        await provider(client).fetch_detail(gen.slug)
    assert info.value.code is ErrorCode.UPSTREAM


async def test_a_layout_change_on_episode_pages_alone_is_loud(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    faults.add("layout", path="/serie/*/episode-*")
    index, _season = with_legacy_season(catalog)
    with pytest.raises(PluginError, match="player buttons") as info:
        await provider(client).fetch_detail(catalog.title(index).slug)
    assert info.value.code is ErrorCode.INVALID_DATA


async def test_a_truncated_listing_hands_over_its_titles_and_resumes_after_the_last(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    faults.add("truncate", path="/serien", keep=0.5, count=1)
    sto = provider(client)
    with pytest.raises(PluginError) as info:
        await sto.list_titles(None)
    err = info.value
    assert err.code is ErrorCode.PARTIAL
    assert 0 < len(err.items) < len(catalog)
    assert err.cursor == f"after:{err.items[-1].slug}"
    rest = await sto.list_titles(err.cursor)
    assert not {i.slug for i in rest.items} & {i.slug for i in err.items}
    assert_listing_matches([*err.items, *rest.items], catalog)


async def test_the_listing_honours_drop_titles(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    faults.add("drop_titles", share=0.3)
    page = await provider(client).list_titles(None)
    slugs = {i.slug for i in page.items}
    assert slugs < set(catalog.slugs)
    assert len(catalog) * 0.5 < len(slugs) < len(catalog) * 0.9


async def test_concurrent_details_share_one_host_limit(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController, site: InFlight
) -> None:
    faults.add("slow", path="/serie/*", delay=0.01)
    sto = provider(client, max_concurrency=2)
    details = await asyncio.gather(*(sto.fetch_detail(catalog.title(i).slug) for i in range(4)))
    assert [d.slug for d in details] == [catalog.title(i).slug for i in range(4)]
    assert site.peak == 2
