"""TMDB v3 for movies (API key from the environment: seed ``api_key_env: TMDB_API_KEY``).

``GET {base_url}/search/movie?query=…&year=…&language=…`` → ``{"page", "results": [{id, title,
original_title, release_date}], "total_pages", "total_results"}`` (``title`` translated into
``language``: searching in the library's language — German by default — compares the site's German
title with TMDB's German one); ``GET {base_url}/movie/{id}
?append_to_response=alternative_titles,translations`` → the movie with
``imdb_id``,
``alternative_titles.titles[].title`` and ``translations.translations[].data.title`` (all kept as
names); ``GET {base_url}/find/{imdb_id}?external_source=imdb_id`` → ``{"movie_results": […]}``.
Evidence: TMDB's published v3 OpenAPI (developer.themoviedb.org/reference: search-movie,
movie-details, movie-alternative-titles, movie-translations, find-by-id). The key goes in the
``api_key`` query parameter (a v4 read token, which is long and dotted, as a Bearer header).
Without a key every call raises ``not_configured``; TMDB's 401 (``status_code`` 7) is ``auth``.
Movie details' ``status`` (Released, Planned, In Production …), ``release_date``, ``overview``,
``genres[].name``, ``vote_average``/``vote_count``, ``poster_path`` and ``backdrop_path`` (joined
to the image base ``https://image.tmdb.org/t/p/original``, TMDB's configuration endpoint) become
:class:`~anibridge_like.plugins.metadata.WorkDetails`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr

from anibridge_like.metadata.http import HttpMetadataConfig, request_json, year_of
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

IMAGE_BASE = "https://image.tmdb.org/t/p/original"
_UPCOMING = frozenset({"rumored", "planned", "in production", "post production"})


class TmdbConfig(HttpMetadataConfig):
    base_url: str = Field("https://api.themoviedb.org/3", description="TMDB v3 API root.")
    api_key: SecretStr | None = Field(
        None,
        description="TMDB API key (v3 key or v4 read token); set it with `api_key_env: VAR` in "
        "the seed. Unset: the instance reports itself not configured.",
    )
    language: str = Field(
        "de-DE",
        description="TMDB `language` of searches and answers: the language of the library's site "
        "titles (the bundled sites are German), so TMDB answers with titles in that language.",
    )


def _movie_ids(movie: Mapping[str, Any]) -> dict[str, str]:
    ids = {"tmdb": str(movie["id"])}
    if isinstance(movie.get("imdb_id"), str) and movie["imdb_id"]:
        ids["imdb"] = movie["imdb_id"]
    return ids


def _details(movie: Mapping[str, Any]) -> WorkDetails:
    raw = movie.get("status")
    status: WorkStatus | None = None
    if isinstance(raw, str) and raw.strip():
        status = "ended" if raw.lower() == "released" else "upcoming"
        status = status if raw.lower() in _UPCOMING | {"released"} else None
    genres = tuple(
        g["name"]
        for g in movie.get("genres") or []
        if isinstance(g, Mapping) and isinstance(g.get("name"), str)
    )
    votes, average = movie.get("vote_count"), movie.get("vote_average")
    artwork = {
        kind: IMAGE_BASE + path
        for kind, key in (("poster", "poster_path"), ("fanart", "backdrop_path"))
        if isinstance(path := movie.get(key), str) and path.startswith("/")
    }
    release, overview = movie.get("release_date"), movie.get("overview")
    return WorkDetails(
        status=status,
        first_aired=release if isinstance(release, str) and release else None,
        overview=overview if isinstance(overview, str) and overview else None,
        genres=genres,
        rating=float(average) if isinstance(average, int | float) and votes else None,
        rating_votes=votes if isinstance(votes, int) and votes > 0 else None,
        artwork=artwork,
    )


def _check_movie(movie: Any) -> Mapping[str, Any]:
    if (
        not isinstance(movie, Mapping)
        or not isinstance(movie.get("id"), int)
        or not isinstance(movie.get("title"), str)
    ):
        raise PluginError(ErrorCode.INVALID_DATA, "TMDB movie without id/title")
    return movie


def _names(movie: Mapping[str, Any]) -> tuple[str, ...]:
    names = [movie.get("original_title")]
    alt = movie.get("alternative_titles")
    if isinstance(alt, Mapping):
        names += [t.get("title") for t in alt.get("titles") or [] if isinstance(t, Mapping)]
    translations = movie.get("translations")
    if isinstance(translations, Mapping):
        for t in translations.get("translations") or []:
            data = t.get("data") if isinstance(t, Mapping) else None
            if isinstance(data, Mapping):
                names.append(data.get("title"))
    return tuple(
        n for n in dict.fromkeys(names) if isinstance(n, str) and n and n != movie["title"]
    )


class TmdbMetadata:
    """Movie ids (TMDB, IMDb) from TMDB."""

    capabilities: ClassVar[MetadataCapabilities] = MetadataCapabilities(
        namespace="tmdb",
        kinds=frozenset({"movie"}),
        movies=True,
        requires_key=True,
        lookup=frozenset({"imdb"}),
    )
    config_model: ClassVar[type[TmdbConfig]] = TmdbConfig

    def __init__(self, config: TmdbConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self._client = client

    def _auth(self) -> tuple[dict[str, str], dict[str, str]]:
        if self.config.api_key is None or not self.config.api_key.get_secret_value():
            raise PluginError(ErrorCode.NOT_CONFIGURED, "TMDB instance has no API key")
        key = self.config.api_key.get_secret_value()
        if "." in key:  # v4 read access token (a JWT)
            return {}, {"Authorization": f"Bearer {key}"}
        return {"api_key": key}, {}

    async def _get(self, path: str, params: Mapping[str, str]) -> Mapping[str, Any]:
        query, headers = self._auth()
        answer = await request_json(
            self._client,
            "GET",
            f"{self.config.base_url}{path}",
            params={**query, "language": self.config.language, **params},
            headers={"Accept": "application/json", **headers},
            timeout_seconds=self.config.timeout,
        )
        if not isinstance(answer, Mapping):
            raise PluginError(ErrorCode.INVALID_DATA, f"TMDB {path}: answer is not an object")
        return answer

    async def search_movie(
        self, title: str, year: int | None = None, aliases: Sequence[str] = ()
    ) -> list[MovieCandidate]:
        params = {"query": title, "include_adult": "false"}
        if year is not None:
            params["year"] = str(year)
        answer = await self._get("/search/movie", params)
        return self._candidates(answer.get("results"), "search")

    async def find_movie(self, namespace: IdNamespace, value: str) -> list[MovieCandidate]:
        if namespace != "imdb":
            raise PluginError(ErrorCode.NOT_FOUND, f"TMDB finds movies by imdb id, not {namespace}")
        imdb = value.strip() if value.strip().startswith("tt") else f"tt{value.strip()}"
        answer = await self._get(f"/find/{imdb}", {"external_source": "imdb_id"})
        found = self._candidates(answer.get("movie_results"), "find")
        return [
            MovieCandidate(c.id, c.title, c.year, c.aliases, {**c.external_ids, "imdb": imdb})
            for c in found
        ]

    async def find_series(self, namespace: IdNamespace, value: str) -> list[SeriesCandidate]:
        raise PluginError(ErrorCode.NOT_FOUND, "the TMDB instance serves movies only")

    def _candidates(self, results: Any, what: str) -> list[MovieCandidate]:
        if not isinstance(results, list):
            raise PluginError(ErrorCode.INVALID_DATA, f"TMDB {what} without results")
        out: list[MovieCandidate] = []
        for raw in results:
            movie = _check_movie(raw)
            out.append(
                MovieCandidate(
                    id=str(movie["id"]),
                    title=movie["title"],
                    year=year_of(movie.get("release_date")),
                    aliases=_names(movie),
                    external_ids=_movie_ids(movie),
                )
            )
        return out

    async def get_movie(self, id: str) -> MovieInfo:
        if not id.isdigit():
            raise PluginError(ErrorCode.NOT_FOUND, f"not a TMDB id: {id!r}")
        movie = _check_movie(
            await self._get(
                f"/movie/{id}", {"append_to_response": "alternative_titles,translations"}
            )
        )
        return MovieInfo(
            id=str(movie["id"]),
            title=movie["title"],
            year=year_of(movie.get("release_date")),
            aliases=_names(movie),
            external_ids=_movie_ids(movie),
            details=_details(movie),
        )

    async def search_series(
        self, title: str, year: int | None = None, aliases: Sequence[str] = ()
    ) -> list[SeriesCandidate]:
        raise PluginError(ErrorCode.NOT_FOUND, "the TMDB instance serves movies only")

    async def get_series(self, id: str) -> SeriesInfo:
        raise PluginError(ErrorCode.NOT_FOUND, "the TMDB instance serves movies only")
