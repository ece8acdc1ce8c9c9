"""The provider conformance suite: run unchanged against every registered built-in provider that
has a fake site (see ``providers_with_fake_sites``), each over a loopback server.

A provider is done when it passes: the full listing equals the generated catalog, details equal
the generated episodes, each injected fault surfaces as the right ``PluginError`` code, cursors
resume without losing or repeating titles, and no request leaves 127.0.0.1. Retries are the
core's (:class:`~anibridge_like.catalog.retry.Retrier`): where a test counts attempts it calls
the provider through one, as the stages do.
"""

from __future__ import annotations

import httpx
import pytest

from anibridge_like.catalog.retry import Retrier
from anibridge_like.demo.catalog import GeneratedCatalog, GenTitle
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import Provider, TitleDetail, TitleItem
from tests.fakes.sites import LOOPBACK, RunningSite
from tests.providers.conftest import LoopbackGuard, OffLoopback, build_provider

MAX_PAGES = 1000


async def full_listing(provider: Provider, cursor: str | None = None) -> list[TitleItem]:
    items: list[TitleItem] = []
    for _ in range(MAX_PAGES):
        page = await provider.list_titles(cursor)
        items.extend(page.items)
        if not page.has_more:
            return items
        assert page.next_cursor, "has_more without a next_cursor"
        cursor = page.next_cursor
    raise AssertionError(f"listing did not end within {MAX_PAGES} pages")


async def listing_resuming_partials(provider: Provider, cursor: str | None) -> list[TitleItem]:
    """A listing that keeps the items of ``partial`` errors and resumes from their cursor."""
    items: list[TitleItem] = []
    for _ in range(MAX_PAGES):
        try:
            return items + await full_listing(provider, cursor)
        except PluginError as err:
            if err.code is not ErrorCode.PARTIAL:
                raise
            assert err.items and err.cursor, "partial without items or cursor"
            items.extend(err.items)
            cursor = err.cursor
    raise AssertionError("listing kept failing")


def assert_listing_matches(
    items: list[TitleItem], catalog: GeneratedCatalog, *, final_titles: bool = True
) -> None:
    """The listing names every title once; with ``final_titles`` (the provider's capability)
    titles, aliases and years are the truth's too."""
    slugs = [item.slug for item in items]
    assert len(slugs) == len(set(slugs)), "duplicate slugs in the listing"
    assert set(slugs) == set(catalog.slugs)
    for item in items:
        gen = catalog.by_slug(item.slug)
        assert gen is not None
        # a listing may not know a film from a series (the detail tells); never the reverse
        assert item.kind == gen.kind or item.kind == "series", item.slug
        if not final_titles:
            continue
        assert item.title == gen.title, item.slug
        if item.aliases:
            assert set(item.aliases) == set(gen.aliases), item.slug
        if item.year is not None:
            assert item.year == gen.year, item.slug


def assert_detail_matches(detail: TitleDetail, gen: GenTitle, *, external_ids: bool = True) -> None:
    """Field for field; ``external_ids`` False for a site that links no ids (megakino)."""
    assert detail.slug == gen.slug
    assert detail.title == gen.title
    assert detail.kind == gen.kind
    if detail.aliases:
        assert set(detail.aliases) == set(gen.aliases)
    if detail.year is not None:
        assert detail.year == gen.year
    # the page links the IMDb id exactly when the truth has one (absent link = no ids)
    want_ids = {"imdb": gen.imdb_id} if gen.imdb_id and external_ids else {}
    assert dict(detail.external_ids) == want_ids
    got = {(e.season, e.number): e for e in detail.episodes}
    assert len(got) == len(detail.episodes), "duplicate (season, number) in a detail"
    want = {(e.season, e.number): e for e in gen.episodes}
    assert sorted(got) == sorted(want)
    for key, episode in got.items():
        truth = want[key]
        assert episode.kind == truth.kind, key
        assert episode.languages == truth.languages, key
        for lang, text in episode.titles.items():
            assert truth.titles.get(lang) == text, (key, lang)


def listing_matches(provider: Provider, items: list[TitleItem], catalog: GeneratedCatalog) -> None:
    final = provider.capabilities.final_listing_titles
    assert_listing_matches(items, catalog, final_titles=final)


def retrier(attempts: int) -> Retrier:
    return Retrier(attempts=attempts, base=0.01, cap=1.0)


