"""Plex Media Server over its XML API.

- ``GET /identity`` → ``MediaContainer@machineIdentifier``, ``@version`` (answers without a
  token on real servers, so ``check_connection`` also reads ``/library/sections`` to prove the
  token).
- ``GET /library/sections`` → ``Directory@key/@type/@title/@refreshing`` with ``Location@path``.
  Libraries are told apart by ``type`` (``show`` / ``movie``), never by their (localised) title;
  music and photo sections are not listed.
- ``GET /library/sections/{key}/all?includeGuids=1`` paged with ``X-Plex-Container-Start`` /
  ``X-Plex-Container-Size`` → shows (``Directory``) and movies (``Video``, file in
  ``Media/Part@file``), ids in ``Guid@id`` children (``tvdb://…``, ``tmdb://…``, ``imdb://tt…``).
- ``GET /library/metadata/{ratingKey}/allLeaves`` (same paging) → a show's episodes:
  ``@parentIndex`` (season), ``@index``, ``Media/Part@file``.
- ``GET /library/sections/{key}/refresh`` starts a scan (``trigger_scan``); ``@refreshing`` of
  the section says whether one runs (``scan_status``).
- Auth: ``X-Plex-Token`` header.

The cursor is ``<section offset>:<entry in that chunk>:<leaf offset>``. An empty chunk or leaf
page before ``totalSize`` is reached raises ``upstream`` (never a silently short listing).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import ClassVar

import httpx

from anibridge_like.mediaservers.http import HttpMediaServerConfig, send
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.media_server import (
    ItemPage,
    LibraryKind,
    MediaServerCapabilities,
    ServerItem,
    ServerLibrary,
    ServerStatus,
    normalise_provider_ids,
)

_KINDS: dict[str, LibraryKind] = {"show": "series", "movie": "movies"}
MAX_SHOWS_PER_PAGE = 64
"""Bound on the leaf requests one ``list_items`` call makes (shows with few episodes)."""


class PlexConfig(HttpMediaServerConfig):
    """A Plex server: ``url`` (e.g. http://plex:32400) and an ``X-Plex-Token``."""


class PlexServer:
    capabilities: ClassVar[MediaServerCapabilities] = MediaServerCapabilities(
        optional=frozenset({"trigger_scan", "scan_status"})
    )
    config_model: ClassVar[type[PlexConfig]] = PlexConfig

    def __init__(self, config: PlexConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self._client = client
        self._headers = {"X-Plex-Token": config.api_key, "Accept": "application/xml"}

    async def _get(
        self, path: str, params: dict[str, str] | None = None, *, start: int | None = None
    ) -> ET.Element:
        query = dict(params or {})
        if start is not None:
            query["X-Plex-Container-Start"] = str(start)
            query["X-Plex-Container-Size"] = str(self.config.page_size)
        response = await send(
            self._client,
            "GET",
            self.config.url + path,
            headers=self._headers,
            timeout_seconds=self.config.timeout,
            params=query or None,
        )
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError as exc:
            raise PluginError(ErrorCode.INVALID_DATA, f"GET {path}: not XML ({exc})") from exc
        if root.tag != "MediaContainer":
            raise PluginError(ErrorCode.INVALID_DATA, f"GET {path}: no MediaContainer")
        return root

    async def check_connection(self) -> ServerStatus:
        identity = await self._get("/identity")
        await self._get("/library/sections")
        return ServerStatus(
            name=f"Plex {identity.get('machineIdentifier', '')}".strip(),
            version=identity.get("version", ""),
            server_id=identity.get("machineIdentifier", ""),
        )

    async def list_libraries(self) -> list[ServerLibrary]:
        root = await self._get("/library/sections")
        return [
            ServerLibrary(
                ref=d.get("key", ""),
                name=d.get("title", ""),
                kind=_KINDS[d.get("type", "")],
                paths=tuple(loc.get("path", "") for loc in d.findall("Location")),
            )
            for d in root.findall("Directory")
            if d.get("type") in _KINDS and d.get("key")
        ]

    async def list_items(self, library_ref: str, cursor: str | None) -> ItemPage:
        chunk_start, entry, leaf = _parse_cursor(cursor)
        chunk = await self._get(
            f"/library/sections/{library_ref}/all", {"includeGuids": "1"}, start=chunk_start
        )
        entries = [e for e in chunk if e.tag in ("Directory", "Video")]
        total = _int(chunk.get("totalSize")) or 0
        if not entries and chunk_start < total:
            raise PluginError(
                ErrorCode.UPSTREAM,
                f"section {library_ref} listing ended early ({chunk_start} of {total})",
            )
        items: list[ServerItem] = []
        shows = 0
        while entry < len(entries) and len(items) < self.config.page_size:
            node = entries[entry]
            if node.get("type") == "movie":
                items.append(_title_item(node, "movie"))
                entry += 1
                continue
            if node.get("type") != "show":
                entry += 1
                continue
            if shows >= MAX_SHOWS_PER_PAGE:
                break
            shows += 1
            show = _title_item(node, "series")
            if leaf == 0:
                items.append(show)
            leaves = await self._get(f"/library/metadata/{show.server_id}/allLeaves", start=leaf)
            episodes = [v for v in leaves if v.tag == "Video"]
            leaf_total = _int(leaves.get("totalSize")) or 0
            if not episodes and leaf < leaf_total:
                raise PluginError(
                    ErrorCode.UPSTREAM,
                    f"episodes of {show.server_id} ended early ({leaf} of {leaf_total})",
                )
            items.extend(_episode_item(v, show) for v in episodes)
            leaf += len(episodes)
            if not episodes or leaf >= leaf_total:
                entry, leaf = entry + 1, 0
        if entry < len(entries):
            next_cursor: str | None = f"{chunk_start}:{entry}:{leaf}"
        elif entries and chunk_start + len(entries) < total:
            next_cursor = f"{chunk_start + len(entries)}:0:0"
        else:
            next_cursor = None
        return ItemPage(items=tuple(items), next_cursor=next_cursor, total=total)

    async def trigger_scan(self, library_ref: str) -> None:
        await send(  # answers 200 with an empty body
            self._client,
            "GET",
            f"{self.config.url}/library/sections/{library_ref}/refresh",
            headers=self._headers,
            timeout_seconds=self.config.timeout,
        )

    async def scan_status(self, library_ref: str) -> bool:
        root = await self._get("/library/sections")
        for d in root.findall("Directory"):
            if d.get("key") == library_ref:
                return d.get("refreshing") == "1"
        raise PluginError(ErrorCode.NOT_FOUND, f"no Plex section {library_ref!r}")


def _parse_cursor(cursor: str | None) -> tuple[int, int, int]:
    if not cursor:
        return 0, 0, 0
    parts = cursor.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise PluginError(ErrorCode.INVALID_DATA, f"not a Plex listing cursor: {cursor!r}")
    return int(parts[0]), int(parts[1]), int(parts[2])


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.lstrip("-").isdigit() else None


_LEGACY_AGENTS = {
    "com.plexapp.agents.thetvdb": "tvdb",
    "com.plexapp.agents.themoviedb": "tmdb",
    "com.plexapp.agents.imdb": "imdb",
}
"""The ``guid`` attribute of items matched by Plex's legacy agents
(``com.plexapp.agents.thetvdb://267440?lang=en``); the new agents list ``Guid`` children."""


def _guids(node: ET.Element) -> dict[str, str]:
    raw: dict[str, str] = {}
    for guid in node.findall("Guid"):
        scheme, sep, value = guid.get("id", "").partition("://")
        if sep:
            raw.setdefault(scheme, value)
    agent, sep, rest = node.get("guid", "").partition("://")
    if sep and agent in _LEGACY_AGENTS:
        raw.setdefault(_LEGACY_AGENTS[agent], rest.split("?")[0].split("/")[0])
    return normalise_provider_ids(raw)


def _file(node: ET.Element) -> str:
    part = node.find("Media/Part")
    return part.get("file", "") if part is not None else ""


def _title_item(node: ET.Element, kind: str) -> ServerItem:
    key = node.get("ratingKey", "")
    return ServerItem(
        server_id=key,
        kind="movie" if kind == "movie" else "series",
        title=node.get("title", ""),
        year=_int(node.get("year")),
        provider_ids=_guids(node),
        series_key=key,
        path=_file(node),
    )


def _episode_item(node: ET.Element, show: ServerItem) -> ServerItem:
    return ServerItem(
        server_id=node.get("ratingKey", ""),
        kind="episode",
        title=show.title,
        series_key=show.server_id,
        season=_int(node.get("parentIndex")),
        episode=_int(node.get("index")),
        path=_file(node),
    )
