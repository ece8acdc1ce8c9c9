"""SkyHook: the metadata service Sonarr itself uses (TVDB data, no key).

Evidence: Sonarr/Sonarr ``src/NzbDrone.Core/MetadataSource/SkyHook/SkyHookProxy.cs`` (search
terms ``imdb:tt…``, ``tvdb:…``, ``anilist:…`` for id lookups) and ``Resource/ShowResource.cs``
(``malIds``/``aniListIds`` are lists: all of them are kept, in order, as ``id_lists``).

``GET {base_url}/search/{lang}/?term=…`` answers a JSON list of shows; ``GET
{base_url}/shows/{lang}/{tvdbId}`` one show with ``seasons`` and ``episodes`` (TVDB numbering:
``seasonNumber``, ``episodeNumber``, ``absoluteEpisodeNumber``, ``title``, ``airDate``) and
cross ids (``imdbId``, ``tmdbId``, ``malIds``, ``aniListIds``); the show's descriptive fields
(``ShowResource.cs``: ``status``, ``firstAired``, ``lastAired``, ``overview``, ``runtime``,
``genres``, ``rating {count, value}``, ``images [{coverType, url}]`` — ``ImageResource.cs``,
``RatingResource.cs``) become :class:`~anibridge_like.plugins.metadata.WorkDetails`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import Field

from anibridge_like.metadata.http import HttpMetadataConfig, request_json, year_of
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.metadata import (
    IdNamespace,
    MetadataCapabilities,
    MetaEpisode,
    MovieCandidate,
    MovieInfo,
    SeriesCandidate,
    SeriesInfo,
    WorkDetails,
    WorkStatus,
)

_STATUS: dict[str, WorkStatus] = {
    "continuing": "continuing",
    "ended": "ended",
    "upcoming": "upcoming",
}


class SkyHookConfig(HttpMetadataConfig):
    base_url: str = Field(
        "https://skyhook.sonarr.tv/v1/tvdb", description="SkyHook TVDB root (no trailing slash)."
    )
    language: str = Field(
        "en", pattern=r"^[a-z]{2}$", description="Language of titles and episode names."
    )


def _external_ids(show: Mapping[str, Any]) -> dict[str, str]:
    ids: dict[str, str] = {"tvdb": str(show["tvdbId"])}
    if show.get("imdbId"):
        ids["imdb"] = str(show["imdbId"])
    if show.get("tmdbId"):
        ids["tmdb"] = str(show["tmdbId"])
    for key, name in (("aniListIds", "anilist"), ("malIds", "mal")):
        values = show.get(key) or []
        if values:
            ids[name] = str(values[0])
    return ids


def _id_lists(show: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Every AniList/MAL id the show lists (one per cour or season, in order)."""
    out: dict[str, tuple[str, ...]] = {}
    for key, name in (("aniListIds", "anilist"), ("malIds", "mal")):
        values = tuple(str(v) for v in show.get(key) or [] if isinstance(v, int))
        if values:
            out[name] = values
    return out


def _aliases(show: Mapping[str, Any]) -> tuple[str, ...]:
    raw = show.get("alternativeTitles") or show.get("alternateTitles") or []
    out: list[str] = []
    for item in raw:
        title = item.get("title") if isinstance(item, Mapping) else item
        if isinstance(title, str) and title and title not in out:
            out.append(title)
    return tuple(out)


def _details(show: Mapping[str, Any]) -> WorkDetails:
    """Descriptive fields of a show (absent or mistyped ones are simply not provided)."""
    raw_status = show.get("status")
    raw_rating = show.get("rating")
    rating: Mapping[str, Any] = raw_rating if isinstance(raw_rating, Mapping) else {}
    value, count = rating.get("value"), rating.get("count")
    artwork: dict[str, str] = {}
    for image in show.get("images") or []:
        if not isinstance(image, Mapping):
            continue
        kind, url = image.get("coverType"), image.get("url")
        if isinstance(kind, str) and isinstance(url, str) and url:
            artwork.setdefault(kind.lower(), url)
    genres = tuple(g for g in show.get("genres") or [] if isinstance(g, str) and g)

    def text(key: str) -> str | None:
        v = show.get(key)
        return v if isinstance(v, str) and v else None

    return WorkDetails(
        status=_STATUS.get(raw_status.lower()) if isinstance(raw_status, str) else None,
        first_aired=text("firstAired"),
        last_aired=text("lastAired"),
        overview=text("overview"),
        genres=genres,
        rating=float(value) if isinstance(value, int | float) and value > 0 else None,
        rating_votes=count if isinstance(count, int) and count > 0 else None,
        artwork=artwork,
    )


