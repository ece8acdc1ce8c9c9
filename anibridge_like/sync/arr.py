"""Sonarr and Radarr (API v3) as sync plugins: their series/movies, monitored ones as wanted.

``GET /api/v3/system/status`` checks the key and that the URL is the app the instance expects
(``appName``), then ``GET /api/v3/series`` (Sonarr) or ``GET /api/v3/movie`` (Radarr) returns the
whole library in one answer (no paging: every sync is a complete listing). The key travels in the
``X-Api-Key`` header (Sonarr's and Radarr's ``openapi.json`` security schemes). Fields used:
``id``, ``title``, ``year``, ``monitored``, ``tvdbId``/``tmdbId``/``imdbId`` and Sonarr's
``seriesType`` (``standard`` | ``daily`` | ``anime``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, SecretStr

from anibridge_like.metadata.http import HttpMetadataConfig, request_json
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.sync import (
    ExternalIds,
    ItemKind,
    SyncCapabilities,
    SyncContext,
    SyncResult,
    WantedItem,
)


class ArrConfig(HttpMetadataConfig):
    api_key: SecretStr | None = Field(
        None, description="The app's API key (Settings → General); set `api_key_env` instead."
    )
    monitored_only: bool = Field(True, description="List only monitored series/movies.")


class SonarrConfig(ArrConfig):
    base_url: str = Field("http://localhost:8989", description="Sonarr's URL.")
    series_types: list[Literal["standard", "daily", "anime"]] | None = Field(
        None, description="Only series of these types (default: all)."
    )


class RadarrConfig(ArrConfig):
    base_url: str = Field("http://localhost:7878", description="Radarr's URL.")


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class _ArrSync:
    app_name: ClassVar[str]
    resource: ClassVar[str]
    kind: ClassVar[ItemKind]

    def __init__(self, config: ArrConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.client = client

    async def _get(self, path: str) -> Any:
        if self.config.api_key is None:
            raise PluginError(ErrorCode.NOT_CONFIGURED, f"{self.app_name} needs api_key")
        return await request_json(
            self.client,
            "GET",
            f"{self.config.base_url}{path}",
            timeout_seconds=self.config.timeout,
            headers={"X-Api-Key": self.config.api_key.get_secret_value()},
        )

    async def sync(self, ctx: SyncContext, cursor: str | None) -> SyncResult:
        status = await self._get("/api/v3/system/status")
        if not isinstance(status, Mapping):
            raise PluginError(ErrorCode.INVALID_DATA, "system/status is not an object")
        app = status.get("appName")
        if isinstance(app, str) and app.lower() != self.app_name.lower():
            raise PluginError(
                ErrorCode.NOT_CONFIGURED, f"{self.config.base_url} is {app}, not {self.app_name}"
            )
        rows = await self._get(f"/api/v3/{self.resource}")
        if not isinstance(rows, list):
            raise PluginError(ErrorCode.INVALID_DATA, f"/api/v3/{self.resource} is not a list")
        items: list[WantedItem] = []
        for row in rows:
            item = self._item(row)
            if item is not None:
                items.append(item)
        return SyncResult(items, next_cursor=None, has_more=False)

    def _item(self, row: Any) -> WantedItem | None:
        if not isinstance(row, Mapping) or not isinstance(row.get("title"), str):
            raise PluginError(ErrorCode.INVALID_DATA, f"{self.resource} entry without a title")
        monitored = bool(row.get("monitored"))
        if self.config.monitored_only and not monitored:
            return None
        if not self._selected(row):
            return None
        ids = self._ids(row)
        own = _positive(row.get("id"))
        key = self._key(ids) or (f"{self.resource}:{own}" if own else None)
        if key is None:
            raise PluginError(ErrorCode.INVALID_DATA, f"{self.resource} {row['title']!r} has no id")
        return WantedItem(
            external_id=key,
            ids=ids,
            title=row["title"],
            year=_positive(row.get("year")),
            kind=self.kind,
            list_status="wanted" if monitored else "unmonitored",
        )

    def _selected(self, row: Mapping[str, Any]) -> bool:
        return True

    def _ids(self, row: Mapping[str, Any]) -> ExternalIds:
        imdb = row.get("imdbId")
        return ExternalIds(
            tvdb=_positive(row.get("tvdbId")),
            tmdb=_positive(row.get("tmdbId")),
            imdb=imdb if isinstance(imdb, str) and imdb.startswith("tt") else None,
        )

    def _key(self, ids: ExternalIds) -> str | None:
        raise NotImplementedError


class SonarrSync(_ArrSync):
    """Sonarr's series."""

    capabilities: ClassVar[SyncCapabilities] = SyncCapabilities(
        kinds=frozenset({"series"}),
        requires_key=True,
        statuses=frozenset({"wanted", "unmonitored"}),
    )
    config_model: ClassVar[type[SonarrConfig]] = SonarrConfig
    app_name = "Sonarr"
    resource = "series"
    kind = "series"
    config: SonarrConfig

    def _selected(self, row: Mapping[str, Any]) -> bool:
        types = self.config.series_types
        return types is None or row.get("seriesType") in types

    def _key(self, ids: ExternalIds) -> str | None:
        return None if ids.tvdb is None else f"tvdb:{ids.tvdb}"


class RadarrSync(_ArrSync):
    """Radarr's movies."""

    capabilities: ClassVar[SyncCapabilities] = SyncCapabilities(
        kinds=frozenset({"movie"}),
        requires_key=True,
        statuses=frozenset({"wanted", "unmonitored"}),
    )
    config_model: ClassVar[type[RadarrConfig]] = RadarrConfig
    app_name = "Radarr"
    resource = "movie"
    kind = "movie"

    def _key(self, ids: ExternalIds) -> str | None:
        return None if ids.tmdb is None else f"tmdb:{ids.tmdb}"
