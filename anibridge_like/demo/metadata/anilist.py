"""A fake AniList GraphQL endpoint built from generated anime catalogs.

``POST /`` with ``{"query", "variables"}``: a ``Page(...) { media(search: $search) }`` query
searches, a ``Media(id: $id)`` query fetches one (``{"errors": [{"message": "Not Found.",
"status": 404}], "data": {"Media": null}}`` with HTTP 404 when unknown). Media are the generated
series titles with an ``anilist_id``: romaji = their first romaji alias (else the canonical name),
english = the canonical name, synonyms = the site's own title when it differs.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from anibridge_like.demo.catalog import GeneratedCatalog, GenTitle
from anibridge_like.demo.metadata.common import FakeControl, NameSearch


def mal_id(t: GenTitle) -> int | None:
    return None if t.anilist_id is None else t.anilist_id + 100000


class FakeAniList:
    def __init__(self, *catalogs: GeneratedCatalog, control: FakeControl | None = None) -> None:
        self.control = control or FakeControl()
        self.media: dict[int, GenTitle] = {}
        entries: list[tuple[str, int]] = []
        for catalog in catalogs:
            for t in catalog:
                if t.anilist_id is None or t.kind != "series":
                    continue
                self.media[t.anilist_id] = t
                for name in self.names(t):
                    entries.append((name, t.anilist_id))
        self._search = NameSearch(entries)
        self.app = self.control.wrap(Starlette(routes=[Route("/", self.graphql, methods=["POST"])]))

    @staticmethod
    def names(t: GenTitle) -> list[str]:
        romaji = next((a for a in t.aliases if a != t.canonical_title), t.canonical_title)
        out = [t.canonical_title, romaji]
        if t.title != t.canonical_title:
            out.append(t.title)
        return list(dict.fromkeys(out))

    def media_json(self, t: GenTitle) -> dict[str, Any]:
        names = self.names(t)
        romaji = names[1] if len(names) > 1 and names[1] != t.title else t.canonical_title
        return {
            "id": t.anilist_id,
            "idMal": mal_id(t),
            "format": "TV",
            "episodes": sum(1 for e in t.episodes if e.kind == "episode"),
            "seasonYear": t.year,
            "startDate": {"year": t.year, "month": 4, "day": 1},
            "title": {"romaji": romaji, "english": t.canonical_title, "native": None},
            "synonyms": [t.title] if t.title != t.canonical_title else [],
        }

    async def graphql(self, request: Request) -> JSONResponse:
        try:
            body = await request.json()
            query = body["query"]
            variables = body.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return JSONResponse(
                {"errors": [{"message": "Invalid query", "status": 400}], "data": None},
                status_code=400,
            )
        if "Page(" in query and "media(" in query:
            per_page = int(variables.get("perPage") or 10)
            ids = self._search.search(str(variables.get("search") or ""), limit=per_page)
            media = [self.media_json(self.media[i]) for i in ids]
            return JSONResponse(
                {"data": {"Page": {"pageInfo": {"total": len(media)}, "media": media}}}
            )
        if "Media(" in query:
            t = self.media.get(int(variables.get("id") or 0))
            if t is None:
                return JSONResponse(
                    {"errors": [{"message": "Not Found.", "status": 404}], "data": {"Media": None}},
                    status_code=404,
                )
            return JSONResponse({"data": {"Media": self.media_json(t)}})
        return JSONResponse(
            {"errors": [{"message": "Unsupported query", "status": 400}], "data": None},
            status_code=400,
        )
