"""A fake Jellyfin server speaking the REST API the client uses, built from Jellyfin's published
OpenAPI spec as the generated Python client renders it:

- ``jellyfin/jellyfin-apiclient-python`` —
  ``jellyfin_apiclient_python/openapi/_generated/api/items/get_items.py`` (``GET /Items`` and its
  query parameters ``parentId``, ``recursive``, ``includeItemTypes``, ``fields``, ``startIndex``,
  ``limit``; answer ``BaseItemDtoQueryResult`` = ``Items``, ``TotalRecordCount``, ``StartIndex``),
  ``…/api/library/refresh_library.py`` (``POST /Library/Refresh`` → 204; 401/403 without rights),
  ``…/api/library_structure/get_virtual_folders.py`` (``GET /Library/VirtualFolders`` → a list of
  ``VirtualFolderInfo``: ``Name``, ``Locations``, ``CollectionType``, ``ItemId``),
  ``…/api/system/get_system_info.py`` (``GET /System/Info``: ``ServerName``, ``Version``, ``Id``),
  ``…/models/base_item_dto.py`` (``Id``, ``Name``, ``Type``, ``ProductionYear``, ``ProviderIds``,
  ``Path``, ``SeriesId``, ``SeriesName``, ``ParentIndexNumber``, ``IndexNumber``,
  ``IndexNumberEnd``).
- Token headers ``X-Emby-Token`` and ``Authorization: MediaBrowser Token="…"`` as real clients send
  them (e.g. ``ErsatzTV`` ``IJellyfinApi`` uses ``X-Emby-Token``).

ASP.NET binds query parameters case-insensitively and accepts comma-delimited lists, so the fake
does too. ``ProviderIds`` and ``Path`` are only present when ``fields`` asks for them, as on the
real server. Faults: see :class:`~anibridge_like.demo.mediaservers.content.Faults`.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from anibridge_like.demo.mediaservers.content import (
    FakeLibrary,
    FakeServerState,
    item_id,
    iter_paths,
    library_id,
)

VERSION = "10.9.11"
_TOKEN = re.compile(r'Token="([^"]*)"')


def _params(request: Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.query_params.items()}


def _flat(library: FakeLibrary, phase: str) -> list[dict[str, Any]]:
    lib = library_id(library)
    if phase == "titles":
        rows: list[dict[str, Any]] = []
        for show in library.shows:
            rows.append(
                {
                    "Id": item_id(lib, show.title, show.year),
                    "Name": show.title,
                    "Type": "Series",
                    "ProductionYear": show.year,
                    "ProviderIds": {k.capitalize(): v for k, v in show.ids.items()},
                    "Path": f"/media/{library.name}/{show.title} ({show.year})",
                }
            )
        for movie in library.movies:
            rows.append(
                {
                    "Id": item_id(lib, "movie", movie.title, movie.year),
                    "Name": movie.title,
                    "Type": "Movie",
                    "ProductionYear": movie.year,
                    "ProviderIds": {k.capitalize(): v for k, v in movie.ids.items()},
                    "Path": f"/media/{library.name}/{movie.title} ({movie.year})/"
                    f"{movie.title} ({movie.year}).mkv",
                }
            )
        return rows
    return [
        {
            "Id": item_id(lib, show.title, ep.season, ep.number),
            "Name": f"Episode {ep.number}",
            "Type": "Episode",
            "SeriesId": item_id(lib, show.title, show.year),
            "SeriesName": show.title,
            "ParentIndexNumber": ep.season,
            "IndexNumber": ep.number,
            "IndexNumberEnd": ep.number_end,
            "ProviderIds": {"Tvdb": str(7_000_000 + ep.season * 1000 + ep.number)},
            "Path": path,
        }
        for show, ep, path in iter_paths(library)
    ]


def build_jellyfin_app(state: FakeServerState) -> Starlette:
    cache: dict[tuple[int, str], tuple[FakeLibrary, list[dict[str, Any]]]] = {}

    def authorised(request: Request) -> bool:
        token = request.headers.get("x-emby-token")
        if token is None:
            match = _TOKEN.search(request.headers.get("authorization", ""))
            token = match.group(1) if match else _params(request).get("api_key")
        return token == state.token and not state.faults.auth_failure

    def guard(request: Request) -> Response | None:
        state.requests += 1
        if state.faults.server_error:
            return Response("Service Unavailable", status_code=503)
        if not authorised(request):
            return Response(status_code=401)
        return None

    async def system_info(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        return JSONResponse(
            {
                "ServerName": "fake-jellyfin",
                "Version": VERSION,
                "Id": "f" * 32,
                "OperatingSystem": "Linux",
                "ProductName": "Jellyfin Server",
            }
        )

    async def virtual_folders(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        return JSONResponse(
            [
                {
                    "Name": lib.name,
                    "Locations": [f"/media/{lib.name}"],
                    "CollectionType": "tvshows" if lib.kind == "series" else "movies",
                    "ItemId": library_id(lib),
                }
                for lib in state.libraries
            ]
        )

    async def items(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        q = _params(request)
        library = next((x for x in state.libraries if library_id(x) == q.get("parentid")), None)
        if library is None:
            return JSONResponse({"Items": [], "TotalRecordCount": 0, "StartIndex": 0})
        types = {t.strip().lower() for t in q.get("includeitemtypes", "").split(",") if t}
        if not types <= {"series", "movie", "episode"} or not types:
            return Response("IncludeItemTypes required", status_code=400)
        phase = "episodes" if types == {"episode"} else "titles"
        key = (id(library), ",".join(sorted(types)))
        if key not in cache or cache[key][0] is not library:  # content swapped by a test
            flat = _flat(library, phase)
            cache[key] = (library, [r for r in flat if r["Type"].lower() in types])
        rows = cache[key][1]
        try:
            start = int(q.get("startindex", "0"))
            limit = int(q.get("limit", str(len(rows))))
        except ValueError:
            return Response("bad paging", status_code=400)
        fields = {f.strip().lower() for f in q.get("fields", "").split(",")}
        stop = start + limit
        if state.faults.truncate_after is not None:
            stop = min(stop, state.faults.truncate_after)
        page = [
            {k: v for k, v in r.items() if k.lower() not in {"providerids", "path"} - fields}
            for r in rows[start : max(start, stop)]
        ]
        return JSONResponse({"Items": page, "TotalRecordCount": len(rows), "StartIndex": start})

    async def refresh(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        if state.faults.scan_delay:
            await asyncio.sleep(state.faults.scan_delay)
        state.scans.append("all")
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route("/System/Info", system_info),
            Route("/Library/VirtualFolders", virtual_folders),
            Route("/Items", items),
            Route("/Library/Refresh", refresh, methods=["POST"]),
        ]
    )
