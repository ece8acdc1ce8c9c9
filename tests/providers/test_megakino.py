"""The megakino provider: sitemap / post / search parsers on hand-written documents, and the
provider against the fake megakino site in-process (paging by child sitemap, gzip children,
partial + resume, serial season posts grouped into one title, real titles from the posts, one bad
post failing only its title, the token gate as ``blocked``)."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.faults import CHALLENGE_PAGE, FaultController
from anibridge_like.demo.sites.megakino import build_app, post_paths
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import FILM_SEASON, Language, TitleItem
from anibridge_like.plugins.registry import Registry
from anibridge_like.providers.megakino import MegakinoConfig, MegakinoProvider
from anibridge_like.providers.megakino_pages import (
    SitemapEntry,
    parse_post,
    parse_search_results,
    parse_sitemap,
    sitemap_text,
    title_entry,
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
        "<url><loc>https://mk.example/serials/77-dark-harbor-2-staffel.html</loc></url>"
        "<url><loc>https://mk.example/kontakt.html</loc></url>"
        "<url><loc>https://mk.example/films/</loc></url>"
        "<url><loc>https://mk.example/films/1042-the-iron-crown.html</loc></url>"
        "</urlset>"
    )
    sitemap = parse_sitemap(xml, "child")
    assert [(e.site_id, e.slug, e.kind, e.path) for e in sitemap.entries] == [
        (1042, "the-iron-crown", "movie", "/films/1042-the-iron-crown.html"),
        (77, "dark-harbor", "series", "/serials/77-dark-harbor-2-staffel.html"),
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


def test_season_posts_name_their_title_and_season_in_the_url() -> None:
    entry = title_entry("https://mk/serials/5881-i-love-la-1-staffel.html")
    assert entry is not None and (entry.slug, entry.season) == ("i-love-la", 1)
    entry = title_entry("/serials/12-silo-staffel-3.html")
    assert entry is not None and (entry.slug, entry.season) == ("silo", 3)
    entry = title_entry("/films/5920-die-my-love.html")
    assert entry is not None and (entry.slug, entry.kind, entry.season) == (
        "die-my-love",
        "movie",
        None,
    )


def test_gzip_sitemaps_are_unpacked_and_a_cut_gzip_is_truncated() -> None:
    xml = f"<urlset {NS}><url><loc>/films/1-a.html</loc></url></urlset>"
    packed = gzip.compress(xml.encode())
    assert sitemap_text(packed, "child") == xml
    assert sitemap_text(xml.encode(), "child") == xml
    with pytest.raises(PluginError, match="truncated") as info:
        sitemap_text(packed[: len(packed) // 2], "child")
    assert info.value.retry


def test_a_token_gate_instead_of_a_sitemap_is_blocked() -> None:
    with pytest.raises(PluginError) as info:
        parse_sitemap(CHALLENGE_PAGE.decode(), "sitemap")
    assert info.value.code is ErrorCode.BLOCKED


# ---- post / search parsers --------------------------------------------------------------------
FILM = SitemapEntry(1, "die-my-love", "movie", "/films/1-die-my-love.html")
SERIAL = SitemapEntry(77, "dark-harbor", "series", "/serials/77-dark-harbor-2-staffel.html", 2)


def post(main: str, rest: str = "") -> str:
    return doc(
        f'<div class="page__subcols d-flex"><div class="page__subcol-main">{main}</div></div>{rest}'
    )


def test_a_film_post_reads_title_original_title_and_year() -> None:
    info = parse_post(
        post(
            '<h1>Stirb &amp; Liebe</h1><div class="pmovie__original-title">Die My Love</div>'
            '<div class="pmovie__year"><span>USA</span>, <span><a href="/year/2025/">2025</a>'
            "</span>, 118 min</div>",
            '<div class="pmovie__player"><iframe id="film_main" data-src="https://voe.sx/e/1">'
            '</iframe></div><section class="pmovie__related"><a class="poster" '
            'href="/films/9-x.html"><h3>Other</h3><li>USA, 1999</li></a></section>',
        ),
        FILM,
    )
    assert (info.title, info.original_title, info.year, info.season) == (
        "Stirb & Liebe",
        "Die My Love",
        2025,
        None,
    )


@pytest.mark.parametrize("heading", ["Dark Harbor - Staffel 2", "Dark Harbor - 2. Staffel"])
def test_a_serial_post_reads_its_season_episodes_and_sibling_posts(heading: str) -> None:
    selects = "".join(
        f'<select name="pmovie__select-items" class="flex-grow-1 mr-select" style="display:none"'
        f' id="ep{n}"><option value="https://voe.sx/e/{n}">VOE</option></select>'
        for n in (1, 2, 3)
    )
    info = parse_post(
        post(
            f'<h1>{heading}</h1><span itemprop="dateCreated">2019-04-01</span>',
            '<div class="pmovie__player"><select class="seasons-select">'
            '<option value="/serials/76-dark-harbor-1-staffel.html">Staffel 1</option>'
            '<option value="/serials/77-dark-harbor-2-staffel.html">Staffel 2</option></select>'
            '<select class="se-select"><option value="ep1">Episode 1</option>'
            '<!-- <option value="ep9">Episode 9</option> --></select>'
            f"{selects}</div>",
        ),
        SERIAL,
    )
    assert (info.title, info.year, info.season, info.episodes) == (
        "Dark Harbor",
        2019,
        2,
        [1, 2, 3],
    )
    assert info.siblings == ["/serials/76-dark-harbor-1-staffel.html"]


@pytest.mark.parametrize(
    ("html", "entry", "named", "code"),
    [
        (doc('<div class="movie-card__name">X</div>'), FILM, "h1 title", ErrorCode.INVALID_DATA),
        (post("<h1>X</h1>"), FILM, ".pmovie__player", ErrorCode.INVALID_DATA),
        (post("<h1>X - Staffel 2</h1>"), SERIAL, "select#ep<N>", ErrorCode.INVALID_DATA),
        ("<html><body><h1>X</h1>", FILM, "truncated", ErrorCode.INVALID_DATA),
        (CHALLENGE_PAGE.decode(), FILM, "challenge", ErrorCode.BLOCKED),
    ],
)
def test_posts_without_required_parts_fail_loudly(
    html: str, entry: SitemapEntry, named: str, code: ErrorCode
) -> None:
    with pytest.raises(PluginError) as info:
        parse_post(html, entry)
    assert info.value.code is code
    assert named in info.value.message


def test_search_results_are_title_links_and_none_is_an_empty_list() -> None:
    html = doc(
        '<div id="dle-content"><a class="poster grid-item" href="/films/5-dune.html">'
        '<h3 class="poster__title">Dune</h3></a><a href="/index.php?do=cat">x</a></div>'
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
    settings = {"base_url": BASE, "requests_per_second": None, **config}
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


async def test_paged_listing_walks_plain_and_gzip_children_reading_no_post(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    mk = provider(client, titles_per_page=25)
    first = await mk.list_titles(None)
    assert first.has_more
    assert first.next_cursor is not None and first.next_cursor.startswith("/sitemaps/")
    assert 25 <= len(first.items) < 35  # stops after the child that reached 25
    faults.reset_counters()
    items, pages = await collect(mk)
    assert pages >= 4
    assert faults.count("/films/*") + faults.count("/serials/*") == 0
    assert faults.count("/sitemaps/films-*.xml.gz") >= 1
    assert_listing_matches(items, catalog, final_titles=False)


async def test_a_failing_child_sitemap_raises_partial_and_resumes_there(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    mk = provider(client)
    faults.add("server_error", path="/sitemaps/films-3.xml.gz")
    with pytest.raises(PluginError) as info:
        await mk.list_titles(None)
    err = info.value
    assert err.code is ErrorCode.PARTIAL
    assert err.cursor == "/sitemaps/films-3.xml.gz"
    assert len(err.items) == 20  # films-1 and films-2 (the static child has no titles)
    with pytest.raises(PluginError) as again:  # still failing: nothing gathered, plain upstream
        await mk.list_titles(err.cursor)
    assert again.value.code is ErrorCode.UPSTREAM
    faults.clear()
    faults.reset_counters()
    rest, _ = await collect(mk, err.cursor)
    assert faults.count("/sitemaps/films-1.xml.gz") == 0, "resumed where it failed"
    assert_listing_matches([*err.items, *rest], catalog, final_titles=False)


async def test_a_truncated_child_sitemap_is_resumable_but_a_layout_change_is_not(
    client: httpx.AsyncClient, faults: FaultController
) -> None:
    mk = provider(client)
    faults.add("truncate", path="/sitemaps/films-2.xml.gz", count=1)
    with pytest.raises(PluginError) as info:
        await mk.list_titles(None)
    assert info.value.code is ErrorCode.PARTIAL
    assert info.value.cursor == "/sitemaps/films-2.xml.gz"
    faults.clear()
    faults.add("layout", path="/sitemaps/serials-1.xml")
    with pytest.raises(PluginError) as layout:
        await collect(mk)
    assert layout.value.code in (ErrorCode.INVALID_DATA, ErrorCode.PARTIAL)
    assert "<urlset>" in layout.value.message


async def test_a_cursor_no_longer_in_the_index_is_invalid_data(client: httpx.AsyncClient) -> None:
    with pytest.raises(PluginError, match="no longer") as info:
        await provider(client).list_titles("/sitemaps/films-999.xml")
    assert info.value.code is ErrorCode.INVALID_DATA


async def test_details_read_real_titles_seasons_and_german_in_one_request_per_post(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    mk = provider(client)
    await collect(mk)
    kinds = set()
    for gen in list(catalog)[:40]:
        faults.reset_counters()
        detail = await mk.fetch_detail(gen.slug)
        assert_detail_matches(detail, gen, external_ids=False)
        assert detail.year == gen.year
        assert set(detail.aliases) == set(gen.aliases)
        assert all(e.languages == {Language.GERMAN_DUB} for e in detail.episodes)
        assert faults.count() == len(post_paths(gen))
        kinds.add(detail.kind)
        if gen.kind == "movie":
            assert [(e.season, e.kind) for e in detail.episodes] == [(FILM_SEASON, "film")]
    assert kinds == {"movie", "series"}


async def test_without_the_listing_a_detail_finds_its_posts_through_the_search(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    gen = next(t for t in catalog if t.kind == "series" and len(post_paths(t)) >= 2)
    detail = await provider(client).fetch_detail(gen.slug)
    assert_detail_matches(detail, gen, external_ids=False)
    assert faults.count("/index.php") == 1
    assert faults.count() == 1 + len(post_paths(gen))


async def test_one_bad_post_fails_only_its_title(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    bad = next(t for t in catalog if t.kind == "series")
    faults.add("layout", path=post_paths(bad)[0])
    mk = provider(client)
    items, _ = await collect(mk)
    assert {i.slug for i in items} == set(catalog.slugs)
    with pytest.raises(PluginError) as info:
        await mk.fetch_detail(bad.slug)
    assert info.value.code is ErrorCode.INVALID_DATA
    good = next(t for t in catalog if t.slug != bad.slug)
    assert_detail_matches(await mk.fetch_detail(good.slug), good, external_ids=False)


async def test_a_token_gate_page_is_blocked_not_a_layout_change(
    catalog: GeneratedCatalog, client: httpx.AsyncClient, faults: FaultController
) -> None:
    mk = provider(client)
    await collect(mk)
    gen = catalog.title(3)
    faults.add("challenge", path=post_paths(gen)[0])
    with pytest.raises(PluginError) as info:
        await mk.fetch_detail(gen.slug)
    assert info.value.code is ErrorCode.BLOCKED


def remake_site() -> Starlette:
    """Two films sharing one slug (ids 1 and 7): what a real DLE site allows."""

    def page(title: str, year: int) -> str:
        return post(
            f'<h1>{title}</h1><div class="pmovie__year"><span>USA</span>, <span>{year}</span>'
            "</div>",
            '<div class="pmovie__player"><iframe data-src="https://voe.sx/e/1"></iframe></div>',
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
        assert (await mk.fetch_detail("dune-7")).year == 2021  # by search: no listing yet
        page = await mk.list_titles(None)
        assert [i.slug for i in page.items] == ["dune", "dune-7"]
        assert (await mk.fetch_detail("dune")).year == 1984
        assert (await mk.fetch_detail("dune-7")).year == 2021
        with pytest.raises(PluginError) as info:
            await mk.fetch_detail("dune-3")
        assert info.value.code is ErrorCode.NOT_FOUND
