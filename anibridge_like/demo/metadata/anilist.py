"""A fake AniList GraphQL endpoint serving :class:`~.records.Media` records.

Evidence of the real service: the AniList GraphQL schema (``Page(page, perPage) { pageInfo { total }
media(search: String, type: ANIME) }``, ``Media(id: Int, idMal: Int, type: ANIME)`` with ``id``,
``idMal``, ``format``, ``episodes``, ``seasonYear``, ``startDate { year month day }``,
``title { romaji english native }``, ``synonyms``, and for a ``Media`` query ``status``,
``endDate``, ``description``, ``genres``, ``averageScore``, ``coverImage { extraLarge large }``,
``bannerImage`` — plus the edits posted to the media's control path, see
``common.CONTROL_PATH``; https://anilist.co/graphiql and
docs.anilist.co), and its error shape (``{"errors": [{"message": "Not Found.", "status": 404}],
"data": {"Media": null}}`` with HTTP 404).

``POST /`` with ``{"query", "variables"}``: a ``Page(...) { media(search: $search) }`` query
searches english, romaji and synonyms; a ``Media(id: $id)`` (or ``idMal: $idMal``) query fetches
one. Every generated anime series with an ``anilist_id`` is a media
(:func:`~.records.media_from_title`): romaji = its first romaji alias (else the canonical name),
english = the canonical name, synonyms = the site's own title when it differs; a metadata world
adds the media of later cours, films and twins.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from anibridge_like.demo.catalog import GeneratedCatalog, GenTitle
from anibridge_like.demo.metadata.common import FakeControl, NameSearch
from anibridge_like.demo.metadata.records import Media, media_from_title


def mal_id(t: GenTitle) -> int | None:
    return None if t.anilist_id is None else t.anilist_id + 100000


def _error(message: str, status: int, data: Any = None) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "status": status}], "data": data}, status_code=status
    )


class FakeAniList:
    def __init__(
        self,
        *catalogs: GeneratedCatalog,
        media: Iterable[Media] = (),
        control: FakeControl | None = None,
    ) -> None:
        self.control = control or FakeControl()
        self.media: dict[int, Media] = {}
        for catalog in catalogs:
            for t in catalog:
                if t.anilist_id is not None and t.kind == "series":
                    self.media[t.anilist_id] = media_from_title(t)
        for m in media:
            self.media[m.id] = m
        self._mal = {m.id_mal: m.id for m in self.media.values() if m.id_mal is not None}
        entries = [
            (name, m.id)
            for m in self.media.values()
            for name in dict.fromkeys((m.english, m.romaji, *m.synonyms))
        ]
        self._search = NameSearch(entries)
        self.app = self.control.wrap(Starlette(routes=[Route("/", self.graphql, methods=["POST"])]))

    @staticmethod
    def media_json(m: Media) -> dict[str, Any]:
        return {
            "id": m.id,
            "idMal": m.id_mal,
            "format": m.format,
            "episodes": m.episodes,
            "seasonYear": m.year,
            "startDate": {"year": m.year, "month": 4, "day": 1},
            "title": {"romaji": m.romaji, "english": m.english, "native": None},
            "synonyms": list(m.synonyms),
        }

    async def graphql(self, request: Request) -> JSONResponse:
        try:
            body = await request.json()
            query = body["query"]
            variables = body.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return _error("Invalid query", 400)
        if "Page(" in query and "media(" in query:
            per_page = int(variables.get("perPage") or 10)
            ids = self._search.search(str(variables.get("search") or ""), limit=per_page)
            media = [self.media_json(self.media[i]) for i in ids]
            return JSONResponse(
                {"data": {"Page": {"pageInfo": {"total": len(media)}, "media": media}}}
            )
        if "Media(" in query:
            key = int(variables.get("id") or 0)
            if variables.get("idMal") is not None:
                key = self._mal.get(int(variables["idMal"]), 0)
            m = self.media.get(key)
            if m is None:
                return _error("Not Found.", 404, {"Media": None})
            detail = {
                **self.media_json(m),
                "status": "FINISHED",
                "endDate": {"year": m.year, "month": 9, "day": 30},
                "description": f"{m.english} on AniList.",
                "genres": ["Action", "Fantasy"] if m.id % 2 else ["Drama"],
                "averageScore": 60 + m.id % 35,
                "coverImage": {
                    "extraLarge": f"https://s4.anilist.co/file/anilistcdn/media/anime/cover/large/bx{m.id}.jpg",
                    "large": f"https://s4.anilist.co/file/anilistcdn/media/anime/cover/medium/bx{m.id}.jpg",
                },
                "bannerImage": None,
            }
            return JSONResponse({"data": {"Media": self.control.patched(m.id, detail)}})
        return _error("Unsupported query", 400)
