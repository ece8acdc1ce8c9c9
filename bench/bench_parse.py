"""Provider parse throughput and listing-parse memory, measured within one run.

Throughput: every built-in provider with a fake site runs its full listing and ``--details``
detail fetches against pages pre-rendered by its fake site and replayed from memory (so the
figures are parsing + provider logic, not page rendering or sockets). Prints pages/s and
titles/s (episodes/s for details).

Memory: a 100,000-title AniWorld alphabet page (about 17 MB) served by a loopback fake in a
separate process; each mode runs in a fresh subprocess and reports its peak RSS growth:
``parser-streamed`` (AlphabetStream fed while downloading, titles counted, not kept),
``parser-loaded`` (the whole text downloaded, then parsed), and the provider's
``list_titles`` in both modes (which keeps all 100,000 TitleItems, as the contract asks).

    python bench/bench_parse.py [--titles 2000] [--details 200] [--memory-titles 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import structlog

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anibridge_like.demo.catalog import GeneratedCatalog  # noqa: E402
from anibridge_like.demo.sites import build_site_app  # noqa: E402
from anibridge_like.plugins.provider import Provider  # noqa: E402
from anibridge_like.plugins.registry import Registry  # noqa: E402
from tests.providers.conftest import providers_with_fake_sites  # noqa: E402

structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))


class Replay:
    """MockTransport handler: the first request of a URL goes to the fake app, later ones are
    answered from memory."""

    def __init__(self, app: Any) -> None:
        self._live = httpx.AsyncClient(transport=httpx.ASGITransport(app))
        self.pages: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self.served = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        key = str(request.url)
        if key not in self.pages:
            live = await self._live.get(key)
            headers = [(k, v) for k, v in live.headers.items() if k != "content-length"]
            self.pages[key] = (live.status_code, headers, live.content)
        status, headers, body = self.pages[key]
        self.served += 1
        return httpx.Response(status, headers=headers, content=body)


def make_provider(name: str, client: httpx.AsyncClient) -> Provider:
    cls = Registry().get("provider", name)
    provider: Provider = cls(cls.config_model.model_validate({"base_url": "http://b.test"}), client)
    return provider


async def listing(provider: Provider) -> int:
    count, cursor = 0, None
    for _ in range(100_000):
        page = await provider.list_titles(cursor)
        count += len(page.items)
        if not page.has_more:
            return count
        cursor = page.next_cursor
    raise RuntimeError("listing did not end")


async def throughput(name: str, titles: int, details: int) -> dict[str, float]:
    catalog = GeneratedCatalog(name, titles, seed=1)
    replay = Replay(build_site_app(name, catalog))
    async with httpx.AsyncClient(transport=httpx.MockTransport(replay)) as client:
        provider = make_provider(name, client)
        slugs = catalog.slugs[:: max(1, titles // details)][:details]
        await listing(provider)  # warm the replay cache
        for slug in slugs:
            await provider.fetch_detail(slug)
        rounds = 3
        replay.served = 0
        start = time.perf_counter()
        listed = sum([await listing(provider) for _ in range(rounds)])
        list_s = time.perf_counter() - start
        list_pages = replay.served
        replay.served = 0
        episodes = 0
        start = time.perf_counter()
        for slug in slugs:
            episodes += len((await provider.fetch_detail(slug)).episodes)
        detail_s = time.perf_counter() - start
    return {
        "listing_pages_s": list_pages / list_s,
        "listing_titles_s": listed / list_s,
        "detail_pages_s": replay.served / detail_s,
        "detail_titles_s": len(slugs) / detail_s,
        "detail_episodes_s": episodes / detail_s,
        "detail_pages_per_title": replay.served / len(slugs),
    }


# ---- memory (each mode in its own process) ------------------------------------------------
def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def memory_mode(mode: str, base_url: str) -> tuple[int, float, float, float]:
    from anibridge_like.providers.aniworld import AniWorldProvider
    from anibridge_like.providers.aniworld_pages import AlphabetStream
    from anibridge_like.providers.http import HttpProviderConfig, PoliteClient

    async with httpx.AsyncClient() as client:
        base = _rss_mb()
        start = time.perf_counter()
        if mode.startswith("provider"):
            config = {
                "base_url": base_url,
                "timeout": 120,
                "stream_listing": mode == "provider-streamed",
            }
            page = await AniWorldProvider(config, client).list_titles(None)
            count = len(page.items)
        else:
            polite = PoliteClient(HttpProviderConfig(base_url=base_url, timeout=120), client)
            stream = AlphabetStream()
            count = 0
            if mode == "parser-streamed":
                async with polite.stream_text("/animes-alphabet") as chunks:
                    async for chunk in chunks:
                        count += len(stream.feed(chunk))
            else:
                count += len(stream.feed(await polite.get_text("/animes-alphabet")))
            count += len(stream.close())
        return count, base, _rss_mb() - base, time.perf_counter() - start


def memory(titles: int) -> list[tuple[str, int, float, float, float]]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.sites",
            "--provider",
            "aniworld",
            "--titles",
            str(titles),
            "--port",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        rows = []
        modes = ("parser-streamed", "parser-loaded", "provider-streamed", "provider-loaded")
        for mode in modes:
            out = subprocess.run(
                [sys.executable, __file__, "--memory-mode", mode, "--base-url", base_url],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=600,
                check=True,
            ).stdout.split()
            rows.append((mode, int(out[0]), float(out[1]), float(out[2]), float(out[3])))
        return rows
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--titles", type=int, default=2000)
    parser.add_argument("--details", type=int, default=200)
    parser.add_argument("--memory-titles", type=int, default=100_000)
    parser.add_argument("--memory-mode")
    parser.add_argument("--base-url")
    args = parser.parse_args()
    if args.memory_mode:
        count, base, mb, secs = asyncio.run(memory_mode(args.memory_mode, args.base_url))
        sys.stdout.write(f"{count} {base:.1f} {mb:.1f} {secs:.2f}\n")
        return
    out = sys.stdout.write
    out(f"parse throughput ({args.titles}-title catalogs, {args.details} details, replayed)\n")
    out(
        f"{'provider':<10} {'list pages/s':>12} {'list titles/s':>14} {'detail pages/s':>15}"
        f" {'titles/s':>9} {'episodes/s':>11} {'pages/title':>12}\n"
    )
    for name in providers_with_fake_sites():
        r = asyncio.run(throughput(name, args.titles, args.details))
        out(
            f"{name:<10} {r['listing_pages_s']:>12.1f} {r['listing_titles_s']:>14,.0f}"
            f" {r['detail_pages_s']:>15,.0f} {r['detail_titles_s']:>9,.0f}"
            f" {r['detail_episodes_s']:>11,.0f} {r['detail_pages_per_title']:>12.2f}\n"
        )
    out(f"\nlisting memory, AniWorld alphabet page with {args.memory_titles:,} titles (loopback)\n")
    out(f"{'mode':<18} {'titles':>8} {'base RSS MB':>12} {'peak growth MB':>15} {'seconds':>8}\n")
    rows = memory(args.memory_titles)
    for mode, count, base, mb, secs in rows:
        out(f"{mode:<18} {count:>8,} {base:>12.1f} {mb:>15.1f} {secs:>8.2f}\n")
    streamed, loaded = rows[0][3], rows[1][3]
    out(f"parser loaded/streamed peak ratio: {loaded / max(streamed, 0.1):.1f}x\n")


if __name__ == "__main__":
    main()