def sample(catalog: GeneratedCatalog, n: int) -> list[GenTitle]:
    step = max(1, len(catalog) // n)
    return [catalog.title(i) for i in range(0, len(catalog), step)][:n]


async def expect_error(call: object, code: ErrorCode) -> PluginError:
    with pytest.raises(PluginError) as info:
        await call  # type: ignore[misc]
    assert info.value.code is code, info.value
    assert info.value.message
    return info.value


# ---- truth --------------------------------------------------------------------------------
async def test_full_listing_equals_the_generated_catalog(
    site: RunningSite, loopback_client: httpx.AsyncClient
) -> None:
    provider = build_provider(site.provider, site.base_url, loopback_client)
    listing_matches(provider, await full_listing(provider), site.catalog)


async def test_details_equal_the_generated_episodes(
    site: RunningSite, loopback_client: httpx.AsyncClient
) -> None:
    provider = build_provider(site.provider, site.base_url, loopback_client)
    kinds = set()
    for gen in sample(site.catalog, 12):
        detail = await provider.fetch_detail(gen.slug)
        assert_detail_matches(detail, gen, external_ids=site.provider != "megakino")
        kinds |= {e.kind for e in detail.episodes}
    assert kinds, "no episodes at all in the sample"


async def test_every_title_kind_and_season_shape_round_trips(
    site: RunningSite, loopback_client: httpx.AsyncClient
) -> None:
    """Specials and films (where the catalog has them) come back under their seasons."""
    provider = build_provider(site.provider, site.base_url, loopback_client)
    wanted = {}
    for gen in site.catalog:
        for ep in gen.episodes:
            wanted.setdefault(ep.kind, gen)
    for gen in wanted.values():
        detail = await provider.fetch_detail(gen.slug)
        assert_detail_matches(detail, gen, external_ids=site.provider != "megakino")


# ---- faults -------------------------------------------------------------------------------
async def test_rate_limit_beyond_retries_makes_exactly_the_configured_attempts(
    site: RunningSite, loopback_client: httpx.AsyncClient
) -> None:
    provider = build_provider(site.provider, site.base_url, loopback_client)
    site.faults.add("rate_limit", retry_after=0.05)
    err = await expect_error(
        retrier(2).call(lambda: provider.list_titles(None), what="list"), ErrorCode.RATE_LIMITED
    )
    assert err.retry_after == pytest.approx(0.05, abs=0.02)
    assert site.faults.count() == 3, "the first attempt plus two retries"
    assert site.faults.inside_window == 0, "a request went out inside a Retry-After window"
    await expect_error(provider.fetch_detail(site.catalog.slugs[0]), ErrorCode.RATE_LIMITED)


async def test_a_short_rate_limit_is_retried_by_the_core(
    site: RunningSite, loopback_client: httpx.AsyncClient
) -> None:
    provider = build_provider(site.provider, site.base_url, loopback_client)
    baseline = await full_listing(provider)
    normal_requests = site.faults.count()
    site.faults.reset_counters()
    site.faults.add("rate_limit", count=1, retry_after=0.05)
    page = await retrier(2).list_page(provider, None)
    items = list(page.items)
    if page.has_more:
        items += await full_listing(provider, page.next_cursor)
    assert items == baseline
    assert site.faults.count() == normal_requests + 1
    assert site.faults.inside_window == 0


async def test_server_errors_become_upstream_and_a_single_one_is_retried(
    site: RunningSite, loopback_client: httpx.AsyncClient
) -> None:
    provider = build_provider(site.provider, site.base_url, loopback_client)
    fault = site.faults.add("server_error", status=502)
    await expect_error(provider.list_titles(None), ErrorCode.UPSTREAM)
    await expect_error(provider.fetch_detail(site.catalog.slugs[1]), ErrorCode.UPSTREAM)
    assert fault.applied == 2, "the client itself retries nothing"
    site.faults.clear()
    site.faults.add("server_error", count=1)
    gen = site.catalog.title(1)
    detail = await retrier(1).call(lambda: provider.fetch_detail(gen.slug), what="detail")
    assert_detail_matches(detail, gen, external_ids=site.provider != "megakino")


async def test_slow_answers_time_out(site: RunningSite, loopback_client: httpx.AsyncClient) -> None:
    provider = build_provider(site.provider, site.base_url, loopback_client, timeout=0.2)
    site.faults.add("slow", delay=0.8)
    await expect_error(provider.fetch_detail(site.catalog.slugs[2]), ErrorCode.TIMEOUT)


async def test_truncated_detail_pages_are_invalid_data(
    site: RunningSite, loopback_client: httpx.AsyncClient
) -> None:
    provider = build_provider(site.provider, site.base_url, loopback_client)
    site.faults.add("truncate", keep=0.5)
    await expect_error(provider.fetch_detail(site.catalog.slugs[3]), ErrorCode.INVALID_DATA)


async def test_a_truncated_listing_is_never_returned_as_complete(
    site: RunningSite, loopback_client: httpx.AsyncClient
) -> None:
    provider = build_provider(site.provider, site.base_url, loopback_client)
    site.faults.add("truncate", keep=0.6, count=1)
    with pytest.raises(PluginError) as info:
        await full_listing(provider)
    err = info.value
    assert err.code in (ErrorCode.PARTIAL, ErrorCode.INVALID_DATA), err
    if err.code is ErrorCode.PARTIAL:
        assert err.items and err.cursor
        rest = await listing_resuming_partials(provider, err.cursor)
        listing_matches(provider, list(err.items) + rest, site.catalog)


async def test_a_changed_layout_is_invalid_data_not_an_empty_catalog(
    site: RunningSite, loopback_client: httpx.AsyncClient
) -> None:
    provider = build_provider(site.provider, site.base_url, loopback_client)
    site.faults.add("layout")
    err = await expect_error(provider.list_titles(None), ErrorCode.INVALID_DATA)
    assert len(err.message) > 15, f"invalid_data should say what was missing: {err.message!r}"
    await expect_error(provider.fetch_detail(site.catalog.slugs[4]), ErrorCode.INVALID_DATA)


async def test_a_listing_that_drops_titles_returns_only_what_the_site_shows(
    site: RunningSite, loopback_client: httpx.AsyncClient
) -> None:
    provider = build_provider(site.provider, site.base_url, loopback_client)
    site.faults.add("drop_titles", share=0.5)
    items = await full_listing(provider)
    slugs = {item.slug for item in items}
    assert slugs < set(site.catalog.slugs)
    assert 0.2 * len(site.catalog) <= len(slugs) <= 0.8 * len(site.catalog)


async def test_an_unknown_title_is_not_found(
    site: RunningSite, loopback_client: httpx.AsyncClient
) -> None:
    provider = build_provider(site.provider, site.base_url, loopback_client)
    await expect_error(provider.fetch_detail("no-such-title-anywhere"), ErrorCode.NOT_FOUND)


# ---- cursors --------------------------------------------------------------------------------
async def test_listing_resumes_from_its_cursor_after_a_failure(
    site: RunningSite, loopback_client: httpx.AsyncClient
) -> None:
    provider = build_provider(site.provider, site.base_url, loopback_client)
    if provider.capabilities.paged_listing:
        first = await provider.list_titles(None)
        if first.has_more:
            site.faults.add("server_error")
            await expect_error(provider.list_titles(first.next_cursor), ErrorCode.UPSTREAM)
            site.faults.clear()
            rest = await full_listing(provider, first.next_cursor)
            listing_matches(provider, first.items + rest, site.catalog)
            return
    # One-page listings: the body stalls half-way, the provider hands over what it read.
    provider = build_provider(site.provider, site.base_url, loopback_client, timeout=0.25)
    site.faults.add("slow", where="body", keep=0.5, delay=0.8, count=1)
    with pytest.raises(PluginError) as info:
        await full_listing(provider)
    err = info.value
    assert err.code in (ErrorCode.PARTIAL, ErrorCode.TIMEOUT), err
    # Resume with the normal timeout: the short one only served to trip the stalled body, and
    # a loaded machine must not turn the resume itself into more timeouts.
    provider = build_provider(site.provider, site.base_url, loopback_client)
    if err.code is ErrorCode.PARTIAL:
        rest = await listing_resuming_partials(provider, err.cursor)
        listing_matches(provider, list(err.items) + rest, site.catalog)
    else:
        listing_matches(provider, await full_listing(provider), site.catalog)


# ---- containment --------------------------------------------------------------------------
async def test_no_request_leaves_the_loopback_interface(
    site: RunningSite, loopback_client: httpx.AsyncClient, loopback_guard: LoopbackGuard
) -> None:
    provider = build_provider(site.provider, site.base_url, loopback_client)
    await full_listing(provider)
    await provider.fetch_detail(site.catalog.slugs[5])
    assert loopback_guard.hosts and set(loopback_guard.hosts) == {LOOPBACK}
    assert len(loopback_guard.hosts) == site.faults.count()
    with pytest.raises(OffLoopback):
        await loopback_client.get("http://192.0.2.1/")
    loopback_guard.hosts.pop()
