"""A fake SkyHook (Sonarr's TVDB metadata service) serving :class:`~.records.Show` records.

Evidence of the real service: Sonarr/Sonarr ``src/NzbDrone.Core/MetadataSource/SkyHook/
SkyHookProxy.cs`` (``GET …/search?term=<lower-cased term>``, ``GET …/shows/{tvdbId}``, 404 for an
unknown show, id lookups sent as search terms: ``SearchForNewSeriesByImdbId`` sends
``imdb:tt…``, ``SearchForNewSeriesByAniListId`` ``anilist:<id>``, and ``tvdb:<id>`` is answered
with that one show) and its resource classes ``Resource/ShowResource.cs`` (``tvdbId``, ``title``,
``firstAired``, ``imdbId``, ``tmdbId``, ``malIds`` and ``aniListIds`` as **lists** — one id per
AniList/MAL entry, i.e. per cour or season —, ``alternativeTitles[].title``, ``seasons``,
``episodes``) and ``Resource/EpisodeResource.cs`` (``seasonNumber``, ``episodeNumber``,
``absoluteEpisodeNumber``, ``title``, ``airDate``). Descriptive fields as ``ShowResource.cs``
names them: ``status`` (``Continuing``/``Ended``/``Upcoming``, what Sonarr's ``MapSeriesStatus``
reads), ``lastAired``, ``overview``, ``genres``, ``rating {count, value}`` (``RatingResource.cs``)
and ``images [{coverType, url}]`` (``ImageResource.cs``; TVDB artwork URLs).
A show's detail answer carries the edits posted to its control path (see
:data:`~.common.CONTROL_PATH`).

``GET /v1/tvdb/search/{lang}/?term=…`` → JSON list of shows (no episodes): a name search, or
``tvdb:``/``imdb:``/``tmdb:``/``anilist:``/``mal:`` followed by an id for an id lookup;
``GET /v1/tvdb/shows/{lang}/{tvdbId}`` → one show with ``seasons`` and ``episodes`` (titles in
``lang`` where the record has them, else English). Every generated series title with a
``tvdb_id`` is a show (:func:`~.records.show_from_title`); a metadata world adds more shows.
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
from anibridge_like.demo.metadata.records import Show, show_from_title
from anibridge_like.demo.names import slugify

_ID_TERMS = ("tvdb", "imdb", "tmdb", "anilist", "mal")


class FakeSkyHook:
    def __init__(
        self,
        *catalogs: GeneratedCatalog,
        shows: Iterable[Show] = (),
        control: FakeControl | None = None,
    ) -> None:
        self.control = control or FakeControl()
        self.shows: dict[int, Show] = {}
        for catalog in catalogs:
            for t in catalog:
                if t.tvdb_id is not None and t.kind == "series":
                    self.shows[t.tvdb_id] = show_from_title(t)
        for show in shows:
            self.shows[show.tvdb_id] = show
        self._by_id: dict[tuple[str, str], list[int]] = {}
        entries: list[tuple[str, int]] = []
        for show in self.shows.values():
            for name in (show.title, *show.alternative_titles):
                entries.append((name, show.tvdb_id))
            ids = [("tvdb", str(show.tvdb_id))]
            ids += [("imdb", show.imdb_id)] if show.imdb_id else []
            ids += [("tmdb", str(show.tmdb_id))] if show.tmdb_id else []
            ids += [("anilist", str(a)) for a in show.anilist_ids]
            ids += [("mal", str(m)) for m in show.mal_ids]
            for key in ids:
                self._by_id.setdefault(key, []).append(show.tvdb_id)
        self._search = NameSearch(entries)
        inner = Starlette(
            routes=[
                Route("/v1/tvdb/search/{lang}/", self.search),
                Route("/v1/tvdb/shows/{lang}/{tvdb_id:int}", self.show),
            ]
        )
        self.app = self.control.wrap(inner)

    def show_json(self, show: Show, lang: str, *, episodes: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tvdbId": show.tvdb_id,
            "title": show.title,
            "overview": f"Overview of {show.title}.",
            "slug": slugify(show.title),
            "originalCountry": "jpn" if show.anime else "usa",
            "originalLanguage": "jpn" if show.anime else "eng",
            "firstAired": show.first_aired,
            "tvMazeId": None,
            "tmdbId": show.tmdb_id,
            "imdbId": show.imdb_id,
            "malIds": list(show.mal_ids),
            "aniListIds": list(show.anilist_ids),
            "status": "Continuing" if show.tvdb_id % 5 == 0 else "Ended",
            "lastAired": max((e.air_date for e in show.episodes), default=show.first_aired),
            "rating": {"count": 10 + show.tvdb_id % 90, "value": 6 + (show.tvdb_id % 40) / 10},
            "runtime": 24 if show.anime else 45,
            "network": "Fake TV",
            "genres": ["Anime"] if show.anime else ["Drama"],
            "alternativeTitles": [{"title": a} for a in show.alternative_titles],
            "actors": [],
            "images": [
                {
                    "coverType": kind,
                    "url": f"https://artworks.thetvdb.com/banners/{kind}s/{show.tvdb_id}-1.jpg",
                }
                for kind in ("poster", "fanart")
            ],
            "seasons": [
                {"seasonNumber": s, "images": []} for s in sorted({e.season for e in show.episodes})
            ],
        }
        if episodes:
            local = show.titles_by_lang.get(lang) or ()
            data["episodes"] = [
                {
                    "tvdbShowId": show.tvdb_id,
                    "tvdbId": show.tvdb_id * 1000 + k,
                    "seasonNumber": e.season,
                    "episodeNumber": e.number,
                    "absoluteEpisodeNumber": e.absolute,
                    "title": (local[k] if k < len(local) else None) or e.title,
                    "airDate": e.air_date,
                    "runtime": 24,
                }
                for k, e in enumerate(show.episodes)
            ]
        return data

    def lookup(self, term: str) -> list[int] | None:
        """Ids an ``ns:value`` term names (``None``: not an id term)."""
        ns, sep, value = term.partition(":")
        if not sep or ns not in _ID_TERMS or not value.strip():
            return None
        value = value.strip()
        if ns == "imdb" and not value.startswith("tt"):
            value = f"tt{value}"
        return list(self._by_id.get((ns, value), []))

    async def search(self, request: Request) -> JSONResponse:
        term = request.query_params.get("term", "").strip().lower()
        lang = request.path_params["lang"]
        ids = self.lookup(term)
        if ids is None:
            ids = self._search.search(term) if term else []
        return JSONResponse([self.show_json(self.shows[i], lang, episodes=False) for i in ids])

    async def show(self, request: Request) -> JSONResponse:
        show = self.shows.get(request.path_params["tvdb_id"])
        if show is None:
            return JSONResponse({"message": "NotFound"}, status_code=404)
        data = self.show_json(show, request.path_params["lang"], episodes=True)
        return JSONResponse(self.control.patched(show.tvdb_id, data))
