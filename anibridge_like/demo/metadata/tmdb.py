"""A fake TMDB v3 API serving :class:`~.records.Movie` records.

Evidence of the real service: TMDB's published v3 OpenAPI (developer.themoviedb.org/reference:
``GET /3/search/movie`` with ``query``, ``year``, ``language``, ``include_adult`` → ``{page,
results[{id, title, original_title, release_date, …}], total_pages, total_results}`` where
``title`` is the translation into ``language`` when one exists; ``GET /3/movie/{movie_id}`` with
``append_to_response``; ``GET /3/movie/{movie_id}/alternative_titles`` → ``{id, titles[{iso_3166_1,
title, type}]}``; ``GET /3/movie/{movie_id}/translations`` → ``{id, translations[{iso_3166_1,
iso_639_1, name, english_name, data{title, overview, homepage, runtime, tagline}}]}``; ``GET
/3/find/{external_id}?external_source=imdb_id`` → ``{movie_results, tv_results, person_results,
tv_episode_results, tv_season_results}``), and clients that work against it: celiao/tmdbsimple
``tmdbsimple/find.py`` and AnthonyBloomer/tmdbv3api ``examples/find.py`` (``movie_results``).
The key is checked like TMDB does (``api_key`` query parameter or a Bearer token): a wrong or
missing key gets 401 with ``status_code`` 7, an unknown id 404 with ``status_code`` 34.

Movie details also carry ``status``, ``overview``, ``genres [{id, name}]``, ``vote_average``,
``vote_count``, ``poster_path`` and ``backdrop_path`` (movie-details in the OpenAPI), plus the
edits posted to the movie's control path (:data:`~.common.CONTROL_PATH`).

Search matches every name a movie has (title, original title, translations, alternative titles),
like TMDB's; ``year`` keeps movies released that year in any country (TMDB's ``year`` filter, as
opposed to ``primary_release_year``). Movies are the generated ``movie`` titles with a ``tmdb_id``
(:func:`~.records.movie_from_title`) plus what a metadata world adds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.metadata.common import FakeControl, NameSearch
from anibridge_like.demo.metadata.records import Movie, movie_from_title

_BAD_KEY = {
    "status_code": 7,
    "status_message": "Invalid API key: You must be granted a valid key.",
    "success": False,
}
_NOT_FOUND = {
    "status_code": 34,
    "success": False,
    "status_message": "The resource you requested could not be found.",
}
_LANGUAGE_NAMES = {"de": ("DE", "Deutsch", "German"), "en": ("US", "English", "English")}


class FakeTmdb:
    def __init__(
        self,
        *catalogs: GeneratedCatalog,
        movies: Iterable[Movie] = (),
        api_key: str = "test-key",
        control: FakeControl | None = None,
    ) -> None:
        self.api_key = api_key
        self.control = control or FakeControl()
        self.movies: dict[int, Movie] = {}
        for catalog in catalogs:
            for t in catalog:
                if t.kind == "movie" and t.tmdb_id is not None:
                    self.movies[t.tmdb_id] = movie_from_title(t)
        for movie in movies:
            self.movies[movie.id] = movie
        self._imdb = {m.imdb_id: m.id for m in self.movies.values() if m.imdb_id}
        entries = [(name, m.id) for m in self.movies.values() for name in self.names(m)]
        self._search = NameSearch(entries)
        self.app = self.control.wrap(
            Starlette(
                routes=[
                    Route("/3/search/movie", self.search),
                    Route("/3/movie/{movie_id:int}", self.movie),
                    Route("/3/movie/{movie_id:int}/alternative_titles", self.alternatives),
                    Route("/3/movie/{movie_id:int}/translations", self.translations),
                    Route("/3/find/{external_id}", self.find),
                ]
            )
        )

    @staticmethod
    def names(m: Movie) -> list[str]:
        alt = [t for _c, t in m.alternative_titles]
        return list(dict.fromkeys((m.title, m.original_title, *m.translations.values(), *alt)))

    def _authorized(self, request: Request) -> bool:
        key = request.query_params.get("api_key")
        bearer = request.headers.get("authorization", "")
        return key == self.api_key or bearer == f"Bearer {self.api_key}"

    def _summary(self, m: Movie, language: str) -> dict[str, Any]:
        lang = language.split("-")[0].lower()
        return {
            "adult": False,
            "id": m.id,
            "title": m.translations.get(lang, m.title) if lang != "en" else m.title,
            "original_title": m.original_title,
            "original_language": "en",
            "release_date": m.release_date,
            "overview": "",
            "popularity": 1.0,
            "genre_ids": [18],
            "video": False,
            "vote_average": 7.0,
            "vote_count": 10,
        }

    def _alt_json(self, m: Movie) -> dict[str, Any]:
        return {
            "id": m.id,
            "titles": [{"iso_3166_1": c, "title": t, "type": ""} for c, t in m.alternative_titles],
        }

    def _translations_json(self, m: Movie) -> dict[str, Any]:
        out = []
        for lang, title in sorted({"en": m.title, **m.translations}.items()):
            country, name, english = _LANGUAGE_NAMES.get(lang, (lang.upper(), lang, lang))
            out.append(
                {
                    "iso_3166_1": country,
                    "iso_639_1": lang,
                    "name": name,
                    "english_name": english,
                    "data": {"title": title, "overview": "", "homepage": "", "runtime": 0},
                }
            )
        return {"id": m.id, "translations": out}

    async def search(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return JSONResponse(_BAD_KEY, status_code=401)
        query = request.query_params.get("query", "")
        year = request.query_params.get("year")
        language = request.query_params.get("language", "en-US")
        ids = self._search.search(query, limit=20) if query.strip() else []
        results = [
            self._summary(self.movies[i], language)
            for i in ids
            if year is None or (year.isdigit() and int(year) in self.movies[i].release_years)
        ]
        return JSONResponse(
            {"page": 1, "results": results, "total_pages": 1, "total_results": len(results)}
        )

    def _movie(self, request: Request) -> Movie | JSONResponse:
        if not self._authorized(request):
            return JSONResponse(_BAD_KEY, status_code=401)
        m = self.movies.get(request.path_params["movie_id"])
        return JSONResponse(_NOT_FOUND, status_code=404) if m is None else m

    async def movie(self, request: Request) -> JSONResponse:
        m = self._movie(request)
        if isinstance(m, JSONResponse):
            return m
        language = request.query_params.get("language", "en-US")
        data = {**self._summary(m, language), "imdb_id": m.imdb_id, "runtime": 100}
        data["status"] = "Released"
        data["genres"] = [{"id": 18, "name": "Drama"}]
        data["overview"] = f"Overview of {m.title}."
        data["poster_path"] = f"/poster{m.id}.jpg"
        data["backdrop_path"] = f"/backdrop{m.id}.jpg"
        data = self.control.patched(m.id, data)
        extra = request.query_params.get("append_to_response", "").split(",")
        if "alternative_titles" in extra:
            data["alternative_titles"] = {"titles": self._alt_json(m)["titles"]}
        if "translations" in extra:
            data["translations"] = {"translations": self._translations_json(m)["translations"]}
        return JSONResponse(data)

    async def alternatives(self, request: Request) -> JSONResponse:
        m = self._movie(request)
        return m if isinstance(m, JSONResponse) else JSONResponse(self._alt_json(m))

    async def translations(self, request: Request) -> JSONResponse:
        m = self._movie(request)
        return m if isinstance(m, JSONResponse) else JSONResponse(self._translations_json(m))

    async def find(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return JSONResponse(_BAD_KEY, status_code=401)
        source = request.query_params.get("external_source")
        if source not in ("imdb_id", "tvdb_id", "facebook_id", "twitter_id", "instagram_id"):
            return JSONResponse(
                {"success": False, "status_code": 5, "status_message": "Invalid parameters"},
                status_code=422,
            )
        language = request.query_params.get("language", "en-US")
        hit = self._imdb.get(request.path_params["external_id"]) if source == "imdb_id" else None
        movies = [self._summary(self.movies[hit], language)] if hit is not None else []
        return JSONResponse(
            {
                "movie_results": movies,
                "person_results": [],
                "tv_results": [],
                "tv_episode_results": [],
                "tv_season_results": [],
            }
        )
