"""Download benchmarks, two questions:

1. **Throughput**: how fast does the download engine (yt-dlp through ``fetch_media``, the path a
   download job takes) move one file from a loopback HTTP server, against a plain ``httpx``
   streamed copy of the same file? The file server runs in a child process (Starlette
   ``FileResponse``, Range support), so both clients pay the same server.
2. **Whole grab**: one download through the daemon's qBittorrent API (links, host plugin, yt-dlp,
   rename), add to completed, against an httpx copy of a same-size file from the same fake hoster.
3. **Torznab p99 under downloads**: the daemon (``anibridge-like serve``, its own process) indexes
   fake sites (another process, with the fake hosters); Torznab searches are timed while idle and
   again while 3 downloads run through its qBittorrent API (rate-limited, so they last).

    .venv/bin/python bench/bench_downloads.py                # both
    .venv/bin/python bench/bench_downloads.py --only throughput --size-mb 256
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable


# ---- child processes ---------------------------------------------------------------------------
def serve_file(path: str) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import FileResponse
    from starlette.routing import Route

    async def media(request: Any) -> FileResponse:
        return FileResponse(path, media_type="video/mp4")

    app = Starlette(routes=[Route("/media.mp4", media)])
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    _announce_when_started(server)


def serve_world(media_mb: int) -> None:
    from anibridge_like.demo.catalog import GeneratedCatalog
    from anibridge_like.demo.hosters import HosterState
    from anibridge_like.demo.hosters import build_app as build_hosters
    from anibridge_like.demo.metadata import metadata_apps
    from anibridge_like.demo.sites import build_site_app
    from tests.fakes.sites import serve_app

    catalogs = {
        "aniworld": GeneratedCatalog("aniworld", 300, 7),
        "sto": GeneratedCatalog("sto", 200, 7),
        "megakino": GeneratedCatalog("megakino", 300, 7),
    }
    from contextlib import ExitStack

    with ExitStack() as stack:
        hosters = stack.enter_context(
            serve_app(build_hosters(HosterState(media_size=media_mb * 1024 * 1024)))
        )
        urls: dict[str, str] = {}
        for name, catalog in catalogs.items():
            app = build_site_app(name, catalog)
            app.state.hosters_url = hosters
            urls[name] = stack.enter_context(serve_app(app))
        plugins: list[dict[str, Any]] = [
            {
                "name": f"bench-{site}",
                "implementation": site,
                "kind": "provider",
                "libraries": [lib],
                "config": {"base_url": urls[site]},
            }
            for site, lib in (("aniworld", "anime"), ("sto", "series"), ("megakino", "movies"))
        ]
        for name, service in metadata_apps(catalogs).items():
            plugins.append(service.seed_entry(name, stack.enter_context(serve_app(service.app))))
        seed = {
            "libraries": [
                {"slug": "anime", "kind": "anime"},
                {"slug": "series", "kind": "series"},
                {"slug": "movies", "kind": "movies"},
            ],
            "plugins": plugins,
        }
        sys.stdout.write(json.dumps({"seed": seed, "hosters": hosters}) + "\n")
        sys.stdout.flush()
        sys.stdin.read()  # until the parent closes our stdin


def _announce_when_started(server: Any) -> None:
    import threading

    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    sys.stdout.write(f"http://127.0.0.1:{port}\n")
    sys.stdout.flush()
    sys.stdin.read()
    server.should_exit = True
    thread.join(5)


def _child(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PY, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


# ---- 1. throughput -------------------------------------------------------------------------
def throughput(size_mb: int, rounds: int) -> dict[str, float]:
    from anibridge_like.downloads.ytdlp import Live, fetch_media
    from anibridge_like.plugins.host import MediaSource

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source.mp4"
        with source.open("wb") as out:
            block = os.urandom(1024 * 1024)
            for _ in range(size_mb):
                out.write(block)
        server = _child(__file__, "--serve-file", str(source))
        assert server.stdout is not None
        url = server.stdout.readline().strip() + "/media.mp4"
        try:
            httpx_s, ytdlp_s = [], []
            for n in range(rounds):
                target = Path(tmp) / f"httpx-{n}.mp4"
                began = time.perf_counter()
                with (
                    httpx.Client(timeout=30) as client,
                    client.stream("GET", url) as r,
                    target.open("wb") as out,
                ):
                    for chunk in r.iter_bytes(1024 * 1024):
                        out.write(chunk)
                httpx_s.append(time.perf_counter() - began)
                target.unlink()
                target = Path(tmp) / f"ytdlp-{n}.mp4"
                began = time.perf_counter()
                fetch_media(
                    MediaSource(url, "progressive"),
                    target,
                    Live(),
                    timeout=30,
                    rate_limit=None,
                    context={"bench": True},
                )
                ytdlp_s.append(time.perf_counter() - began)
                assert target.stat().st_size == size_mb * 1024 * 1024
                target.unlink()
        finally:
            server.stdin.close()  # type: ignore[union-attr]
            server.wait(10)
    mb = float(size_mb)
    result = {
        "size_mb": mb,
        "httpx_mb_s": mb / min(httpx_s),
        "engine_mb_s": mb / min(ytdlp_s),
    }
    result["ratio_engine_over_httpx"] = result["engine_mb_s"] / result["httpx_mb_s"]
    return result


# ---- 2. Torznab p99 while downloads run ------------------------------------------------------
def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000,
        "max_ms": ordered[-1] * 1000,
        "n": len(ordered),
    }


def _time_searches(client: httpx.Client, queries: list[dict[str, str]], n: int) -> list[float]:
    out = []
    for i in range(n):
        params = queries[i % len(queries)]
        began = time.perf_counter()
        r = client.get("/torznab/api", params=params)
        out.append(time.perf_counter() - began)
        assert r.status_code == 200, r.text[:200]
    return out


class Daemon:
    """``anibridge-like serve`` in a child process over the fake world (another child)."""

    def __init__(self, media_mb: int, env: dict[str, str]) -> None:
        self.world = _child(__file__, "--serve-world", str(media_mb))
        assert self.world.stdout is not None
        announced = json.loads(self.world.stdout.readline())
        self.hosters: str = announced["hosters"]
        self.tmp = tempfile.TemporaryDirectory()
        import yaml

        (Path(self.tmp.name) / "config.yaml").write_text(yaml.safe_dump(announced["seed"]))
        port = 18000 + os.getpid() % 1000
        self.process = _child(
            "-m",
            "anibridge_like",
            "serve",
            env={
                "ANIBRIDGE_DATA_DIR": self.tmp.name,
                "ANIBRIDGE_PORT": str(port),
                "ANIBRIDGE_API_KEY": "k",
                "ANIBRIDGE_LOG_LEVEL": "warning",
                "ANIBRIDGE_LOG_FORMAT": "json",
                "ANIBRIDGE_DOWNLOAD_CONCURRENCY": "3",
                **env,
            },
        )
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        deadline = time.monotonic() + 240
        while True:
            try:
                body = self.client.get("/health/catalog").json()
                if body["ready"] and not body["bootstrapping"]:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "catalog not ready"
            time.sleep(0.5)
        rss = self.client.get("/torznab/api", params={"t": "search", "apikey": "k"}).text
        self.items = ET.fromstring(rss).findall("channel/item")

    def magnets(self) -> list[str]:
        uris = [i.find("enclosure").get("url", "") for i in self.items]  # type: ignore[union-attr]
        return [u for u in uris if "ab_lang=ja" not in u and "ab_s=-1" not in u]

    def infos(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.client.get("/api/v2/torrents/info").json()
        return result

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self.world.stdin.close()  # type: ignore[union-attr]
        self.world.wait(10)
        self.tmp.cleanup()


def pipeline_throughput(media_mb: int) -> dict[str, float]:
    """One grab through the daemon (API → links → host → yt-dlp → rename), add to completed,
    against a plain httpx streamed copy of a same-size file from the same fake hoster."""
    daemon = Daemon(media_mb, {})
    try:
        began = time.perf_counter()
        with (
            httpx.Client(timeout=60) as client,
            tempfile.TemporaryFile() as out,
            client.stream("GET", f"{daemon.hosters}/voe/media/bench.mp4") as r,
        ):
            for chunk in r.iter_bytes(1024 * 1024):
                out.write(chunk)
        plain = time.perf_counter() - began
        uri = daemon.magnets()[0]
        began = time.perf_counter()
        daemon.client.post("/api/v2/torrents/add", data={"urls": uri, "category": "bench"})
        while not any(i["state"] in ("pausedUP", "error") for i in daemon.infos()):
            assert time.perf_counter() - began < 300, daemon.infos()
            time.sleep(0.05)
        grab = time.perf_counter() - began
        info = daemon.infos()[0]
        assert info["state"] == "pausedUP", info
        size_mb = info["size"] / 1024 / 1024
    finally:
        daemon.close()
    return {
        "size_mb": size_mb,
        "httpx_mb_s": media_mb / plain,
        "grab_mb_s": size_mb / grab,
        "ratio_grab_over_httpx": (size_mb / grab) / (media_mb / plain),
        "host": info["content_path"].rsplit(".", 1)[1],  # type: ignore[dict-item]
    }


def torznab_under_downloads(requests_n: int, media_mb: int, rate_kib: int) -> dict[str, Any]:
    daemon = Daemon(media_mb, {"ANIBRIDGE_DOWNLOAD_RATE_LIMIT": str(rate_kib * 1024)})
    try:
        client = daemon.client
        titles = [i.findtext("title") or "" for i in daemon.items]
        queries = [{"t": "search", "apikey": "k", "q": " ".join(t.split()[1:3])} for t in titles]
        queries += [{"t": "search", "apikey": "k"}]
        _time_searches(client, queries, 50)  # warm-up
        idle = _time_searches(client, queries, requests_n)
        for uri in daemon.magnets()[:3]:
            client.post("/api/v2/torrents/add", data={"urls": uri, "category": "bench"})
        deadline = time.monotonic() + 120
        while sum(1 for i in daemon.infos() if i["state"] == "downloading" and i["progress"]) < 3:
            assert time.monotonic() < deadline, daemon.infos()
            time.sleep(0.2)
        busy = _time_searches(client, queries, requests_n)
        running = sum(1 for i in daemon.infos() if i["state"] == "downloading")
    finally:
        daemon.close()
    return {
        "idle": _percentiles(idle),
        "downloads_3": _percentiles(busy),
        "still_running_at_end": running,
        "rate_limit_kib_s": rate_kib,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["throughput", "pipeline", "torznab"])
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--media-mb", type=int, default=64)
    parser.add_argument("--rate-kib", type=int, default=3072)
    parser.add_argument("--serve-file")
    parser.add_argument("--serve-world", type=int)
    args = parser.parse_args()
    if args.serve_file:
        serve_file(args.serve_file)
        return 0
    if args.serve_world:
        serve_world(args.serve_world)
        return 0
    if args.only in (None, "throughput"):
        print(json.dumps({"throughput": throughput(args.size_mb, args.rounds)}, indent=2))
    if args.only in (None, "pipeline"):
        print(json.dumps({"pipeline": pipeline_throughput(args.media_mb)}, indent=2))
    if args.only in (None, "torznab"):
        result = torznab_under_downloads(args.requests, args.media_mb, args.rate_kib)
        print(json.dumps({"torznab": result}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
