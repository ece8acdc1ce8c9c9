"""``anibridge-like serve --demo``: the daemon with a bundled seed, indexing bundled demo sites.

The demo sites are the deterministic fake sites of the test suite (AniWorld-, s.to- and
megakino-style), served by uvicorn on 127.0.0.1 ports of their own inside this process, with the
fake video hosters (:mod:`anibridge_like.demo.hosters`) behind their episode pages' redirects, so
a grab from Sonarr/Radarr (added as a qBittorrent client) ends with a file in
``<data_dir>/demo/downloads/<category>/``. The demo tries the failing hosters first
(``DEMO_HOST_ORDER``) so the fallback shows in the log. The
demo's database lives in ``<data_dir>/demo`` so it never mixes with a real index. The Torznab
URL and key to paste into Sonarr/Radarr/Prowlarr are announced once the daemon is up.
"""

from __future__ import annotations

import asyncio
import contextvars
import socket
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import urlsplit

import structlog
import uvicorn
from pydantic import SecretStr
from starlette.types import ASGIApp

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.mediaservers.tree import demo_media_server, with_media_jobs
from anibridge_like.demo.metadata_jobs import control_lines, with_metadata_jobs
from anibridge_like.demo.sites import build_site_app
from anibridge_like.demo.wanted import with_wanted_jobs
from anibridge_like.logging import QUIET
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import Seed, parse_seed
from anibridge_like.server import DaemonServer, QuietServer
from anibridge_like.settings import Settings
from anibridge_like.startup import banner, bind_socket, public_base_url, resolve_api_key

log = structlog.get_logger(__name__)

DEMO_TITLES = {"aniworld": 120, "sto": 80, "megakino": 150}
DEMO_SEED = 7
DEMO_HOST_ORDER = ["Vidmoly", "Doodstream", "Streamtape", "Filemoon", "VOE", "Vidoza"]
DEMO_STRM_CATEGORY = "tv-strm"


async def serve_loopback(app: ASGIApp, stack: AsyncExitStack, name: str) -> str:
    """Serve ``app`` on 127.0.0.1 (a free port) until ``stack`` closes; returns its base URL.

    The server runs in a context where :data:`~anibridge_like.logging.QUIET` is set: its
    uvicorn lines ("Started server process", errors of the demo's own injected faults) stay out
    of the daemon's log."""
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off"
    )
    server = QuietServer(config)
    quiet = contextvars.copy_context()
    quiet.run(QUIET.set, True)
    task = asyncio.create_task(
        server.serve(sockets=[sock]), name=f"demo-site-{name}", context=quiet
    )
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if not server.started:
        raise RuntimeError(f"demo site {name} did not start")

    async def stop() -> None:
        server.should_exit = True
        await task

    stack.callback(sock.close)  # after stop (LIFO): uvicorn's shutdown closes it first
    stack.push_async_callback(stop)
    return f"http://127.0.0.1:{port}"


def demo_seed(
    urls: dict[str, str], registry: Registry, extra_plugins: list[dict[str, Any]]
) -> Seed:
    data = {
        "libraries": with_wanted_jobs(
            with_metadata_jobs(
                with_media_jobs(
                    [
                        {
                            "slug": "anime",
                            "kind": "anime",
                            "languages": ["de_dub", "de_sub", "en_sub"],
                        },
                        {
                            "slug": "series",
                            "kind": "series",
                            "languages": ["de_dub", "en_dub", "de_sub"],
                        },
                        {
                            "slug": "movies",
                            "kind": "movies",
                            "languages": ["de_dub", "en_dub", "de_sub"],
                        },
                    ]
                )
            )
        ),
        "plugins": [
            {
                "name": "demo-aniworld",
                "implementation": "aniworld",
                "kind": "provider",
                "libraries": ["anime"],
                "config": {"base_url": urls["aniworld"], "requests_per_second": None},
            },
            {
                "name": "demo-sto",
                "implementation": "sto",
                "kind": "provider",
                "libraries": ["series"],
                "config": {"base_url": urls["sto"], "requests_per_second": None},
            },
            {
                "name": "demo-megakino",
                "implementation": "megakino",
                "kind": "provider",
                "libraries": ["movies"],
                "config": {"base_url": urls["megakino"], "requests_per_second": None},
            },
            *extra_plugins,
        ],
    }
    return parse_seed(data, registry, source="<demo seed>", environ={})


