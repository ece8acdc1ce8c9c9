"""A fake TMDB v3 API built from generated movie catalogs.

``GET /3/search/movie?query=…[&year=…]`` → ``{"page": 1, "results": [...], "total_pages",
"total_results"}``; ``GET /3/movie/{id}[?append_to_response=alternative_titles]`` → the movie with
``imdb_id``. The key is checked like TMDB does (``api_key`` query parameter or a Bearer token);
a wrong or missing key gets 401 with ``status_code`` 7, an unknown id 404 with ``status_code`` 34.
Movies are the generated ``movie`` titles with a ``tmdb_id``, named by their canonical title.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from anibridge_like.demo.catalog import GeneratedCatalog, GenTitle
from anibridge_like.demo.metadata.common import FakeControl, NameSearch

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


def release_date(t: GenTitle) -> str:
    return f"{t.year}-{1 + t.index % 12:02d}-{1 + t.index % 28:02d}"


class FakeTmdb:
    def __init__(
        self,
        *catalogs: GeneratedCatalog,
        api_key: str = "test-key",
        control: FakeControl | None = None,
    ) -> None:
        self.api_key = api_key
        self.control = control or FakeControl()
        self.movies: dict[int, GenTitle] = {}
        entries: list[tuple[str, int]] = []
        for catalog in catalogs:
            for t in catalog:
                if t.kind != "movie" or t.tmdb_id is None:
                    continue
                self.movies[t.tmdb_id] = t
                for name in (t.canonical_title, *self.alternatives(t)):
                    entries.append((name, t.tmdb_id))
        self._search = NameSearch(entries)
        self.app = self.control.wrap(
            Starlette(
                routes=[
                    Route("/3/search/movie", self.search),
                    Route("/3/movie/{movie_id:int}", self.movie),
                ]
            )
        )

    @staticmethod
    def alternatives(t: GenTitle) -> list[str]:
        return [a for a in dict.fromkeys((t.title, *t.aliases)) if a != t.canonical_title]

    def _authorized(self, request: Request) -> bool:
        key = request.query_params.get("api_key")
        bearer = request.headers.get("authorization", "")
        return key == self.api_key or bearer == f"Bearer {self.api_key}"

    def _summary(self, t: GenTitle) -> dict[str, Any]:
        return {
            "adult": False,
            "id": t.tmdb_id,
            "title": t.canonical_title,
            "original_title": t.canonical_title,
            "original_language": "en",
            "release_date": release_date(t),
            "overview": "",
            "popularity": 1.0,
            "genre_ids": [18],
            "video": False,
            "vote_average": 7.0,
            "vote_count": 10,
        }

    async def search(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return JSONResponse(_BAD_KEY, status_code=401)
        query = request.query_params.get("query", "")
        year = request.query_params.get("year")
        ids = self._search.search(query, limit=20) if query.strip() else []
        results = [
            self._summary(self.movies[i])
            for i in ids
            if year is None or str(self.movies[i].year) == year
        ]
        return JSONResponse(
            {"page": 1, "results": results, "total_pages": 1, "total_results": len(results)}
        )

    async def movie(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return JSONResponse(_BAD_KEY, status_code=401)
        t = self.movies.get(request.path_params["movie_id"])
        if t is None:
            return JSONResponse(_NOT_FOUND, status_code=404)
        data = {**self._summary(t), "imdb_id": t.imdb_id, "runtime": 100, "status": "Released"}
        if "alternative_titles" in request.query_params.get("append_to_response", ""):
            data["alternative_titles"] = {
                "titles": [
                    {"iso_3166_1": "DE", "title": a, "type": ""} for a in self.alternatives(t)
                ]
            }
        return JSONResponse(data)
