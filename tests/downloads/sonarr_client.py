"""A Sonarr-like qBittorrent client: drives the API exactly as Sonarr's proxy does.

Evidence (``Sonarr/Sonarr``, ``src/NzbDrone.Core/Download/Clients/QBittorrent/``):
``QBittorrentProxySelector.cs``/``QBittorrentProxyV2.IsApiSupported`` probe
``/api/v2/app/webapiVersion`` without credentials (404 = no v2 API; 403 or 200 = supported, 401 =
error); ``ProcessRequest`` sends the request with the cached ``SID`` cookie, and on 403 logs in
again (``auth/login`` form ``username``/``password``; a 401/403 or a body other than ``Ok.`` is an
authentication failure) and repeats it once; ``QBittorrent.AddFromMagnetLink`` reads
``app/preferences`` and refuses a magnet without ``&tr=`` unless ``dht`` is true, then
``torrents/add`` with ``urls``, ``category`` and ``paused=false`` ("Fails." = failure);
``GetItems`` reads ``app/webapiVersion``, ``app/preferences`` and ``torrents/info?category=`` and
maps states (``pausedUP``/``stoppedUP``/``uploading``… completed, ``error`` warning); with API
≥ 2.6.1 it imports from ``content_path`` when it differs from ``save_path``; ``RemoveItem`` posts
``torrents/delete`` with ``hashes`` and ``deleteFiles=true``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

COMPLETED = {"pausedUP", "stoppedUP", "uploading", "stalledUP", "queuedUP", "forcedUP"}


class AuthFailed(Exception):
    pass


class SonarrQbit:
    def __init__(
        self, client: httpx.AsyncClient, *, username: str, password: str, category: str
    ) -> None:
        self.client = client
        self.username = username
        self.password = password
        self.category = category
        self.cookies: dict[str, str] = {}

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": f"SID={self.cookies['SID']}"} if self.cookies else {}

    async def probe(self) -> str:
        response = await self.client.get("/api/v2/app/webapiVersion")
        if response.status_code == 404:
            raise RuntimeError("no qBittorrent v2 API")
        if response.status_code == 401 or response.status_code >= 500:
            raise RuntimeError(f"probe failed: {response.status_code}")
        return (await self.call("GET", "/api/v2/app/webapiVersion")).text

    async def login(self) -> None:
        response = await self.client.post(
            "/api/v2/auth/login", data={"username": self.username, "password": self.password}
        )
        if response.status_code in (401, 403) or response.text not in ("", "Ok."):
            raise AuthFailed(f"{response.status_code} {response.text}")
        self.cookies = {"SID": response.cookies["SID"]}

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self.username and not self.cookies:
            await self.login()
        response = await self.client.request(method, path, headers=self.headers, **kwargs)
        if response.status_code == 403:
            await self.login()
            response = await self.client.request(method, path, headers=self.headers, **kwargs)
        response.raise_for_status()
        return response

    async def add(self, magnet: str) -> None:
        prefs = (await self.call("GET", "/api/v2/app/preferences")).json()
        if not prefs["dht"] and "&tr=" not in magnet:
            raise RuntimeError("Magnet Links without trackers not supported if DHT is disabled")
        result = await self.call(
            "POST",
            "/api/v2/torrents/add",
            data={"urls": magnet, "category": self.category, "paused": "false"},
        )
        if result.text == "Fails.":
            raise RuntimeError("Download client failed to add torrent by url")

    async def items(self) -> list[dict[str, Any]]:
        await self.call("GET", "/api/v2/app/webapiVersion")
        await self.call("GET", "/api/v2/app/preferences")
        response = await self.call(
            "GET", "/api/v2/torrents/info", params={"category": self.category}
        )
        items: list[dict[str, Any]] = response.json()
        return items

    async def wait(self, infohash: str, within: float = 60.0) -> dict[str, Any]:
        """Poll like Sonarr's queue refresh until the item is completed or in error."""
        deadline = time.monotonic() + within
        while True:
            for item in await self.items():
                if item["hash"].upper() == infohash.upper() and (
                    item["state"] in COMPLETED or item["state"] == "error"
                ):
                    return item
            if time.monotonic() > deadline:
                raise AssertionError(f"{infohash} not finished in {within} s: {await self.items()}")
            await asyncio.sleep(0.1)

    async def remove(self, infohash: str, delete_data: bool) -> None:
        data = {"hashes": infohash.lower()}
        if delete_data:
            data["deleteFiles"] = "true"
        await self.call("POST", "/api/v2/torrents/delete", data=data)
