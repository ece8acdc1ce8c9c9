"""Jellyfin over its REST API.

- ``GET /System/Info`` → ``ServerName``, ``Version``, ``Id`` (also proves the token works).
- ``GET /Library/VirtualFolders`` → libraries: ``Name``, ``ItemId`` (the ref), ``CollectionType``
  (``tvshows`` / ``movies`` / …), ``Locations``.
- ``GET /Items?ParentId=…&Recursive=true&IncludeItemTypes=…&Fields=ProviderIds,Path
  &StartIndex=…&Limit=…`` → ``{Items, TotalRecordCount, StartIndex}``. A listing runs in two
  phases: series and movies first (they carry the ``ProviderIds`` — an episode's own ids are
  episode ids, not the series'), then episodes (``SeriesId``, ``ParentIndexNumber``,
  ``IndexNumber``, ``IndexNumberEnd``, ``Path``). The cursor is ``<phase>:<StartIndex>``.
- ``POST /Library/Refresh`` starts a scan (capability ``trigger_scan``).
- Auth: ``Authorization: MediaBrowser Token="…"`` plus ``X-Emby-Token`` (both accepted by the
  server; older proxies strip one of them).

An empty page before ``TotalRecordCount`` is reached is a broken listing and raises ``upstream``:
it is never passed on as "the library ends here".
"""

from __future__ import annotations

from typing import Any, ClassVar

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

_PHASES = (("series", "Series,Movie"), ("episodes", "Episode"))
_KINDS: dict[str, LibraryKind] = {"tvshows": "series", "movies": "movies"}


class JellyfinConfig(HttpMediaServerConfig):
    """A Jellyfin server: ``url`` and an API key (Dashboard → API Keys)."""


class JellyfinServer:
    capabilities: ClassVar[MediaServerCapabilities] = MediaServerCapabilities(
        optional=frozenset({"trigger_scan"})
    )
    config_model: ClassVar[type[JellyfinConfig]] = JellyfinConfig

    def __init__(self, config: JellyfinConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self._client = client
        self._headers = {
            "Authorization": f'MediaBrowser Token="{config.api_key}"',
            "X-Emby-Token": config.api_key,
            "Accept": "application/json",
        }

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        response = await send(
            self._client,
            "GET",
            self.config.url + path,
            headers=self._headers,
            timeout_seconds=self.config.timeout,
            params=params,
        )
        try:
            return response.json()
        except ValueError as exc:
            raise PluginError(ErrorCode.INVALID_DATA, f"GET {path}: answer is not JSON") from exc

    async def check_connection(self) -> ServerStatus:
        info = await self._get("/System/Info")
        if not isinstance(info, dict) or "Version" not in info:
            raise PluginError(ErrorCode.INVALID_DATA, "/System/Info without Version")
        return ServerStatus(
            name=str(info.get("ServerName") or "Jellyfin"),
            version=str(info["Version"]),
            server_id=str(info.get("Id") or ""),
        )

    async def list_libraries(self) -> list[ServerLibrary]:
        folders = await self._get("/Library/VirtualFolders")
        if not isinstance(folders, list):
            raise PluginError(ErrorCode.INVALID_DATA, "/Library/VirtualFolders is not a list")
        return [
            ServerLibrary(
                ref=str(f["ItemId"]),
                name=str(f.get("Name") or ""),
                kind=_KINDS.get(str(f.get("CollectionType") or "").lower(), "mixed"),
                paths=tuple(str(p) for p in f.get("Locations") or ()),
            )
            for f in folders
            if isinstance(f, dict) and f.get("ItemId")
        ]

    async def list_items(self, library_ref: str, cursor: str | None) -> ItemPage:
        phase, start = _parse_cursor(cursor)
        name, types = _PHASES[phase]
        size = self.config.page_size
        data = await self._get(
            "/Items",
            {
                "ParentId": library_ref,
                "Recursive": "true",
                "IncludeItemTypes": types,
                "Fields": "ProviderIds,Path",
                "StartIndex": str(start),
                "Limit": str(size),
            },
        )
        if not isinstance(data, dict) or not isinstance(data.get("Items"), list):
            raise PluginError(ErrorCode.INVALID_DATA, "/Items answer without Items")
        raw = data["Items"]
        total = int(data.get("TotalRecordCount") or 0)
        if not raw and start < total:
            raise PluginError(
                ErrorCode.UPSTREAM,
                f"/Items listing of {library_ref} ended early ({name}: {start} of {total})",
            )
        items = tuple(item for r in raw if (item := _item(r)) is not None)
        nxt = start + len(raw)
        if raw and nxt < total:
            next_cursor: str | None = f"{name}:{nxt}"
        elif phase + 1 < len(_PHASES):
            next_cursor = f"{_PHASES[phase + 1][0]}:0"
        else:
            next_cursor = None
        return ItemPage(items=items, next_cursor=next_cursor, total=total)

    async def trigger_scan(self, library_ref: str) -> None:
        await send(
            self._client,
            "POST",
            self.config.url + "/Library/Refresh",
            headers=self._headers,
            timeout_seconds=self.config.timeout,
        )


def _parse_cursor(cursor: str | None) -> tuple[int, int]:
    if not cursor:
        return 0, 0
    name, _, start = cursor.partition(":")
    for i, (phase, _types) in enumerate(_PHASES):
        if phase == name and start.isdigit():
            return i, int(start)
    raise PluginError(ErrorCode.INVALID_DATA, f"not a Jellyfin listing cursor: {cursor!r}")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _item(raw: Any) -> ServerItem | None:
    if not isinstance(raw, dict) or not raw.get("Id"):
        return None
    kind = str(raw.get("Type") or "")
    item_id = str(raw["Id"])
    if kind == "Episode":
        return ServerItem(
            server_id=item_id,
            kind="episode",
            title=str(raw.get("SeriesName") or ""),
            series_key=str(raw.get("SeriesId") or ""),
            season=_int(raw.get("ParentIndexNumber")),
            episode=_int(raw.get("IndexNumber")),
            episode_end=_int(raw.get("IndexNumberEnd")),
            path=str(raw.get("Path") or ""),
        )
    if kind not in ("Series", "Movie"):
        return None
    return ServerItem(
        server_id=item_id,
        kind="series" if kind == "Series" else "movie",
        title=str(raw.get("Name") or ""),
        year=_int(raw.get("ProductionYear")),
        provider_ids=normalise_provider_ids(raw.get("ProviderIds") or {}),
        series_key=item_id,
        path=str(raw.get("Path") or ""),
    )
