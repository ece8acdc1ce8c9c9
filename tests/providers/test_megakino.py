"""The megakino provider: sitemap / title page / search parsers on hand-written documents, and
the provider against the fake megakino site in-process (paging by child sitemap, partial +
resume, real titles instead of slugs, slug resolution through the site's search)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.faults import FaultController
from anibridge_like.demo.sites.megakino import build_app, title_path
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import FILM_SEASON, Language, TitleItem
from anibridge_like.plugins.registry import Registry
from anibridge_like.providers.megakino import MegakinoConfig, MegakinoProvider
from anibridge_like.providers.megakino_pages import (
    parse_search_results,
    parse_sitemap,
    parse_title_page,
)
from tests.providers.test_conformance import assert_detail_matches, assert_listing_matches

BASE = "http://megakino.test"
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def doc(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>x</title></head><body>{body}</body></html>"


# ---- sitemap parser ---------------------------------------------------------------------------
def test_a_sitemap_index_yields_child_paths_whatever_mirror_it_names() -> None:
    xml = (
        f'<?xml version="1.0"?><sitemapindex {NS}>'
        "<sitemap><loc>https://megakino.old-mirror/sitemaps/films-1.xml</loc></sitemap>"
        "<sitemap><loc> /sitemaps/serials-1.xml </loc><lastmod>2026-01-01</lastmod></sitemap>"
        "<sitemap><lastmod>no loc</lastmod></sitemap></sitemapindex>"
    )
    sitemap = parse_sitemap(xml, "index")
    assert sitemap.kind == "index"
    assert sitemap.children == ["/sitemaps/films-1.xml", "/sitemaps/serials-1.xml"]


def test_a_urlset_yields_title_entries_and_skips_other_pages() -> None:
    xml = (
        "<urlset>"  # no namespace: accepted as well
        "<url><loc>https://mk.example/films/1042-the-iron-crown.html</loc></url>"
        "<url><loc>https://mk.example/serials/77-dark-harbor.html</loc></url>"
        "<url><loc>https://mk.example/kontakt.html</loc></url>"
        "<url><loc>https://mk.example/films/</loc></url>"
        "<url><loc>https://mk.example/films/1042-the-iron-crown.html</loc></url>"
        "</urlset>"
    )
    sitemap = parse_sitemap(xml, "child")
    assert [(e.site_id, e.slug, e.kind, e.path) for e in sitemap.entries] == [
        (1042, "the-iron-crown", "movie", "/films/1042-the-iron-crown.html"),
        (77, "dark-harbor", "series", "/serials/77-dark-harbor.html"),
    ]
    assert sitemap.skipped == 2


@pytest.mark.parametrize(
    ("xml", "named", "retry"),
    [
        (f"<urlset {NS}><url><loc>https://x/films/1-a.html</loc></url><url><lo", "truncated", True),
        ("<urlset><url></urlset>", "well-formed XML", False),
        ('<index><map href="/sitemaps/a.xml"/></index>', "<sitemapindex> or <urlset>", False),
        (f"<sitemapindex {NS}></sitemapindex>", "<sitemap><loc>", False),
    ],
)
def test_broken_sitemaps_are_invalid_data_naming_the_problem(
    xml: str, named: str, retry: bool
) -> None:
    with pytest.raises(PluginError) as info:
        parse_sitemap(xml, "sitemap")
    assert info.value.code is ErrorCode.INVALID_DATA
    assert named in info.value.message
    assert info.value.retry is retry


# ---- title page / search parsers --------------------------------------------------------------
def test_a_film_page_without_optional_parts_is_one_film_episode() -> None:
    info = parse_title_page(
        doc(
            '<h1>Nur Titel</h1><div class="pmovie__player">'
            '<span data-language-label="Deutsch"></span><span data-language-label="OmU"></span>'
            '<span data-language-label="Französisch"></span></div>'
        ),
        "/films/1-nur-titel.html",
        "movie",
    )
    assert (info.title, info.year, info.aliases, info.english_title) == (
        "Nur Titel",
        None,
        (),
        None,
    )
    assert [(e.season, e.number, e.titles) for e in info.episodes] == [
        (FILM_SEASON, 1, {"de": "Nur Titel"})
    ]
    assert info.episodes[0].languages == {Language.GERMAN_DUB, Language.GERMAN_SUB}
    assert info.unknown_languages == ("Französisch#",)


def test_a_serial_page_lists_seasons_specials_and_languages() -> None:
    info = parse_title_page(
        doc(
            '<h1 itemprop="name">Dark Harbor</h1><div class="pmovie__year">Jahr: 2019</div>'
            '<ul class="pmovie__alt"><li>Dunkler Hafen</li></ul><div id="seasons">'
            '<div class="season" data-season="0"><li class="episode" data-episode="1">'
            '<span class="ep-title" lang="en">Pilot</span></li></div>'
            '<div class="season" data-season="2"><li class="episode" data-episode="1">'
            '<i data-language-label="Englisch"></i></li>'
            '<li class="episode" data-episode="x"></li></div>'
            '<div class="season" data-season="bonus"><li class="episode" data-episode="1"></li>'
            "</div></div>"
        ),
        "/serials/77-dark-harbor.html",
        "series",
    )
    assert (info.title, info.year, info.aliases) == ("Dark Harbor", 2019, ("Dunkler Hafen",))
    assert [(e.season, e.number, e.titles, e.languages) for e in info.episodes] == [
        (0, 1, {"en": "Pilot"}, frozenset()),
        (2, 1, {}, frozenset({Language.ENGLISH_DUB})),
    ]


@pytest.mark.parametrize(
    ("html", "kind", "named"),
    [
        (doc('<div class="movie-card__name">X</div>'), "movie", "h1 title"),
        (doc("<h1>X</h1>"), "movie", ".pmovie__player"),
        (doc("<h1>X</h1>"), "series", "#seasons"),
        (doc('<h1>X</h1><div id="seasons"><div class="season"></div></div>'), "series", "episodes"),
        ("<html><body><h1>X</h1>", "movie", "truncated"),
    ],
)
def test_title_pages_without_required_parts_are_invalid_data(
    html: str, kind: str, named: str
) -> None:
    with pytest.raises(PluginError) as info:
        parse_title_page(html, "/films/1-x.html", kind)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.INVALID_DATA
    assert named in info.value.message


def test_search_results_are_title_links_and_none_is_an_empty_list() -> None:
    html = doc(
        '<div id="dle-content"><a href="/films/5-dune.html">Dune</a>'
        '<a href="/index.php?do=cat">x</a></div>'
    )
    assert [(e.site_id, e.slug) for e in parse_search_results(html, "s")] == [(5, "dune")]
    assert parse_search_results(doc('<div id="dle-content">nichts</div>'), "s") == []
    with pytest.raises(PluginError, match="#dle-content"):
        parse_search_results(doc('<div id="search-results"></div>'), "s")


# ---- the provider against the fake site -------------------------------------------------------
@pytest.fixture(scope="module")
def catalog() -> GeneratedCatalog:
    return GeneratedCatalog("megakino", 95, seed=5)


@pytest.fixture
def faults() -> FaultController:
    return FaultController()


@pytest.fixture
async def client(
    catalog: GeneratedCatalog, faults: FaultController
) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(catalog, faults, urls_per_sitemap=10)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        yield http


def provider(client: httpx.AsyncClient, **config: object) -> MegakinoProvider:
    cls = Registry().get("provider", "megakino")
    assert cls is MegakinoProvider
    settings = {"base_url": BASE, "backoff_base": 0.01, "backoff_cap": 1.0, **config}
    return MegakinoProvider(MegakinoConfig.model_validate(settings), client)


def test_config_needs_a_base_url() -> None:
    with pytest.raises(ValidationError, match="base_url"):
        MegakinoConfig.model_validate({})


async def collect(mk: MegakinoProvider, cursor: str | None = None) -> tuple[list[TitleItem], int]:
    items: list[TitleItem] = []
    for pages in range(1, 100):
        page = await mk.list_titles(cursor)
        items.extend(page.items)
        if not page.has_more:
            return items, pages
        cursor = page.next_cursor
    raise AssertionError("listing did not end")


async def test_paged_listing_walks_child_sitemaps_and_yields_real_titles_and_years(
    catalog: GeneratedCatalog, client: httpx.AsyncClient
) -> None:
    mk = provider(client, titles_per_page=25)
    first = await mk.list_titles(None)
    assert first.has_more
    assert first.next_cursor is not None and first.next_cursor.startswith("/sitemaps/")
    assert 25 <= len(first.items) < 35  # stops after the child that reached 25
    items, pages = await collect(mk)
    assert pages >= 4
    assert_listing_matches(items, catalog)
    for item in items:
        gen = catalog.by_slug(item.slug)
        assert gen is not None
        assert (item.year, item.aliases) == (gen.year, gen.aliases)
    assert any(i.title != i.slug.replace("-", " ").title() for i in items)


async def test_a_failing_child_sitemap_raises_partial_and_resumes_there(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    mk = provider(client, retries=0)
    faults.add("server_error", path="/sitemaps/films-3.xml")
    with pytest.raises(PluginError) as info:
        await mk.list_titles(None)
    err = info.value
    assert err.code is ErrorCode.PARTIAL
    assert err.cursor == "/sitemaps/films-3.xml"
    assert len(err.items) == 20  # films-1 and films-2 (the static child has no titles)
    with pytest.raises(PluginError) as again:  # still failing: nothing gathered, plain upstream
        await mk.list_titles(err.cursor)
    assert again.value.code is ErrorCode.UPSTREAM
    faults.clear()
    faults.reset_counters()
    rest, _ = await collect(mk, err.cursor)
    assert faults.count("/sitemaps/films-1.xml") == 0, "resumed where it failed"
    assert_listing_matches([*err.items, *rest], catalog)


async def test_a_truncated_child_sitemap_is_resumable_but_a_layout_change_is_not(
    client: httpx.AsyncClient, faults: FaultController
) -> None:
    mk = provider(client)
    faults.add("truncate", path="/sitemaps/films-2.xml", count=1)
    with pytest.raises(PluginError) as info:
        await mk.list_titles(None)
    assert info.value.code is ErrorCode.PARTIAL
    assert info.value.cursor == "/sitemaps/films-2.xml"
    faults.clear()
    faults.add("layout", path="/sitemaps/films-2.xml")
    with pytest.raises(PluginError) as layout:
        await mk.list_titles(None)
    assert layout.value.code is ErrorCode.INVALID_DATA
    assert "<urlset>" in layout.value.message


async def test_a_listed_title_page_that_is_gone_is_skipped(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    gone = catalog.title(11)
    faults.add("server_error", status=404, path=title_path(gone))
    items, _ = await collect(provider(client))
    assert {i.slug for i in items} == set(catalog.slugs) - {gone.slug}


async def test_a_cursor_no_longer_in_the_index_is_invalid_data(client: httpx.AsyncClient) -> None:
    with pytest.raises(PluginError, match="no longer") as info:
        await provider(client).list_titles("/sitemaps/films-999.xml")
    assert info.value.code is ErrorCode.INVALID_DATA


async def test_details_of_films_and_serials_match_the_truth_in_two_requests_each(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    mk = provider(client)
    kinds = set()
    for gen in list(catalog)[:30]:
        faults.reset_counters()
        detail = await mk.fetch_detail(gen.slug)
        assert_detail_matches(detail, gen)
        assert (detail.year, detail.external_ids.get("imdb")) == (gen.year, gen.imdb_id)
        assert faults.count() == 2
        kinds.add(detail.kind)
    assert kinds == {"movie", "series"}


def remake_site() -> Starlette:
    """Two films sharing one slug (ids 1 and 7): what a real DLE site allows."""

    def page(title: str, year: int) -> str:
        return doc(
            f'<h1>{title}</h1><div class="pmovie__year">{year}</div>'
            '<div class="pmovie__player"><i data-language-label="Deutsch"></i></div>'
        )

    async def sitemap(_: Request) -> Response:
        locs = "".join(f"<url><loc>/films/{i}-dune.html</loc></url>" for i in (1, 7))
        return Response(f"<urlset>{locs}</urlset>", media_type="application/xml")

    async def film(request: Request) -> Response:
        year = {1: 1984, 7: 2021}[request.path_params["id"]]
        return HTMLResponse(page("Dune", year))

    async def search(_: Request) -> Response:
        links = "".join(f'<a href="/films/{i}-dune.html">Dune</a>' for i in (1, 7))
        return HTMLResponse(doc(f'<div id="dle-content">{links}</div>'))

    return Starlette(
        routes=[
            Route("/sitemap.xml", sitemap),
            Route("/films/{id:int}-dune.html", film),
            Route("/index.php", search),
        ]
    )


async def test_two_ids_with_one_slug_are_keyed_apart_and_both_resolve() -> None:
    transport = httpx.ASGITransport(app=remake_site())
    async with httpx.AsyncClient(transport=transport) as http:
        mk = provider(http)
        page = await mk.list_titles(None)
        assert [(i.slug, i.year) for i in page.items] == [("dune", 1984), ("dune-7", 2021)]
        assert (await mk.fetch_detail("dune")).year == 1984
        assert (await mk.fetch_detail("dune-7")).year == 2021
        with pytest.raises(PluginError) as info:
            await mk.fetch_detail("dune-3")
        assert info.value.code is ErrorCode.NOT_FOUND
