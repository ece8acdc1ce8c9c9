"""An AniList user's anime list as a sync plugin (public data: no key).

``MediaListCollection(userName, type: ANIME, status_in, chunk, perChunk)`` returns the list split
into groups (status lists and custom lists; an entry may appear in several) with
``hasNextChunk``; the cursor is the next chunk number. Statuses map to list statuses:
PLANNING → wanted, CURRENT/REPEATING → watching, COMPLETED, PAUSED, DROPPED.
An unknown user answers HTTP 404 (``not_found``); 429 carries ``Retry-After`` (AniList's API docs,
``AniList/ApiV2-GraphQL-Docs``: ``docs/guide/graphql/queries/media-list.md``,
``book/overview/rate-limiting.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field

from anibridge_like.metadata.http import HttpMetadataConfig, request_json
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.sync import (
    ExternalIds,
    ListStatus,
    SyncCapabilities,
    SyncContext,
    SyncResult,
    WantedItem,
)

AniListStatus = Literal["PLANNING", "CURRENT", "REPEATING", "COMPLETED", "PAUSED", "DROPPED"]
STATUS_MAP: dict[str, ListStatus] = {
    "PLANNING": "wanted",
    "CURRENT": "watching",
    "REPEATING": "watching",
    "COMPLETED": "completed",
    "PAUSED": "paused",
    "DROPPED": "dropped",
}
DEFAULT_STATUSES: tuple[AniListStatus, ...] = ("PLANNING", "CURRENT", "REPEATING", "COMPLETED")
MEDIA_FIELDS = "id idMal format seasonYear startDate { year } title { romaji english }"
LIST_QUERY = (
    "query ($userName: String, $statuses: [MediaListStatus], $chunk: Int, $perChunk: Int) {"
    " MediaListCollection(userName: $userName, type: ANIME, status_in: $statuses,"
    " chunk: $chunk, perChunk: $perChunk) { hasNextChunk lists { name entries {"
    " mediaId status media { " + MEDIA_FIELDS + " } } } } }"
)


class AniListSyncConfig(HttpMetadataConfig):
    base_url: str = Field("https://graphql.anilist.co", description="AniList GraphQL endpoint.")
    username: str = Field(min_length=1, max_length=64, description="The AniList user name.")
    statuses: list[AniListStatus] = Field(
        default_factory=lambda: list(DEFAULT_STATUSES),
        min_length=1,
        description="List statuses pulled (COMPLETED entries seed recommendations).",
    )
    per_chunk: int = Field(500, ge=1, le=500, description="Entries per chunk (AniList: ≤ 500).")


async def anilist_graphql(
    client: httpx.AsyncClient, url: str, seconds: float, query: str, variables: dict[str, Any]
) -> Mapping[str, Any]:
    """``data`` of one AniList GraphQL call; errors in the body become ``PluginError``."""
    body = await request_json(
        client,
        "POST",
        url,
        timeout_seconds=seconds,
        body={"query": query, "variables": variables},
        error_body=True,
    )
    if not isinstance(body, Mapping):
        raise PluginError(ErrorCode.INVALID_DATA, "AniList answer is not an object")
    errors = body.get("errors")
    if errors:
        first = errors[0] if isinstance(errors, list) and errors else {}
        status = first.get("status") if isinstance(first, Mapping) else None
        message = str(first.get("message", "error")) if isinstance(first, Mapping) else "error"
        code = {404: ErrorCode.NOT_FOUND, 429: ErrorCode.RATE_LIMITED, 401: ErrorCode.AUTH}.get(
            status if isinstance(status, int) else 0, ErrorCode.INVALID_DATA
        )
        raise PluginError(code, f"AniList: {message}")
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise PluginError(ErrorCode.INVALID_DATA, "AniList answer without data")
    return data


def media_ids(media: Mapping[str, Any]) -> ExternalIds:
    mal = media.get("idMal")
    return ExternalIds(anilist=int(media["id"]), mal=mal if isinstance(mal, int) else None)


def media_title(media: Mapping[str, Any]) -> str:
    titles = media.get("title")
    if isinstance(titles, Mapping):
        for key in ("english", "romaji"):
            if isinstance(titles.get(key), str) and titles[key]:
                return str(titles[key])
    return f"AniList {media.get('id')}"


def media_year(media: Mapping[str, Any]) -> int | None:
    start = media.get("startDate")
    year = start.get("year") if isinstance(start, Mapping) else None
    year = year or media.get("seasonYear")
    return year if isinstance(year, int) else None


class AniListSync:
    """An AniList user's anime list."""

    capabilities: ClassVar[SyncCapabilities] = SyncCapabilities(
        kinds=frozenset({"series", "movie"}), paged=True
    )
    config_model: ClassVar[type[AniListSyncConfig]] = AniListSyncConfig

    def __init__(self, config: AniListSyncConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.client = client

    async def sync(self, ctx: SyncContext, cursor: str | None) -> SyncResult:
        if cursor is not None and not cursor.isdigit():
            raise PluginError(ErrorCode.INVALID_DATA, f"bad AniList cursor {cursor!r}")
        chunk = int(cursor) if cursor else 1
        data = await anilist_graphql(
            self.client,
            self.config.base_url,
            self.config.timeout,
            LIST_QUERY,
            {
                "userName": self.config.username,
                "statuses": list(self.config.statuses),
                "chunk": chunk,
                "perChunk": self.config.per_chunk,
            },
        )
        collection = data.get("MediaListCollection")
        if collection is None:
            raise PluginError(ErrorCode.NOT_FOUND, f"AniList user {self.config.username!r}")
        if not isinstance(collection, Mapping) or not isinstance(collection.get("lists"), list):
            raise PluginError(ErrorCode.INVALID_DATA, "MediaListCollection without lists")
        items: dict[str, WantedItem] = {}
        for group in collection["lists"]:
            entries = group.get("entries") if isinstance(group, Mapping) else None
            if not isinstance(entries, list):
                raise PluginError(ErrorCode.INVALID_DATA, "list group without entries")
            for entry in entries:
                item = self._item(entry)
                items.setdefault(item.external_id, item)
        more = bool(collection.get("hasNextChunk"))
        return SyncResult(
            list(items.values()), next_cursor=str(chunk + 1) if more else None, has_more=more
        )

    @staticmethod
    def _item(entry: Any) -> WantedItem:
        media = entry.get("media") if isinstance(entry, Mapping) else None
        if not isinstance(media, Mapping) or not isinstance(media.get("id"), int):
            raise PluginError(ErrorCode.INVALID_DATA, "list entry without media id")
        status = STATUS_MAP.get(str(entry.get("status")))
        if status is None:
            raise PluginError(ErrorCode.INVALID_DATA, f"unknown list status {entry.get('status')}")
        return WantedItem(
            external_id=f"anilist:{media['id']}",
            ids=media_ids(media),
            title=media_title(media),
            year=media_year(media),
            kind="movie" if media.get("format") == "MOVIE" else "series",
            list_status=status,
        )