def _check_show(show: Any, url: str) -> Mapping[str, Any]:
    if (
        not isinstance(show, Mapping)
        or not isinstance(show.get("tvdbId"), int)
        or not isinstance(show.get("title"), str)
    ):
        raise PluginError(ErrorCode.INVALID_DATA, f"{url}: show without tvdbId/title")
    return show


class SkyHookMetadata:
    """TVDB series and episode numbering through SkyHook."""

    capabilities: ClassVar[MetadataCapabilities] = MetadataCapabilities(
        namespace="tvdb",
        kinds=frozenset({"series", "anime"}),
        numbering=True,
        lookup=frozenset({"tvdb", "imdb", "tmdb", "anilist", "mal"}),
    )
    config_model: ClassVar[type[SkyHookConfig]] = SkyHookConfig

    def __init__(self, config: SkyHookConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self._client = client

    async def search_series(
        self, title: str, year: int | None = None, aliases: Sequence[str] = ()
    ) -> list[SeriesCandidate]:
        url = f"{self.config.base_url}/search/{self.config.language}/"
        data = await request_json(
            self._client, "GET", url, params={"term": title}, timeout_seconds=self.config.timeout
        )
        if not isinstance(data, list):
            raise PluginError(ErrorCode.INVALID_DATA, f"{url}: search answer is not a list")
        out: list[SeriesCandidate] = []
        for raw in data:
            show = _check_show(raw, url)
            out.append(
                SeriesCandidate(
                    id=str(show["tvdbId"]),
                    title=show["title"],
                    year=show.get("year") or year_of(show.get("firstAired")),
                    aliases=_aliases(show),
                    external_ids=_external_ids(show),
                    id_lists=_id_lists(show),
                )
            )
        return out

    async def find_series(self, namespace: IdNamespace, value: str) -> list[SeriesCandidate]:
        """SkyHook answers id lookups as search terms (``imdb:tt…``, ``tvdb:…``, ``anilist:…``)."""
        if namespace not in self.capabilities.lookup:
            raise PluginError(ErrorCode.NOT_FOUND, f"SkyHook cannot look up {namespace} ids")
        return await self.search_series(f"{namespace}:{value.strip()}")

    async def find_movie(self, namespace: IdNamespace, value: str) -> list[MovieCandidate]:
        raise PluginError(ErrorCode.NOT_FOUND, "SkyHook has no movies")

    async def get_series(self, id: str) -> SeriesInfo:
        if not id.isdigit():
            raise PluginError(ErrorCode.NOT_FOUND, f"not a TVDB id: {id!r}")
        url = f"{self.config.base_url}/shows/{self.config.language}/{quote(id)}"
        show = _check_show(
            await request_json(self._client, "GET", url, timeout_seconds=self.config.timeout), url
        )
        episodes: list[MetaEpisode] = []
        for ep in show.get("episodes") or []:
            season, number = ep.get("seasonNumber"), ep.get("episodeNumber")
            if not isinstance(season, int) or not isinstance(number, int):
                raise PluginError(ErrorCode.INVALID_DATA, f"{url}: episode without numbering")
            title = ep.get("title")
            runtime = ep.get("runtime", show.get("runtime"))
            episodes.append(
                MetaEpisode(
                    season=season,
                    number=number,
                    absolute=ep.get("absoluteEpisodeNumber"),
                    air_date=ep.get("airDate"),
                    titles={self.config.language: title} if isinstance(title, str) else {},
                    runtime=runtime if isinstance(runtime, int) and runtime > 0 else None,
                )
            )
        episodes.sort(key=lambda e: (e.season, e.number))
        seasons = sorted(
            {s["seasonNumber"] for s in show.get("seasons") or [] if "seasonNumber" in s}
            | {e.season for e in episodes}
        )
        return SeriesInfo(
            id=str(show["tvdbId"]),
            title=show["title"],
            year=show.get("year") or year_of(show.get("firstAired")),
            aliases=_aliases(show),
            external_ids=_external_ids(show),
            id_lists=_id_lists(show),
            seasons=tuple(seasons),
            episodes=tuple(episodes),
            details=_details(show),
        )

    async def search_movie(
        self, title: str, year: int | None = None, aliases: Sequence[str] = ()
    ) -> list[MovieCandidate]:
        raise PluginError(ErrorCode.NOT_FOUND, "SkyHook has no movies")

    async def get_movie(self, id: str) -> MovieInfo:
        raise PluginError(ErrorCode.NOT_FOUND, "SkyHook has no movies")
