"""A fake Sonarr or Radarr: the v3 endpoints a wanted-list sync reads.

Built from the apps' published OpenAPI documents — ``Sonarr/Sonarr``
``src/Sonarr.Api.V3/openapi.json`` and ``Radarr/Radarr`` ``src/Radarr.Api.V3/openapi.json``:

* ``GET /api/v3/system/status`` → ``SystemResource`` (``appName``, ``instanceName``, ``version``);
* ``GET /api/v3/series`` (Sonarr) → ``[SeriesResource]`` with ``id``, ``title``, ``sortTitle``,
  ``year``, ``tvdbId``, ``tmdbId``, ``imdbId``, ``monitored``, ``seriesType``
  (``standard|daily|anime``), ``titleSlug``, ``status``; optional ``?tvdbId=`` filter;
* ``GET /api/v3/movie`` (Radarr) → ``[MovieResource]`` with ``id``, ``title``, ``year``,
  ``tmdbId``, ``imdbId``, ``monitored``, ``hasFile``, ``isAvailable``; optional ``?tmdbId=``.

Both answer the whole library in one array (no paging). Authentication follows the documents'
security schemes (header ``X-Api-Key`` or query ``apikey``) and Sonarr's
``src/Sonarr.Http/Authentication/ApiKeyAuthenticationHandler.cs`` (also ``Authorization:
Bearer``): a missing or wrong key is ``401``.

Faults on demand: :attr:`FakeArr.control` (``fail_next(status=429, retry_after=…)`` / 5xx, from
:mod:`anibridge_like.demo.metadata.common`) and :meth:`FakeArr.truncate_next` (the next list
answer is cut in the middle of its JSON). Deterministic: entries are given, or derived from
generated catalogs by :func:`entries_from_catalogs`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.metadata.common import FakeControl

AppName = Literal["Sonarr", "Radarr"]


@dataclass(frozen=True, slots=True)
class ArrEntry:
    id: int
    title: str
    year: int
    monitored: bool = True
    tvdb_id: int = 0
    tmdb_id: int = 0
    imdb_id: str | None = None
    series_type: Literal["standard", "daily", "anime"] = "standard"
    has_file: bool = False


class FakeArr:
    def __init__(
        self,
        app_name: AppName,
        api_key: str,
        entries: Iterable[ArrEntry] = (),
        *,
        control: FakeControl | None = None,
    ) -> None:
        self.app_name = app_name
        self.api_key = api_key
        self.entries = list(entries)
        self.control = control or FakeControl()
        self._truncate = 0
        resource = "series" if app_name == "Sonarr" else "movie"
        self.resource = resource
        self.app = self.control.wrap(
            Starlette(
                routes=[
                    Route("/api/v3/system/status", self.status, methods=["GET"]),
                    Route(f"/api/v3/{resource}", self.library, methods=["GET"]),
                ]
            )
        )

    def truncate_next(self, count: int = 1) -> None:
        self._truncate += count

    def _authorized(self, request: Request) -> bool:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        presented = request.query_params.get("apikey") or request.headers.get("x-api-key") or bearer
        return presented == self.api_key

    async def status(self, request: Request) -> Response:
        if not self._authorized(request):
            return Response(status_code=401)
        return JSONResponse(
            {
                "appName": self.app_name,
                "instanceName": self.app_name,
                "version": "4.0.0.0" if self.app_name == "Sonarr" else "5.0.0.0",
                "isProduction": True,
                "authentication": "forms",
                "urlBase": "",
            }
        )

    async def library(self, request: Request) -> Response:
        if not self._authorized(request):
            return Response(status_code=401)
        id_param = "tvdbId" if self.app_name == "Sonarr" else "tmdbId"
        wanted = request.query_params.get(id_param)
        rows = [self._json(e) for e in self.entries]
        if wanted is not None and wanted.isdigit():
            rows = [r for r in rows if r[id_param] == int(wanted)]
        body = json.dumps(rows).encode()
        if self._truncate:
            self._truncate -= 1
            body = body[: max(1, len(body) // 2)]
        return Response(body, media_type="application/json")

    def _json(self, e: ArrEntry) -> dict[str, Any]:
        common: dict[str, Any] = {
            "id": e.id,
            "title": e.title,
            "sortTitle": e.title.lower(),
            "year": e.year,
            "tmdbId": e.tmdb_id,
            "imdbId": e.imdb_id,
            "monitored": e.monitored,
            "titleSlug": "-".join(e.title.lower().split()),
            "added": "2026-01-01T00:00:00Z",
        }
        if self.app_name == "Sonarr":
            return {
                **common,
                "tvdbId": e.tvdb_id,
                "seriesType": e.series_type,
                "status": "continuing",
            }
        return {**common, "hasFile": e.has_file, "isAvailable": True, "status": "released"}


def entries_from_catalogs(
    catalogs: Iterable[GeneratedCatalog],
    app_name: AppName,
    *,
    every: int = 5,
    unmonitored_every: int = 4,
) -> list[ArrEntry]:
    """Every ``every``-th title of the catalogs' matching kind that has the app's id; every
    ``unmonitored_every``-th of those is unmonitored. Deterministic (catalog order)."""
    kind = "series" if app_name == "Sonarr" else "movie"
    out: list[ArrEntry] = []
    picked = 0
    for catalog in catalogs:
        for t in catalog:
            key = t.tvdb_id if kind == "series" else t.tmdb_id
            if t.kind != kind or key is None or t.index % every:
                continue
            picked += 1
            out.append(
                ArrEntry(
                    id=len(out) + 1,
                    title=t.canonical_title,
                    year=t.year,
                    monitored=picked % unmonitored_every != 0,
                    tvdb_id=t.tvdb_id or 0,
                    tmdb_id=t.tmdb_id or 0,
                    imdb_id=t.imdb_id,
                    series_type="anime" if t.anilist_id is not None else "standard",
                )
            )
    return out
