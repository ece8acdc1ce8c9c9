"""A whole deployment on loopback: fake AniWorld/s.to/megakino sites whose redirects lead to the
fake hosters, fake metadata services, the daemon (indexing those sites) with its download client,
and Sonarr-like clients of its qBittorrent API. One per module (indexing takes a few seconds)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from anibridge_like.app import create_app
from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.faults import FaultController
from anibridge_like.demo.hosters import HosterState
from anibridge_like.demo.hosters import build_app as build_hosters
from anibridge_like.demo.mediaservers.content import FakeLibrary, FakeServerState
from anibridge_like.demo.mediaservers.jellyfin import build_jellyfin_app
from anibridge_like.demo.metadata import metadata_apps
from anibridge_like.demo.sites import build_site_app
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import parse_seed
from anibridge_like.settings import Settings
from tests.downloads.sonarr_client import SonarrQbit
from tests.fakes.sites import serve_app

KEY = "dl-key"
USER, PASSWORD = "sonarr", "s3cret-pass"
HOST_ORDER = ["Vidmoly", "Doodstream", "Streamtape", "Filemoon", "VOE", "Vidoza"]
STRM_CATEGORY = "tv-strm"
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
JELLYFIN_KEY_ENV = "TEST_DOWNLOADS_JELLYFIN_KEY"


@dataclass
class Sites:
    urls: dict[str, str]
    hosters: HosterState
    hoster_faults: FaultController
    site_faults: dict[str, FaultController]
    jellyfin: FakeServerState
    """A Jellyfin bound to the ``anime`` library that asks for rescans after downloads."""


@dataclass
class World:
    app: Any
    client: httpx.AsyncClient
    settings: Settings
    sites: Sites

    def sonarr(self, category: str, password: str = PASSWORD) -> SonarrQbit:
        return SonarrQbit(self.client, username=USER, password=password, category=category)

    async def magnets(self, library: str, **params: Any) -> list[dict[str, str]]:
        """Magnets of a Torznab answer, as dicts of their parameters (plus ``uri``)."""
        response = await self.client.get(
            f"/torznab/{library}/api", params={"apikey": KEY, "t": "search", **params}
        )
        assert response.status_code == 200, response.text
        import xml.etree.ElementTree as ET

        out = []
        for item in ET.fromstring(response.text).findall("channel/item"):
            uri = item.find("enclosure").get("url", "")  # type: ignore[union-attr]
            params_ = dict(parse_qsl(uri[len("magnet:?") :]))
            params_["uri"] = uri
            params_["title"] = item.findtext("title") or ""
            params_["hash"] = params_["xt"].removeprefix("urn:btih:")
            out.append(params_)
        return out


@pytest.fixture(scope="module", autouse=True)
def loopback_only() -> Iterator[list[object]]:
    """Every outgoing connection of these tests (httpx, yt-dlp's threads) must go to loopback;
    anything else is refused and fails the module."""
    refused: list[object] = []
    original = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in LOOPBACK_HOSTS:
            refused.append(address)
            raise OSError(f"test tried to connect to {address!r} (loopback only)")
        original(self, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        yield refused
    assert not refused, f"connections beyond loopback were attempted: {refused}"


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    catalogs = {
        "aniworld": GeneratedCatalog("aniworld", 6, 5, episodes_per_title=4),
        "sto": GeneratedCatalog("sto", 5, 5, episodes_per_title=3),
        "megakino": GeneratedCatalog("megakino", 8, 5, episodes_per_title=2),
    }
    state = HosterState(media_size=96 * 1024)
    faults = FaultController()
    with ExitStack() as stack:
        hosters_url = stack.enter_context(serve_app(build_hosters(state, faults)))
        urls = {"hosters": hosters_url}
        site_faults: dict[str, FaultController] = {}
        for name, catalog in catalogs.items():
            site_faults[name] = FaultController()
            app = build_site_app(name, catalog, site_faults[name])
            app.state.hosters_url = hosters_url
            urls[name] = stack.enter_context(serve_app(app))
        for name, service in metadata_apps(catalogs).items():
            urls[name] = stack.enter_context(serve_app(service.app))
        jellyfin = FakeServerState(libraries=[FakeLibrary("Anime", "series")])
        urls["jellyfin"] = stack.enter_context(serve_app(build_jellyfin_app(jellyfin)))
        yield Sites(urls, state, faults, site_faults, jellyfin)


def seed_data(urls: dict[str, str]) -> dict[str, Any]:
    return {
        "libraries": [
            {"slug": "anime", "kind": "anime", "languages": ["de_dub", "de_sub", "en_sub"]},
            {"slug": "series", "kind": "series"},
            {"slug": "movies", "kind": "movies"},
        ],
        "plugins": [
            *(
                {
                    "name": f"demo-{site}",
                    "implementation": site,
                    "kind": "provider",
                    "libraries": [lib],
                    "config": {"base_url": urls[site]},
                }
                for site, lib in (("aniworld", "anime"), ("sto", "series"), ("megakino", "movies"))
            ),
            *(service.seed_entry(n, urls[n]) for n, service in metadata_apps({}).items()),
            {
                "name": "jelly",
                "implementation": "jellyfin",
                "kind": "media_server",
                "config": {
                    "url": urls["jellyfin"],
                    "api_key_env": JELLYFIN_KEY_ENV,
                    "libraries": {"anime": "Anime"},
                    "trigger_scan": True,
                },
            },
        ],
    }


def daemon_settings(data: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data / "data",
        download_dir=data / "downloads",
        api_key=SecretStr(KEY),
        qbittorrent_username=USER,
        qbittorrent_password=SecretStr(PASSWORD),
        download_host_order=HOST_ORDER,
        download_strm_categories=[STRM_CATEGORY],
        download_category_folders={"tv-mapped": "tv"},
        download_host_timeout_seconds=10,
        download_progress_flush_seconds=0.2,
        public_url="http://anibridge.test",
    )


@asynccontextmanager
async def running_daemon(sites: Sites, settings: Settings) -> AsyncIterator[World]:
    """The daemon on ``settings`` until the block ends (its lifespan, like a process run)."""
    registry = Registry()
    environ = {JELLYFIN_KEY_ENV: sites.jellyfin.token}
    app = create_app(
        settings,
        seed=parse_seed(seed_data(sites.urls), registry, environ=environ),
        registry=registry,
        environ=environ,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            deadline = time.monotonic() + 120
            while True:
                body = (await client.get("/health/catalog")).json()
                if body["ready"] and not body["bootstrapping"]:
                    break
                assert time.monotonic() < deadline, f"catalog not ready in time: {body}"
                await asyncio.sleep(0.2)
            yield World(app, client, settings, sites)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(sites: Sites, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    settings = daemon_settings(tmp_path_factory.mktemp("daemon"))
    async with running_daemon(sites, settings) as running:
        yield running


def outside_files(root: Path, download_dir: Path) -> set[Path]:
    """Files under ``root`` that are not under ``download_dir`` (nor the database dir)."""
    return {
        p
        for p in root.rglob("*")
        if p.is_file() and not p.is_relative_to(download_dir) and "data" not in p.parts
    }
