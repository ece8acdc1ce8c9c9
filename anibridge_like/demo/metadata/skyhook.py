"""A fake SkyHook (Sonarr's TVDB metadata service) built from generated catalogs.

``GET /v1/tvdb/search/{lang}/?term=…`` → JSON list of shows (no episodes);
``GET /v1/tvdb/shows/{lang}/{tvdbId}`` → one show with ``seasons`` and ``episodes`` in TVDB
numbering (absolute numbers on regular episodes, specials and the films TVDB has in season 0),
404 for an unknown id. Every generated series title with a ``tvdb_id`` is a show named by its
``canonical_title``; its alternative titles are its romaji aliases and, for even ids, the site's
own (German) title.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from anibridge_like.demo.catalog import GeneratedCatalog, GenTitle
from anibridge_like.demo.metadata.common import FakeControl, NameSearch
from anibridge_like.demo.names import slugify


def alternative_titles(t: GenTitle) -> list[str]:
    out = [a for a in t.aliases if a != t.canonical_title]
    if t.tvdb_id is not None and t.tvdb_id % 2 == 0 and t.title != t.canonical_title:
        out.append(t.title)
    elif t.title in out:
        out.remove(t.title)
    return list(dict.fromkeys(out))


def first_aired(t: GenTitle) -> str:
    key = t.tvdb_id or t.index
    return f"{t.year}-{1 + key % 12:02d}-{1 + key % 28:02d}"


class FakeSkyHook:
    def __init__(self, *catalogs: GeneratedCatalog, control: FakeControl | None = None) -> None:
        self.control = control or FakeControl()
        self.shows: dict[int, GenTitle] = {}
        entries: list[tuple[str, int]] = []
        for catalog in catalogs:
            for t in catalog:
                if t.tvdb_id is None or t.kind != "series":
                    continue
                self.shows[t.tvdb_id] = t
                for name in (t.canonical_title, *alternative_titles(t)):
                    entries.append((name, t.tvdb_id))
        self._search = NameSearch(entries)
        inner = Starlette(
            routes=[
                Route("/v1/tvdb/search/{lang}/", self.search),
                Route("/v1/tvdb/shows/{lang}/{tvdb_id:int}", self.show),
            ]
        )
        self.app = self.control.wrap(inner)

    def show_json(self, t: GenTitle, lang: str, *, episodes: bool) -> dict[str, Any]:
        assert t.tvdb_id is not None
        tv = [e for e in t.episodes if e.tvdb_season is not None and e.tvdb_episode is not None]
        data: dict[str, Any] = {
            "tvdbId": t.tvdb_id,
            "title": t.canonical_title,
            "overview": f"Overview of {t.canonical_title}.",
            "slug": slugify(t.canonical_title),
            "originalCountry": "jpn" if t.anilist_id else "usa",
            "originalLanguage": "jpn" if t.anilist_id else "eng",
            "firstAired": first_aired(t),
            "tvMazeId": None,
            "tmdbId": t.tmdb_id,
            "imdbId": t.imdb_id,
            "malIds": [t.anilist_id + 100000] if t.anilist_id else [],
            "aniListIds": [t.anilist_id] if t.anilist_id else [],
            "status": "Ended",
            "runtime": 24 if t.anilist_id else 45,
            "network": "Fake TV",
            "genres": ["Anime"] if t.anilist_id else ["Drama"],
            "alternativeTitles": [{"title": a} for a in alternative_titles(t)],
            "actors": [],
            "images": [],
            "seasons": [
                {"seasonNumber": s, "images": []}
                for s in sorted({e.tvdb_season for e in tv if e.tvdb_season is not None})
            ],
        }
        if episodes:
            data["episodes"] = [
                {
                    "tvdbShowId": t.tvdb_id,
                    "tvdbId": t.tvdb_id * 1000 + k,
                    "seasonNumber": e.tvdb_season,
                    "episodeNumber": e.tvdb_episode,
                    "absoluteEpisodeNumber": e.absolute if e.kind == "episode" else None,
                    "title": e.titles.get(lang) or e.titles.get("en"),
                    "airDate": first_aired(t),
                    "runtime": 24,
                }
                for k, e in enumerate(tv)
            ]
        return data

    async def search(self, request: Request) -> JSONResponse:
        term = request.query_params.get("term", "")
        lang = request.path_params["lang"]
        if term.startswith("tvdb:") and term[5:].isdigit():
            ids = [int(term[5:])] if int(term[5:]) in self.shows else []
        else:
            ids = self._search.search(term) if term.strip() else []
        return JSONResponse([self.show_json(self.shows[i], lang, episodes=False) for i in ids])

    async def show(self, request: Request) -> JSONResponse:
        t = self.shows.get(request.path_params["tvdb_id"])
        if t is None:
            return JSONResponse({"message": "NotFound"}, status_code=404)
        return JSONResponse(self.show_json(t, request.path_params["lang"], episodes=True))
