"""Run a fake provider site on a loopback port.

In tests and benchmarks::

    with serve_site("aniworld", titles=1000, seed=0) as site:
        site.base_url          # http://127.0.0.1:<port>
        site.faults.add("rate_limit", path="/anime/stream/*", count=2)
        site.faults.count("/animes-alphabet")

From a shell (prints the base URL on the first line of stdout, serves until interrupted; drive
faults with ``POST/DELETE <base>/__faults``, read counters at ``<base>/__counters``)::

    python -m tests.fakes.sites --provider aniworld --titles 10000 --port 0
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.faults import FaultController
from anibridge_like.demo.sites import SITE_PROVIDERS, build_site_app

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class RunningSite:
    provider: str
    base_url: str
    catalog: GeneratedCatalog
    faults: FaultController

    def __str__(self) -> str:
        return self.base_url


@contextlib.contextmanager
def serve_app(app: ASGIApp, port: int = 0, *, startup_timeout: float = 10.0) -> Iterator[str]:
    """Serve any ASGI app on 127.0.0.1 in a background thread; yields its base URL."""
    config = uvicorn.Config(
        app,
        host=LOOPBACK,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fake-site", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("fake site server did not start")
        time.sleep(0.01)
    sockets = [s for srv in server.servers for s in srv.sockets]
    bound_port = sockets[0].getsockname()[1]
    try:
        yield f"http://{LOOPBACK}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def serve_site(
    provider: str,
    titles: int = 100,
    seed: int = 0,
    *,
    port: int = 0,
    catalog: GeneratedCatalog | None = None,
    faults: FaultController | None = None,
) -> Iterator[RunningSite]:
    """Serve the fake site of ``provider`` (a generated catalog of ``titles`` unless given)."""
    catalog = catalog or GeneratedCatalog(provider, titles, seed)
    faults = faults or FaultController()
    app = build_site_app(provider, catalog, faults)
    with serve_app(app, port) as base_url:
        yield RunningSite(provider, base_url, catalog, faults)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--provider", choices=SITE_PROVIDERS, required=True)
    parser.add_argument("--titles", type=int, default=1000, help="catalog size (1..200000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with serve_site(args.provider, args.titles, args.seed, port=args.port) as site:
        sys.stdout.write(f"{site.base_url}\n")
        sys.stdout.flush()
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
