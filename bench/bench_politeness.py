"""Politeness under 429: each provider fetches every detail of a 300-title fake site over loopback
(a real socket server in a thread) while the site answers every N-th request with 429 and a
``Retry-After``; the core's retrier drives the calls as the detail stage does (8 at a time).

Printed per site: requests, 429s sent, requests that **arrived** inside an announced window (the
site's count: over real sockets a request already on its way when the 429 left may land inside),
requests **sent** inside a window the client had already received (client-side count: must be 0),
pages reused instead of refetched, and the wall time.

    .venv/bin/python bench/bench_politeness.py [--titles 300] [--every 25] [--retry-after 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

import httpx
import structlog

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anibridge_like.catalog.retry import Retrier  # noqa: E402
from anibridge_like.plugins.registry import Registry  # noqa: E402
from tests.fakes.sites import serve_site  # noqa: E402

structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))


class Windows:
    """Client-side count: requests *sent* while a 429 the client already received is in force."""

    def __init__(self) -> None:
        self.until = 0.0
        self.sent_inside = 0

    async def on_request(self, request: httpx.Request) -> None:
        if time.monotonic() < self.until:
            self.sent_inside += 1

    async def on_response(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            seconds = float(response.headers.get("retry-after", "0"))
            self.until = max(self.until, time.monotonic() + seconds)


async def run(
    name: str, base_url: str, slugs: list[str], concurrency: int, windows: Windows
) -> tuple[int, int]:
    cls = Registry().get("provider", name)
    config = {"base_url": base_url, "max_concurrency": concurrency, "requests_per_second": None}
    retrier = Retrier(attempts=8, base=0.05, cap=5.0)
    gate = asyncio.Semaphore(concurrency)
    hooks = {"request": [windows.on_request], "response": [windows.on_response]}
    async with httpx.AsyncClient(event_hooks=hooks) as client:
        provider = cls(cls.config_model.model_validate(config), client)
        page = await retrier.list_page(provider, None)  # megakino remembers its posts
        while page.has_more:
            page = await retrier.list_page(provider, page.next_cursor)

        async def one(slug: str) -> None:
            async with gate:
                await retrier.call(lambda: provider.fetch_detail(slug), what=slug)

        await asyncio.gather(*(one(s) for s in slugs))
        http = getattr(provider, "http", None) or provider._http  # type: ignore[attr-defined]
        return int(http.requests_sent), int(http.reused)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--titles", type=int, default=300)
    parser.add_argument("--every", type=int, default=25)
    parser.add_argument("--retry-after", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    out = sys.stdout.write
    out(
        f"{'site':<10} {'requests':>9} {'429s':>6} {'arrived inside':>15} {'sent inside':>12}"
        f" {'reused':>7} {'wall s':>7}\n"
    )
    for name in ("aniworld", "sto", "megakino"):
        with serve_site(name, args.titles, seed=3) as site:
            site.faults.add("rate_limit", every=args.every, retry_after=args.retry_after)
            windows = Windows()
            started = time.perf_counter()
            sent, reused = asyncio.run(
                run(name, site.base_url, site.catalog.slugs, args.concurrency, windows)
            )
            wall = time.perf_counter() - started
            out(
                f"{name:<10} {sent:>9} {site.faults.rate_limited:>6} "
                f"{site.faults.inside_window:>15} {windows.sent_inside:>12} {reused:>7}"
                f" {wall:>7.1f}\n"
            )


if __name__ == "__main__":
    main()
