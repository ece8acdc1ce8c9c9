"""AniList: the public GraphQL API (no key) for anime ids (AniList, MAL), synonyms, start year and
episode counts. A helper for matching anime; it has no TVDB numbering.

``POST {base_url}`` with ``{"query": …, "variables": …}``; answers ``{"data": …}`` or
``{"errors": [{"message", "status"}], "data": null}`` (HTTP 404 for an unknown id, 429 with
``Retry-After`` when rate limited). ``get_series`` also asks the media's ``status``
(FINISHED, RELEASING, NOT_YET_RELEASED, CANCELLED, HIATUS), ``endDate``, ``description``,
``genres``, ``averageScore`` (0–100), ``coverImage { extraLarge large }`` and ``bannerImage``
(the AniList schema's ``Media`` type, https://anilist.co/graphiql) for canonical works.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx
from pydantic import Field

from anibridge_like.metadata.http import HttpMetadataConfig, request_json
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.metadata import (
    IdNamespace,
    MetadataCapabilities,
    MovieCandidate,
    MovieInfo,
    SeriesCandidate,
    SeriesInfo,
    WorkDetails,
    WorkStatus,
)

_FIELDS = (
    "id idMal format episodes seasonYear startDate { year month day }"
    " title { romaji english native } synonyms"
)
SEARCH_QUERY = (
    "query ($search: String, $perPage: Int) { Page(page: 1, perPage: $perPage) {"
    " pageInfo { total } media(search: $search, type: ANIME) { " + _FIELDS + " } } }"
)
_DETAILS = (
    " status endDate { year month day } description(asHtml: false) genres averageScore"
    " coverImage { extraLarge large } bannerImage"
)
MEDIA_QUERY = "query ($id: Int) { Media(id: $id, type: ANIME) { " + _FIELDS + _DETAILS + " } }"
_STATUS: dict[str, WorkStatus] = {
    "FINISHED": "ended",
    "CANCELLED": "ended",
    "RELEASING": "continuing",
    "HIATUS": "continuing",
    "NOT_YET_RELEASED": "upcoming",
}


def _date(value: Any) -> str | None:
    if not isinstance(value, Mapping) or not isinstance(value.get("year"), int):
        return None
    month, day = value.get("month"), value.get("day")
    if isinstance(month, int) and isinstance(day, int):
        return f"{value['year']:04d}-{month:02d}-{day:02d}"
    return None


def _details(media: Mapping[str, Any]) -> WorkDetails:
    raw_status, score = media.get("status"), media.get("averageScore")
    cover = media.get("coverImage") if isinstance(media.get("coverImage"), Mapping) else {}
    artwork = {}
    poster = (cover or {}).get("extraLarge") or (cover or {}).get("large")
    if isinstance(poster, str) and poster:
        artwork["poster"] = poster
    if isinstance(media.get("bannerImage"), str) and media["bannerImage"]:
        artwork["fanart"] = media["bannerImage"]
    text = media.get("description")
    return WorkDetails(
        status=_STATUS.get(raw_status) if isinstance(raw_status, str) else None,
        first_aired=_date(media.get("startDate")),
        last_aired=_date(media.get("endDate")),
        overview=text if isinstance(text, str) and text else None,
        genres=tuple(g for g in media.get("genres") or [] if isinstance(g, str) and g),
        rating=score / 10 if isinstance(score, int | float) and score > 0 else None,
        artwork=artwork,
    )


class AniListConfig(HttpMetadataConfig):
    base_url: str = Field("https://graphql.anilist.co", description="AniList GraphQL endpoint.")
    per_page: int = Field(10, ge=1, le=50, description="Search hits asked for per query.")


def _candidate(media: Mapping[str, Any]) -> SeriesCandidate:
    if not isinstance(media.get("id"), int) or not isinstance(media.get("title"), Mapping):
        raise PluginError(ErrorCode.INVALID_DATA, "AniList media without id/title")
    titles = media["title"]
    names = [titles.get("english"), titles.get("romaji"), titles.get("native")]
    names += list(media.get("synonyms") or [])
    clean = [n for n in dict.fromkeys(names) if isinstance(n, str) and n]
    if not clean:
        raise PluginError(ErrorCode.INVALID_DATA, f"AniList media {media['id']} has no title")
    ids = {"anilist": str(media["id"])}
    if isinstance(media.get("idMal"), int):
        ids["mal"] = str(media["idMal"])
    start = media.get("startDate") or {}
    year = start.get("year") if isinstance(start, Mapping) else None
    return SeriesCandidate(
        id=str(media["id"]),
        title=clean[0],
        year=year or media.get("seasonYear"),
        aliases=tuple(clean[1:]),
        external_ids=ids,
        kind="movie" if media.get("format") == "MOVIE" else "series",
        episode_count=media.get("episodes"),
    )


class AniListMetadata:
    """Anime ids, synonyms and episode counts from AniList."""

    capabilities: ClassVar[MetadataCapabilities] = MetadataCapabilities(
        namespace="anilist", kinds=frozenset({"anime"}), aliases=True
    )
    config_model: ClassVar[type[AniListConfig]] = AniListConfig

    def __init__(self, config: AniListConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self._client = client

    async def _query(self, query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        answer = await request_json(
            self._client,
            "POST",
            self.config.base_url,
            body={"query": query, "variables": dict(variables)},
            headers={"Accept": "application/json"},
            timeout_seconds=self.config.timeout,
            error_body=True,
        )
        if not isinstance(answer, Mapping):
            raise PluginError(ErrorCode.INVALID_DATA, "AniList answer is not an object")
        errors = answer.get("errors")
        if errors:
            first = errors[0] if isinstance(errors, list) and errors else {}
            message = first.get("message", "error") if isinstance(first, Mapping) else "error"
            status = first.get("status") if isinstance(first, Mapping) else None
            code = ErrorCode.NOT_FOUND if status == 404 else ErrorCode.INVALID_DATA
            raise PluginError(code, f"AniList: {message}")
        data = answer.get("data")
        if not isinstance(data, Mapping):
            raise PluginError(ErrorCode.INVALID_DATA, "AniList answer without data")
        return data

    async def search_series(
        self, title: str, year: int | None = None, aliases: Sequence[str] = ()
    ) -> list[SeriesCandidate]:
        data = await self._query(SEARCH_QUERY, {"search": title, "perPage": self.config.per_page})
        page = data.get("Page")
        media = page.get("media") if isinstance(page, Mapping) else None
        if not isinstance(media, list):
            raise PluginError(ErrorCode.INVALID_DATA, "AniList search without Page.media")
        return [_candidate(m) for m in media]

    async def get_series(self, id: str) -> SeriesInfo:
        if not id.isdigit():
            raise PluginError(ErrorCode.NOT_FOUND, f"not an AniList id: {id!r}")
        data = await self._query(MEDIA_QUERY, {"id": int(id)})
        media = data.get("Media")
        if media is None:
            raise PluginError(ErrorCode.NOT_FOUND, f"AniList media {id} not found")
        cand = _candidate(media)
        return SeriesInfo(
            id=cand.id,
            title=cand.title,
            year=cand.year,
            aliases=cand.aliases,
            external_ids=cand.external_ids,
            episode_count=cand.episode_count,
            details=_details(media),
        )

    async def search_movie(
        self, title: str, year: int | None = None, aliases: Sequence[str] = ()
    ) -> list[MovieCandidate]:
        raise PluginError(ErrorCode.NOT_FOUND, "the AniList instance serves no movies")

    async def get_movie(self, id: str) -> MovieInfo:
        raise PluginError(ErrorCode.NOT_FOUND, "the AniList instance serves no movies")

    async def find_series(self, namespace: IdNamespace, value: str) -> list[SeriesCandidate]:
        raise PluginError(ErrorCode.NOT_FOUND, "the AniList instance looks up no ids")

    async def find_movie(self, namespace: IdNamespace, value: str) -> list[MovieCandidate]:
        raise PluginError(ErrorCode.NOT_FOUND, "the AniList instance serves no movies")
