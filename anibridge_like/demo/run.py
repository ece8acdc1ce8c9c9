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
import secrets
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import structlog
import uvicorn
from pydantic import SecretStr
from starlette.types import ASGIApp

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.mediaservers.tree import demo_media_server, with_media_jobs
from anibridge_like.demo.sites import build_site_app
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import Seed, parse_seed
from anibridge_like.server import DaemonServer, QuietServer
from anibridge_like.settings import Settings

log = structlog.get_logger(__name__)

DEMO_TITLES = {"aniworld": 120, "sto": 80, "megakino": 150}
DEMO_SEED = 7
DEMO_HOST_ORDER = ["Vidmoly", "Doodstream", "Streamtape", "Filemoon", "VOE", "Vidoza"]
DEMO_STRM_CATEGORY = "tv-strm"


async def serve_loopback(app: ASGIApp, stack: AsyncExitStack, name: str) -> str:
    """Serve ``app`` on 127.0.0.1 (a free port) until ``stack`` closes; returns its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off"
    )
    server = QuietServer(config)
    task = asyncio.create_task(server.serve(), name=f"demo-site-{name}")
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if not server.started:
        raise RuntimeError(f"demo site {name} did not start")

    async def stop() -> None:
        server.should_exit = True
        await task

    stack.push_async_callback(stop)
    port = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}"


def demo_seed(
    urls: dict[str, str], registry: Registry, extra_plugins: list[dict[str, Any]]
) -> Seed:
    data = {
        "libraries": with_media_jobs(
            [
                {"slug": "anime", "kind": "anime", "languages": ["de_dub", "de_sub", "en_sub"]},
                {"slug": "series", "kind": "series", "languages": ["de_dub", "en_dub", "de_sub"]},
                {"slug": "movies", "kind": "movies", "languages": ["de_dub", "en_dub", "de_sub"]},
            ]
        ),
        "plugins": [
            {
                "name": "demo-aniworld",
                "implementation": "aniworld",
                "kind": "provider",
                "libraries": ["anime"],
                "config": {"base_url": urls["aniworld"]},
            },
            {
                "name": "demo-sto",
                "implementation": "sto",
                "kind": "provider",
                "libraries": ["series"],
                "config": {"base_url": urls["sto"]},
            },
            {
                "name": "demo-megakino",
                "implementation": "megakino",
                "kind": "provider",
                "libraries": ["movies"],
                "config": {"base_url": urls["megakino"]},
            },
            *extra_plugins,
        ],
    }
    return parse_seed(data, registry, source="<demo seed>", environ={})


def _demo_key(directory: Path) -> str:
    path = directory / "torznab_api_key"
    if path.exists():
        return path.read_text("utf-8").strip()
    key = secrets.token_hex(12)
    path.write_text(key, "utf-8")
    return key


async def _run(settings: Settings, announce: Callable[[str], None]) -> None:
    from anibridge_like.app import create_app
    from anibridge_like.demo.hosters import build_app as build_hosters
    from anibridge_like.demo.metadata import metadata_apps

    registry = Registry()
    demo_dir = settings.data_dir / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    key = settings.api_key.get_secret_value() if settings.api_key else _demo_key(demo_dir)
    async with AsyncExitStack() as stack:
        catalogs = {site: GeneratedCatalog(site, n, DEMO_SEED) for site, n in DEMO_TITLES.items()}
        hosters_url = await serve_loopback(build_hosters(), stack, "hosters")
        urls: dict[str, str] = {}
        for site, cat in catalogs.items():
            site_app = build_site_app(site, cat)
            site_app.state.hosters_url = hosters_url
            urls[site] = await serve_loopback(site_app, stack, site)
        extra: list[dict[str, Any]] = []
        for name, service in metadata_apps(catalogs).items():
            url = await serve_loopback(service.app, stack, name)
            extra.append(service.seed_entry(f"demo-{name}", url))
        extra.append(demo_media_server(demo_dir / "media", catalogs))
        seed = demo_seed(urls, registry, extra)
        demo_settings = settings.model_copy(
            update={
                "data_dir": demo_dir,
                "api_key": SecretStr(key),
                "admin_api_key": settings.admin_api_key or SecretStr(key),
                "download_host_order": DEMO_HOST_ORDER,
                "download_strm_categories": settings.download_strm_categories
                or [DEMO_STRM_CATEGORY],
            }
        )
        app = create_app(demo_settings, seed=seed, registry=registry)
        server = DaemonServer.for_app(app, settings.host, settings.port)
        task = asyncio.create_task(server.serve(), name="daemon")
        for _ in range(1200):  # up to a minute for migrations + start-up
            if server.started or task.done():
                break
            await asyncio.sleep(0.05)
        if server.started:
            base = f"http://{settings.host}:{settings.port}"
            announce("")
            announce("anibridge-like demo is running. Add a Torznab indexer in Sonarr/Radarr:")
            for lib in seed.libraries:
                announce(f"  {lib.name:<7} URL: {base}/torznab/{lib.slug}/api")
            announce(f"  API key    : {key}")
            announce(f"  progress   : {base}/health/catalog")
            announce(f"  gaps       : {base}/api/v1/libraries/anime/gaps?apikey={key}")
            announce("")
            announce("Add a qBittorrent download client in Sonarr/Radarr:")
            announce(f"  host {settings.host}, port {settings.port}, no username/password")
            announce(
                f"  files land in {demo_settings.resolved_download_dir}/<category>/ "
                f"(category {DEMO_STRM_CATEGORY!r} gets .strm files)"
            )
            announce("")
        await task
        if not server.started:
            raise SystemExit(1)


def run_demo(settings: Settings, announce: Callable[[str], None]) -> int:
    asyncio.run(_run(settings, announce))
    return 0
