"""Page-level parse throughput of the s.to and megakino parsers, and the request cost per title of
all three providers (AniWorld, s.to, megakino).

Pages are rendered once by the fake sites' renderers (no HTTP, no sockets) and parsed repeatedly,
so the figures are the parsers alone. Printed per page type: pages/s, items/s (titles, episodes
or URLs per second) and the page size. The request cost is counted on the fake site (in-process)
for a full listing plus every detail of a small catalog.

    python bench/bench_parse_sto_megakino.py [--titles 10000] [--pages 200] [--big 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import structlog

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anibridge_like.demo.catalog import GeneratedCatalog  # noqa: E402
from anibridge_like.demo.faults import NO_RENDER_FAULTS, FaultController  # noqa: E402
from anibridge_like.demo.sites import build_site_app  # noqa: E402
from anibridge_like.demo.sites import megakino as mk_site  # noqa: E402
from anibridge_like.demo.sites import sto as sto_site  # noqa: E402
from anibridge_like.plugins.registry import Registry  # noqa: E402
from anibridge_like.providers import megakino_pages, sto_pages  # noqa: E402

structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))

Row = tuple[str, float, float, float]


def timed(pages: list[str], parse: Callable[[str], int], min_seconds: float = 0.5) -> Row:
    """(pages/s, items/s, mean KB) parsing ``pages`` round-robin for at least ``min_seconds``
    (bounded to 50 rounds)."""
    done = items = 0
    start = time.perf_counter()
    for _ in range(50):
        for page in pages:
            items += parse(page)
        done += len(pages)
        if time.perf_counter() - start >= min_seconds:
            break
    secs = time.perf_counter() - start
    kb = sum(len(p.encode()) for p in pages) / len(pages) / 1024
    return ("", done / secs, items / secs, kb)


def sto_rows(titles: int, pages: int, big: int) -> list[Row]:
    catalog = GeneratedCatalog("sto", titles, seed=1)
    site = sto_site.StoSite(catalog)
    rows: list[Row] = []
    listing = "".join(site.listing_chunks(False, lambda _i: True))
    r = timed([listing], lambda h: len(sto_pages.parse_listing(h).items))
    rows.append((f"sto listing ({titles:,} titles)", *r[1:]))
    sample = [catalog.title(i) for i in range(0, titles, max(1, titles // pages))][:pages]
    series = [(t.slug, site.series_page(t, False)) for t in sample]
    by_html = dict((html, slug) for slug, html in series)
    r = timed(
        [h for _, h in series], lambda h: len(sto_pages.parse_series_page(h, by_html[h]).seasons)
    )
    rows.append(("sto series page (seasons)", *r[1:]))
    seasons: dict[str, tuple[str, int]] = {}
    episodes: list[str] = []
    for t in sample:
        for season, eps in sto_site.episodes_by_season(t).items():
            html = site.season_page(t, season, False)
            assert html is not None
            seasons[html] = (t.slug, season)
            first = site.episode_page(t, season, eps[0].number, False)
            assert first is not None
            episodes.append(first)
    r = timed(list(seasons), lambda h: len(sto_pages.parse_season_page(h, *seasons[h])))
    rows.append(("sto season page (episodes)", *r[1:]))
    r = timed(episodes, lambda h: len(sto_pages.parse_episode_page(h, "/e").languages))
    rows.append(("sto episode page (languages)", *r[1:]))
    if big:
        big_site = sto_site.StoSite(GeneratedCatalog("sto", big, seed=2))
        chunks = list(big_site.listing_chunks(False, lambda _i: True))
        page = "".join(chunks)

        def streamed(_: str) -> int:
            stream = sto_pages.ListingStream()
            count = sum(len(stream.feed(chunk)) for chunk in chunks)
            return count + len(stream.close().items)

        r = timed([page], streamed, min_seconds=0.0)
        rows.append((f"sto listing ({big:,} titles, streamed)", *r[1:]))
        r = timed([page], lambda h: len(sto_pages.parse_listing(h).items), min_seconds=0.0)
        rows.append((f"sto listing ({big:,} titles, whole page)", *r[1:]))
    return rows


def megakino_rows(titles: int, pages: int) -> list[Row]:
    catalog = GeneratedCatalog("megakino", titles, seed=1)
    site = mk_site.MegakinoSite(catalog, mk_site.URLS_PER_SITEMAP)
    base = "https://megakino.example"
    rows: list[Row] = []
    index = site.sitemap_index(base, False)
    r = timed([index], lambda x: len(megakino_pages.parse_sitemap(x, "i").children))
    rows.append(("megakino sitemap index (children)", *r[1:]))
    children = [
        xml
        for name in site.child_names()[1:]
        if (xml := site.child_sitemap(base, name, NO_RENDER_FAULTS)) is not None
    ]  # the .xml.gz children as their XML (gunzip is timed with the transfer, not here)
    r = timed(children, lambda x: len(megakino_pages.parse_sitemap(x, "c").entries))
    rows.append((f"megakino child sitemap ({mk_site.URLS_PER_SITEMAP} URLs)", *r[1:]))
    sample = [catalog.title(i) for i in range(0, titles, max(1, titles // pages))][:pages]
    films: dict[str, megakino_pages.SitemapEntry] = {}
    posts: dict[str, megakino_pages.SitemapEntry] = {}
    for t in sample:
        for path in mk_site.post_paths(t):
            entry = megakino_pages.title_entry(path)
            assert entry is not None
            if t.kind == "movie":
                films[site.film_page(t, False)] = entry
            else:
                html = site.serial_page(t, entry.season or 1, False)
                assert html is not None
                posts[html] = entry
    r = timed(list(films), lambda h: 1 + 0 * len(megakino_pages.parse_post(h, films[h]).title))
    rows.append(("megakino film post (1 film)", *r[1:]))
    r = timed(list(posts), lambda h: len(megakino_pages.parse_post(h, posts[h]).episodes))
    rows.append(("megakino season post (episodes)", *r[1:]))
    searches = [site.search_page(t.slug.replace("-", " "), False) for t in sample]
    r = timed(searches, lambda h: len(megakino_pages.parse_search_results(h, "s")))
    rows.append(("megakino search page (results)", *r[1:]))
    return rows


async def request_cost(titles: int) -> list[tuple[str, float, float, float]]:
    """(provider, listing requests per title, detail requests per title, seasons per title)
    for a full listing plus every detail, counted by the fake site (no faults)."""
    out = []
    for name in ("aniworld", "sto", "megakino"):
        catalog = GeneratedCatalog(name, titles, seed=4)
        faults = FaultController()
        transport = httpx.ASGITransport(app=build_site_app(name, catalog, faults))
        cls = Registry().get("provider", name)
        config = {"base_url": "http://b.test", "requests_per_second": None}
        async with httpx.AsyncClient(transport=transport) as client:
            provider = cls(cls.config_model.model_validate(config), client)
            cursor, count = None, 0
            for _ in range(10_000):
                page = await provider.list_titles(cursor)
                count += len(page.items)
                if not page.has_more:
                    break
                cursor = page.next_cursor
            listing_requests = faults.count()
            faults.reset_counters()
            for slug in catalog.slugs:
                await provider.fetch_detail(slug)
            seasons = sum(len({e.season for e in t.episodes}) for t in catalog) / len(catalog)
            out.append((name, listing_requests / count, faults.count() / len(catalog), seasons))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--titles", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--big", type=int, default=100_000, help="0 skips the big listing")
    parser.add_argument("--cost-titles", type=int, default=100)
    args = parser.parse_args()
    out = sys.stdout.write
    out(f"{'page':<40} {'pages/s':>10} {'items/s':>12} {'KB/page':>9}\n")
    for label, pages_s, items_s, kb in [
        *sto_rows(args.titles, args.pages, args.big),
        *megakino_rows(args.titles, args.pages),
    ]:
        out(f"{label:<40} {pages_s:>10,.1f} {items_s:>12,.0f} {kb:>9,.1f}\n")
    out(f"\nrequests per title ({args.cost_titles}-title catalogs, full listing + every detail)\n")
    out(f"{'provider':<10} {'listing':>8} {'detail':>8} {'seasons':>8}\n")
    for name, listing, detail, seasons in asyncio.run(request_cost(args.cost_titles)):
        out(f"{name:<10} {listing:>8.3f} {detail:>8.2f} {seasons:>8.2f}\n")


if __name__ == "__main__":
    main()
