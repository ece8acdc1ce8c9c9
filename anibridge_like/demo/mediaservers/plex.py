"""A fake Plex Media Server speaking the XML API the client uses, built from the shapes the
``pkkid/python-plexapi`` library reads and sends (evidence: its source on GitHub):

- ``plexapi/library.py``: ``LibrarySection`` (``Directory`` of ``/library/sections`` with ``key``,
  ``type``, ``title``, ``refreshing`` and ``Location@path`` children), ``LibrarySection.update``
  → ``GET /library/sections/{key}/refresh``, ``fetchItems`` paging with
  ``X-Plex-Container-Start`` / ``X-Plex-Container-Size`` and the container's ``totalSize``.
- ``plexapi/video.py``: ``Show`` (``Directory type="show"``, ``ratingKey``, ``title``, ``year``),
  ``Show.episodes`` → ``/library/metadata/{ratingKey}/allLeaves``, ``Episode`` (``Video
  type="episode"`` with ``parentIndex``, ``index``, ``grandparentRatingKey``), ``Movie``
  (``Video type="movie"``), ``Media``/``Part@file`` children.
- ``plexapi/media.py``: ``Guid@id`` children (``tvdb://…``, ``tmdb://…``, ``imdb://tt…``), which
  the server includes with ``includeGuids=1``.
- ``plexapi/server.py`` / ``plexapi/base.py``: the ``X-Plex-Token`` header; a 401 answers a bad
  token (``Unauthorized``). ``/identity`` answers ``machineIdentifier`` and ``version`` without a
  token, as on real servers.

Paging parameters are read from the query string or the headers (clients use both).
Faults: see :class:`~anibridge_like.demo.mediaservers.content.Faults`.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from anibridge_like.demo.mediaservers.content import (
    FakeLibrary,
    FakeMovie,
    FakeServerState,
    FakeShow,
    item_id,
    iter_paths,
)

VERSION = "1.41.3.9314-a0bfb8370"
MACHINE = "fakeplex0123456789abcdef"


def _xml(body: str, **attrs: object) -> Response:
    head = " ".join(f"{k}={quoteattr(str(v))}" for k, v in attrs.items())
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer {head}>{body}</MediaContainer>'
    return Response(text, media_type="text/xml; charset=utf-8")


def _guids(ids: dict[str, str] | object) -> str:
    assert isinstance(ids, dict)
    return "".join(f"<Guid id={quoteattr(f'{k}://{v}')} />" for k, v in ids.items())


def _key(*parts: object) -> str:
    return str(int(item_id(*parts)[:7], 16))


def build_plex_app(state: FakeServerState) -> Starlette:
    shows: dict[str, tuple[FakeLibrary, FakeShow]] = {}
    leaves: dict[str, list[str]] = {}
    entries: dict[str, tuple[FakeLibrary, list[str]]] = {}

    def sections() -> dict[str, FakeLibrary]:
        return {str(i + 1): lib for i, lib in enumerate(state.libraries)}

    def index(key: str, lib: FakeLibrary) -> list[str]:
        if key in entries and entries[key][0] is lib:
            return entries[key][1]
        leaves.clear()  # content swapped by a test
        rows: list[str] = []
        for show in lib.shows:
            rk = _key(lib.name, show.title, show.year)
            shows[rk] = (lib, show)
            rows.append(
                f'<Directory ratingKey="{rk}" key="/library/metadata/{rk}/children" type="show"'
                f' title={quoteattr(show.title)} year="{show.year or ""}"'
                f' leafCount="{len(show.episodes)}">{_guids(dict(show.ids))}</Directory>'
            )
        for movie in lib.movies:
            rows.append(_movie(lib, movie))
        entries[key] = (lib, rows)
        return rows

    def leaf_rows(rk: str) -> list[str]:
        if rk not in leaves:
            lib, show = shows[rk]
            single = FakeLibrary(lib.name, lib.kind, shows=(show,))
            # A multi-episode file is one Video per episode, all sharing the file.
            leaves[rk] = [
                f'<Video ratingKey="{_key(lib.name, show.title, ep.season, n)}"'
                f' type="episode" title="Episode {n}" grandparentRatingKey="{rk}"'
                f" grandparentTitle={quoteattr(show.title)}"
                f' parentIndex="{ep.season}" index="{n}">'
                f"<Media><Part file={quoteattr(path)} /></Media></Video>"
                for _show, ep, path in iter_paths(single)
                for n in range(ep.number, (ep.number_end or ep.number) + 1)
            ]
        return leaves[rk]

    def guard(request: Request, *, public: bool = False) -> Response | None:
        state.requests += 1
        if state.faults.server_error:
            return Response("Service Unavailable", status_code=503)
        token = request.headers.get("x-plex-token") or request.query_params.get("X-Plex-Token")
        if not public and (token != state.token or state.faults.auth_failure):
            return Response("<html><body><h1>401 Unauthorized</h1></body></html>", 401)
        return None

    def paged(request: Request, rows: list[str]) -> Response:
        def param(name: str, default: int) -> int:
            raw = request.query_params.get(name) or request.headers.get(name)
            return int(raw) if raw and raw.isdigit() else default

        start = param("X-Plex-Container-Start", 0)
        size = param("X-Plex-Container-Size", len(rows))
        stop = start + size
        if state.faults.truncate_after is not None:
            stop = min(stop, state.faults.truncate_after)
        page = rows[start : max(start, stop)]
        return _xml("".join(page), size=len(page), totalSize=len(rows), offset=start)

    async def identity(request: Request) -> Response:
        if (denied := guard(request, public=True)) is not None:
            return denied
        return _xml("", size=0, claimed=1, machineIdentifier=MACHINE, version=VERSION)

    async def list_sections(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        body = "".join(
            f'<Directory key="{key}" type="{"show" if lib.kind == "series" else "movie"}"'
            f' title={quoteattr(lib.name)} refreshing="{int(key in state.scans)}"'
            f' agent="tv.plex.agents.series" scanner="Plex TV Series">'
            f'<Location id="{key}" path={quoteattr("/media/" + lib.name)} /></Directory>'
            for key, lib in sections().items()
        )
        return _xml(body, size=len(state.libraries), title1="Plex Library")

    async def section_all(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        key = request.path_params["key"]
        if key not in sections():
            return Response(status_code=404)
        return paged(request, index(key, sections()[key]))

    async def all_leaves(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        rk = request.path_params["rk"]
        if rk not in shows:
            return Response(status_code=404)
        return paged(request, leaf_rows(rk))

    async def refresh(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        key = request.path_params["key"]
        if key not in sections():
            return Response(status_code=404)
        state.scans.append(key)
        return Response(status_code=200)

    return Starlette(
        routes=[
            Route("/identity", identity),
            Route("/library/sections", list_sections),
            Route("/library/sections/{key}/all", section_all),
            Route("/library/sections/{key}/refresh", refresh),
            Route("/library/metadata/{rk}/allLeaves", all_leaves),
        ]
    )


def _movie(lib: FakeLibrary, movie: FakeMovie) -> str:
    rk = _key(lib.name, "movie", movie.title, movie.year)
    path = f"/media/{lib.name}/{movie.title} ({movie.year})/{movie.title} ({movie.year}).mkv"
    return (
        f'<Video ratingKey="{rk}" type="movie" title={quoteattr(movie.title)}'
        f' year="{movie.year or ""}">{_guids(dict(movie.ids))}'
        f"<Media><Part file={quoteattr(path)} /></Media></Video>"
    )
