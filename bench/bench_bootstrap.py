"""Bootstrap benchmark: the catalog pipeline (title + detail stages) against a fake site (AniWorld,
s.to or megakino: ``--site``) on loopback, in two processes — the site in a child process, the
pipeline in this one, so the figures (and the peak RSS) are the pipeline's own.

    .venv/bin/python bench/bench_bootstrap.py --titles 10000 --episodes 30
    .venv/bin/python bench/bench_bootstrap.py --site sto --titles 3000 --episodes 24
    .venv/bin/python bench/bench_bootstrap.py --titles 100000 --episodes 20 --rss-limit-mb 150

Prints, per stage: wall time, items/s, where the time goes — waiting on the site (time inside
the HTTP transport, summed over concurrent requests), provider-side parsing/client overhead
(provider call time minus transport time), CPU of the event loop (parsing, HTTP client, pipeline)
vs the SQLite threads (writer + readers) vs the site process, the writer's busy time (wall time
units spent from BEGIN to COMMIT, event-loop waits included) and its CPU utilisation (SQLite
thread CPU / wall) — and the process's peak RSS. Ratios are within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anibridge_like.catalog.details import DetailStage  # noqa: E402
from anibridge_like.catalog.pipeline import build_provider, make_run, refresh_instance  # noqa: E402
from anibridge_like.catalog.state import ProgressBoard  # noqa: E402
from anibridge_like.catalog.titles import TitleStage  # noqa: E402
from anibridge_like.plugins.instances import load_instances  # noqa: E402
from anibridge_like.plugins.isolation.remote import process_cpu_seconds  # noqa: E402
from anibridge_like.plugins.registry import Registry  # noqa: E402
from anibridge_like.settings import Settings  # noqa: E402
from anibridge_like.storage.database import ReaderPool  # noqa: E402
from anibridge_like.storage.migrate import apply_migrations  # noqa: E402
from anibridge_like.storage.writer import Writer  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ---- the site, in a child process -------------------------------------------------------------
def serve(site_name: str, titles: int, episodes: int, seed: int) -> None:
    from anibridge_like.demo.catalog import GeneratedCatalog
    from tests.fakes.sites import serve_site

    catalog = GeneratedCatalog(site_name, titles, seed, episodes_per_title=episodes)
    with serve_site(site_name, catalog=catalog) as site:
        sys.stdout.write(site.base_url + "\n")
        sys.stdout.flush()
        sys.stdin.read()  # serve until the parent closes our stdin


def start_site(
    site_name: str, titles: int, episodes: int, seed: int
) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--site",
            site_name,
            "--titles",
            str(titles),
            "--episodes",
            str(episodes),
            "--seed",
            str(seed),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("http://127.0.0.1:"):
        proc.kill()
        raise RuntimeError(f"site did not start: {line!r}")
    return proc, line


# ---- instrumentation --------------------------------------------------------------------------
class TimedTransport(httpx.AsyncBaseTransport):
    """Sums the time spent waiting on the site: until the headers arrive, then for each body
    chunk. The body streams through unbuffered (the AniWorld listing is parsed as it arrives)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=64))
        self.seconds = 0.0
        self.requests = 0
        self.bytes = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        self.seconds += time.perf_counter() - started
        self.requests += 1
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        response.stream = _TimedStream(stream, self)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class _TimedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, owner: TimedTransport) -> None:
        self.inner = inner
        self.owner = owner

    async def __aiter__(self) -> Any:
        iterator = self.inner.__aiter__()
        while True:
            started = time.perf_counter()
            try:
                chunk = await iterator.__anext__()
            except StopAsyncIteration:
                return
            finally:
                self.owner.seconds += time.perf_counter() - started
            self.owner.bytes += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class TimedProvider:
    """Wraps a provider; sums the time of its calls."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.capabilities = inner.capabilities
        self.seconds = 0.0
        self.calls = 0

    @property
    def site(self) -> str:
        return str(self.inner.site)

    async def _timed(self, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return await call()
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1

    async def list_titles(self, cursor: str | None) -> Any:
        return await self._timed(lambda: self.inner.list_titles(cursor))

    async def fetch_detail(self, slug: str) -> Any:
        return await self._timed(lambda: self.inner.fetch_detail(slug))


class RssSampler:
    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, current_rss_mb())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ---- the run ------------------------------------------------------------------------------------
async def bootstrap(
    args: argparse.Namespace, base_url: str, data_dir: Path, site_pid: int
) -> dict[str, Any]:
    settings = Settings(  # type: ignore[call-arg]
        data_dir=data_dir,
        _env_file=None,
        detail_concurrency=args.concurrency,
        title_batch_size=args.title_batch,
        detail_batch_size=args.detail_batch,
    )
    apply_migrations(settings.database_path)
    transport = TimedTransport()
    report: dict[str, Any] = {
        "site": args.site,
        "titles": args.titles,
        "episodes_per_title": args.episodes,
    }
    async with (
        Writer(settings.database_path, queue_size=settings.writer_queue_size) as writer,
        ReaderPool(settings.database_path, 2) as readers,
        httpx.AsyncClient(transport=transport, timeout=60) as http,
    ):
        config = {
            "base_url": base_url,
            "max_concurrency": args.concurrency,
            "timeout": 60,
            "requests_per_second": args.rps,
        }

        async def add(conn: Any) -> None:
            await conn.execute(
                "INSERT INTO plugin_instances (name, implementation, kind, site, config)"
                " VALUES (?, ?, 'provider', ?, ?)",
                (args.site, args.site, args.site, json.dumps(config)),
            )

        await writer.run(add)
        registry = Registry()
        (spec,) = await load_instances(readers, "provider")
        provider = TimedProvider(build_provider(registry, spec, http))
        board = ProgressBoard()
        run = make_run(
            spec,
            provider,
            settings=settings,
            writer=writer,
            readers=readers,  # type: ignore[arg-type]
            registry=registry,
            http=http,
            board=board,
        )
        report["rss_before_mb"] = round(current_rss_mb(), 1)
        for stage in (TitleStage(), DetailStage()):
            name = stage.name.value
            t_site, t_prov, n_req = transport.seconds, provider.seconds, transport.requests
            busy, commits = writer.stats.busy_seconds, writer.stats.committed
            cpu_loop, cpu_all = time.thread_time(), time.process_time()
            cpu_site = process_cpu_seconds(site_pid)
            started = time.perf_counter()
            results = await refresh_instance(run, [stage])
            wall = time.perf_counter() - started
            loop_cpu = time.thread_time() - cpu_loop
            all_cpu = time.process_time() - cpu_all
            site_cpu = process_cpu_seconds(site_pid) - cpu_site
            site = transport.seconds - t_site
            prov = provider.seconds - t_prov
            items = board.get(args.site, name).persisted
            w_busy = writer.stats.busy_seconds - busy
            report[name] = {
                "status": results[name].status,
                "wall_s": round(wall, 2),
                "items": items,
                "items_per_s": round(items / wall, 1) if wall else None,
                "requests": transport.requests - n_req,
                "requests_per_item": round((transport.requests - n_req) / items, 2)
                if items
                else None,
                "site_wait_s_summed": round(site, 2),
                "provider_minus_transport_s_summed": round(prov - site, 2),
                "event_loop_cpu_s": round(loop_cpu, 2),
                "sqlite_threads_cpu_s": round(all_cpu - loop_cpu, 2),
                "site_process_cpu_s": round(site_cpu, 2),
                "writer_busy_s": round(w_busy, 2),
                "writer_units": writer.stats.committed - commits,
                "writer_busy_share": round(w_busy / wall, 3) if wall else None,
                "writer_cpu_utilisation": round((all_cpu - loop_cpu) / wall, 3) if wall else None,
            }
        row = await readers.fetchone("SELECT COUNT(*) FROM episodes")
        report["episodes"] = row[0] if row else 0
        row = await readers.fetchone("SELECT COUNT(*) FROM episode_languages")
        report["episode_languages"] = row[0] if row else 0
    report["db_mb"] = round(settings.database_path.stat().st_size / 2**20, 1)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", choices=("aniworld", "sto", "megakino"), default="aniworld")
    parser.add_argument(
        "--rps", type=float, default=None, help="requests_per_second of the instance (none)"
    )
    parser.add_argument("--titles", type=int, default=10_000)
    parser.add_argument("--episodes", type=int, default=30, help="episodes per title (mean)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--title-batch", type=int, default=1000)
    parser.add_argument("--detail-batch", type=int, default=20)
    parser.add_argument("--rss-limit-mb", type=float, default=None)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.site, args.titles, args.episodes, args.seed)
        return 0
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    proc, base_url = start_site(args.site, args.titles, args.episodes, args.seed)
    try:
        with tempfile.TemporaryDirectory() as tmp, RssSampler() as sampler:
            started = time.perf_counter()
            report = asyncio.run(bootstrap(args, base_url, Path(tmp), proc.pid))
            report["total_wall_s"] = round(time.perf_counter() - started, 2)
        report["peak_rss_mb"] = round(max(peak_rss_mb(), sampler.peak), 1)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(30)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    if args.rss_limit_mb is not None:
        ok = report["peak_rss_mb"] <= args.rss_limit_mb
        sys.stdout.write(
            f"peak RSS {report['peak_rss_mb']} MB vs limit {args.rss_limit_mb} MB: "
            f"{'OK' if ok else 'OVER'}\n"
        )
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
