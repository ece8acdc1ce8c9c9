"""Conformance at scale and under faults: every provider against its fake site at 10, 300 and
3,000 titles, the listing and **every** title's detail through the core's retrier (as the stages
call them), compared field for field with the generated truth, while the site answers

* 429 with ``Retry-After`` on every N-th request (the site counts requests that arrive inside an
  announced window: there must be none),
* 5xx on every M-th request,
* truncated pages (the body just ends) on every K-th request,
* a few hangs (answers slower than the call's time limit),

(together about 6 % of all requests at 300 and 3,000 titles, 25 % at 10)

and the other shapes of the real sites (gzipped child sitemaps and sitemaps without ``lastmod``
on megakino, announced seasons and flagless season pages on s.to, film-only titles on AniWorld).
Nothing may be lost: once the faults are survived the index equals the truth.

The 3,000-title case is marked ``slow`` (still run by ``.ci/run``); it uses shorter shows (6
episodes per title) so that it stays near a minute for all three sites.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import pytest

from anibridge_like.catalog.retry import Retrier
from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.faults import FaultController
from anibridge_like.demo.sites import build_site_app
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import Provider, TitleDetail, TitleItem
from tests.providers.conftest import build_provider, providers_with_fake_sites
from tests.providers.test_conformance import assert_detail_matches, assert_listing_matches

BASE = "http://127.0.0.1"
WORKERS = 8


@dataclass(frozen=True)
class Mix:
    rate_limit_every: int
    server_error_every: int
    truncate_every: int
    hangs: int


def mix_for(size: int) -> Mix:
    if size <= 10:  # a few dozen requests: every kind of fault still happens
        return Mix(rate_limit_every=11, server_error_every=13, truncate_every=17, hangs=1)
    return Mix(rate_limit_every=43, server_error_every=59, truncate_every=67, hangs=3)


def add_faults(faults: FaultController, mix: Mix) -> None:
    faults.add("rate_limit", every=mix.rate_limit_every, retry_after=0.05)
    faults.add("server_error", every=mix.server_error_every, status=503)
    faults.add("truncate", every=mix.truncate_every, keep=0.5)
    faults.add("slow", every=19, count=mix.hangs, delay=1.5)


async def listing(provider: Provider, retrier: Retrier) -> list[TitleItem]:
    items: list[TitleItem] = []
    cursor: str | None = None
    for _ in range(10_000):
        page = await retrier.list_page(provider, cursor, time_limit=20.0)
        items.extend(page.items)
        if not page.has_more:
            return items
        cursor = page.next_cursor
    raise AssertionError("the listing did not end")


async def details(provider: Provider, retrier: Retrier, slugs: list[str]) -> dict[str, TitleDetail]:
    gate = asyncio.Semaphore(WORKERS)
    out: dict[str, TitleDetail] = {}

    async def one(slug: str) -> None:
        async with gate:
            out[slug] = await retrier.call(
                lambda: provider.fetch_detail(slug), what=f"detail {slug}", time_limit=0.5
            )

    async with asyncio.TaskGroup() as group:
        for slug in slugs:
            group.create_task(one(slug))
    return out


async def run_conformance(name: str, size: int, episodes: int) -> None:
    catalog = GeneratedCatalog(name, size, seed=11, episodes_per_title=episodes)
    faults = FaultController()
    app = build_site_app(name, catalog, faults)
    add_faults(faults, mix_for(size))
    retrier = Retrier(attempts=12, base=0.01, cap=0.2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        provider = build_provider(name, BASE, client, max_concurrency=WORKERS, max_pause=5.0)
        items = await listing(provider, retrier)
        assert_listing_matches(
            items, catalog, final_titles=provider.capabilities.final_listing_titles
        )
        found = await details(provider, retrier, [item.slug for item in items])
    external = name != "megakino"
    for gen in catalog:
        assert_detail_matches(found[gen.slug], gen, external_ids=external)
    assert faults.rate_limited > 0, "the mix never rate-limited: the test proves nothing"
    assert faults.inside_window == 0, f"{faults.inside_window} requests inside a Retry-After"


@pytest.mark.parametrize("name", providers_with_fake_sites())
@pytest.mark.parametrize("size", [10, 300])
async def test_every_title_survives_the_fault_mix(name: str, size: int) -> None:
    await run_conformance(name, size, episodes=24)


@pytest.mark.slow
@pytest.mark.parametrize("name", providers_with_fake_sites())
async def test_every_title_survives_the_fault_mix_at_3000_titles(name: str) -> None:
    await run_conformance(name, 3000, episodes=6)


@pytest.mark.parametrize("name", providers_with_fake_sites())
async def test_a_soft_404_is_an_error_never_an_empty_title(name: str) -> None:
    catalog = GeneratedCatalog(name, 10, seed=11)
    faults = FaultController()
    app = build_site_app(name, catalog, faults)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        provider = build_provider(name, BASE, client)
        faults.add("soft_404")
        with pytest.raises(PluginError) as info:
            await provider.fetch_detail(catalog.slugs[1])
        assert info.value.code in (ErrorCode.INVALID_DATA, ErrorCode.NOT_FOUND)
        with pytest.raises(PluginError) as listing_info:
            await provider.list_titles(None)
        assert listing_info.value.code is ErrorCode.INVALID_DATA
