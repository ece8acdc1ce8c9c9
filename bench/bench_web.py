"""Web UI page render time (server time) on the 15,000-title benchmark catalog.

Builds (or reuses, ``--db PATH --reuse``) the catalog of ``bench_torznab.py`` (~15,000 titles,
~350,000 episodes, written through the real Writer), starts the whole app on it (lifespan,
jobs runner, catalog service; the provider instances point at a closed loopback port, so their
pending stages fail fast and show their last error), adds a download queue of ``--downloads``
rows, then requests every page ``--requests`` times in-process and measures the time spent inside
the ASGI app per request (no network, no client parsing). Target: p50 ≤ 50 ms for every page.

    python bench/bench_web.py [--titles 15000] [--requests 40] [--downloads 200] [--db PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

sys.path.insert(0, str(Path(__file__).parent))
from bench_torznab import KEY, LIBRARIES, SITES, build

from anibridge_like.app import create_app
from anibridge_like.downloads import store
from anibridge_like.logging import configure_logging
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import parse_seed
from anibridge_like.settings import Settings

ADMIN = "bench-admin"
CLOSED = "http://127.0.0.1:9"


class Timed:
    """ASGI wrapper recording the seconds from the call to the last body chunk sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.last = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        await self.app(scope, receive, send)
        self.last = time.perf_counter() - started


def _seed() -> dict[str, Any]:
    return {
        "libraries": [
            {k: v for k, v in lib.items() if k not in ("site", "name")} for lib in LIBRARIES
        ],
        "plugins": [
            {
                "name": instance,
                "implementation": site,
                "kind": "provider",
                "libraries": [slug],
                "config": {"base_url": CLOSED},
            }
            for site, instance, slug, _ in SITES
        ],
    }


def _download(i: int) -> store.DownloadRow:
    state = ("completed", "failed", "queued", "paused")[i % 4]
    return store.DownloadRow(
        hash=f"{i:040x}",
        name=f"Bench Show {i} S01E{i % 24 + 1:02d} German Dub 1080p WEB-DL x264-ANIWORLD",
        magnet=f"magnet:?xt=urn:btih:{i:040x}",
        site="aniworld",
        slug=f"bench-show-{i}",
        season=1,
        number=i % 24 + 1,
        language="de_dub",
        category="sonarr",
        tags="",
        save_path="/downloads/sonarr",
        mode="media",
        state=state,
        size=700_000_000,
        downloaded=700_000_000 if state == "completed" else 123_000_000,
        file_name=None,
        host="VOE" if state != "queued" else None,
        error="every hoster failed" if state == "failed" else None,
        attempts=1,
        added_at=f"2026-12-03T08:{i % 60:02d}:00+00:00",
        completed_at=None,
        updated_at="2026-12-03T09:00:00+00:00",
    )


async def measure(
    db: Path, requests: int, downloads: int, words: list[str]
) -> list[tuple[str, list[float]]]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=db.parent,
        api_key=SecretStr(KEY),
        admin_api_key=SecretStr(ADMIN),
        http_timeout=2.0,
    )
    registry = Registry()
    app = create_app(settings, seed=parse_seed(_seed(), registry, environ={}), registry=registry)
    timed = Timed(app)
    async with app.router.lifespan_context(app):
        ctx = app.state.ctx
        for i in range(downloads):
            await ctx.writer.run(store.insert_unit(_download(i)))
        await asyncio.sleep(3)  # let the services try their pending stages and settle
        transport = httpx.ASGITransport(app=timed)
        headers = {"X-Api-Key": ADMIN}
        job_id = (await ctx.readers.fetchone("SELECT MIN(id) FROM jobs"))[0]
        pages = [
            ("overview /", "/"),
            ("library /libraries/anime", "/libraries/anime"),
            *(
                (f"library search ?q={word!r}", f"/libraries/{slug}?q={quote(word)}")
                for slug, word in zip(("anime", "series", "movies"), words, strict=False)
            ),
            ("jobs /jobs", "/jobs"),
            ("job /jobs/{id} (history)", f"/jobs/{job_id}"),
            (f"downloads ({downloads} rows: page 1 of 100)", "/downloads"),
            ("downloads page 2", "/downloads?page=2"),
            ("plugins /plugins", "/plugins"),
        ]
        out: list[tuple[str, list[float]]] = []
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, path in pages:
                samples: list[float] = []
                for _ in range(requests + 3):
                    response = await client.get(path, headers=headers)
                    assert response.status_code == 200, (path, response.status_code)
                    samples.append(timed.last * 1000)
                out.append((name, samples[3:]))  # the first ones warm caches
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--titles", type=int, default=15000)
    parser.add_argument("--episodes-per-title", type=int, default=27)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--downloads", type=int, default=200)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    configure_logging("warning", "console")
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "anibridge.db"
        began = time.perf_counter()
        reuse = args.reuse and db.exists()
        samples, counts = asyncio.run(
            build(db, args.titles, args.episodes_per_title, write=not reuse)
        )
        print(
            f"catalog: {counts['titles']:,} titles, {counts['eps']:,} episodes —"
            f" {'reused' if reuse else 'built'} in {time.perf_counter() - began:.1f} s"
        )
        words = samples.words[:3]
        results = asyncio.run(measure(db, args.requests, args.downloads, words))
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nload average during the run: {load}")
    print(f"\nServer time per page ({args.requests} requests each, in-process ASGI):\n")
    print("| page | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|")
    for name, samples in results:
        ordered = sorted(samples)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        print(f"| {name} | {statistics.median(ordered):.1f} | {p95:.1f} | {ordered[-1]:.1f} |")


if __name__ == "__main__":
    main()