async def _run(
    settings: Settings, announce: Callable[[list[str]], None], sock: socket.socket
) -> None:
    from anibridge_like.app import create_app
    from anibridge_like.demo.hosters import build_app as build_hosters
    from anibridge_like.demo.metadata import metadata_apps
    from anibridge_like.demo.metadata.world import MappingWorld
    from anibridge_like.demo.wanted import wanted_services

    registry = Registry()
    demo_dir = settings.data_dir / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    # the demo always has a key: its own, in the demo's data directory
    demo_settings, key = resolve_api_key(
        settings.model_copy(update={"data_dir": demo_dir, "generate_api_key": True})
    )
    async with AsyncExitStack() as stack:
        world = MappingWorld(seed=DEMO_SEED)  # titles with real catalogues' discrepancies
        catalogs: dict[str, GeneratedCatalog] = {
            site: world.catalog(GeneratedCatalog(site, n, DEMO_SEED))
            for site, n in DEMO_TITLES.items()
        }
        hosters_url = await serve_loopback(build_hosters(), stack, "hosters")
        urls: dict[str, str] = {}
        for site, cat in catalogs.items():
            site_app = build_site_app(site, cat)
            site_app.state.hosters_url = hosters_url
            urls[site] = await serve_loopback(site_app, stack, site)
        extra: list[dict[str, Any]] = []
        metadata_urls: dict[str, str] = {}
        for name, service in metadata_apps(catalogs, world).items():
            url = metadata_urls[name] = await serve_loopback(service.app, stack, name)
            extra.append(service.seed_entry(f"demo-{name}", url))
        for wanted in wanted_services(catalogs):
            extra += wanted.seed_entries(await serve_loopback(wanted.app, stack, wanted.name))
        extra.append(demo_media_server(demo_dir / "media", catalogs))
        seed = demo_seed(urls, registry, extra)
        demo_settings = demo_settings.model_copy(
            update={
                "admin_api_key": settings.admin_api_key or SecretStr(key.value or ""),
                "download_host_order": DEMO_HOST_ORDER,
                "download_strm_categories": settings.download_strm_categories
                or [DEMO_STRM_CATEGORY],
            }
        )
        app = create_app(demo_settings, seed=seed, registry=registry)
        base = public_base_url(settings)
        lines = banner(
            base,
            seed.libraries,
            key,
            title="anibridge-like demo is running (a generated catalog, indexed within a minute).",
        )
        address = urlsplit(base)
        lines[-1:-1] = [
            f"Wanted lists: {base}/api/v1/libraries/anime/wanted?apikey=<the API key>",
            f"Recommendations: {base}/api/v1/libraries/anime/recommendations?apikey=<the API key>",
            f"Gaps (what your media server lacks): {base}/api/v1/libraries/anime/gaps"
            "?apikey=<the API key>",
            "Add a qBittorrent download client in Sonarr/Radarr:",
            f"  host {address.hostname}, port {address.port}, no username/password",
            f"  files land in {demo_settings.resolved_download_dir}/<category>/ "
            f"(category {DEMO_STRM_CATEGORY!r} gets .strm files)",
            *control_lines(base, metadata_urls["skyhook"]),
        ]
        server = DaemonServer.for_app(
            app, settings.host, settings.port, on_started=lambda: announce(lines)
        )
        await server.serve(sockets=[sock])
        if not server.started:
            raise SystemExit(1)


def run_demo(settings: Settings, announce: Callable[[list[str]], None], sock: socket.socket) -> int:
    """Run the demo on ``sock`` (bound by the caller, so a port in use is reported first)."""
    try:
        asyncio.run(_run(settings, announce, sock))
    finally:
        sock.close()
    return 0
