"""A fake AniList GraphQL endpoint for users' lists and media recommendations.

Built from AniList's published schema documentation (``AniList/ApiV2-GraphQL-Docs``):
``docs/medialistcollection.doc.html`` (``MediaListCollection { lists: [MediaListGroup], user,
hasNextChunk }``, arguments ``userName``, ``type``, ``status_in``, ``chunk``, ``perChunk``),
``docs/medialistgroup.doc.html`` (``name``, ``status``, ``entries: [MediaList]``),
``docs/medialiststatus.doc.html`` (CURRENT, PLANNING, COMPLETED, DROPPED, PAUSED, REPEATING),
``docs/media.doc.html`` (``recommendations(sort, page, perPage): RecommendationConnection``),
``docs/recommendation.doc.html`` (``rating``, ``mediaRecommendation``), the list guide
``docs/guide/graphql/queries/media-list.md`` and the error/rate-limit pages
``book/overview/rate-limiting.md`` (429 + ``Retry-After``, body ``{"data": null, "errors":
[{"message": "Too Many Requests.", "status": 429}]}``).

``POST /`` with ``{"query", "variables"}``: a query containing ``MediaListCollection`` answers a
user's list (an unknown user: HTTP 404 ``{"errors": [{"message": "User not found", "status":
404}], "data": {"MediaListCollection": null}}``); one containing ``recommendations`` answers
``Media(id)`` with its recommendation nodes, best rated first (an unknown id: HTTP 404, ``Not
Found.``). Entries are chunked in list order (``perChunk``, default 500), one group per status.

Faults on demand: :attr:`FakeAniListLists.control` (``fail_next`` 429/5xx) and
:meth:`FakeAniListLists.truncate_next` (the next answer's JSON is cut in half).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.metadata.common import FakeControl

STATUSES = ("CURRENT", "PLANNING", "COMPLETED", "DROPPED", "PAUSED", "REPEATING")


@dataclass(frozen=True, slots=True)
class FakeMedia:
    id: int
    title: str
    year: int
    mal_id: int | None = None
    format: str = "TV"


@dataclass(frozen=True, slots=True)
class ListEntry:
    media_id: int
    status: str


class FakeAniListLists:
    def __init__(
        self,
        media: Iterable[FakeMedia],
        lists: Mapping[str, Sequence[ListEntry]],
        recommendations: Mapping[int, Sequence[tuple[int, int]]],
        *,
        control: FakeControl | None = None,
    ) -> None:
        self.media = {m.id: m for m in media}
        self.lists = {name.lower(): list(entries) for name, entries in lists.items()}
        self.recommendations = {k: list(v) for k, v in recommendations.items()}
        """media id → ``(recommended media id, rating)``."""
        self.control = control or FakeControl()
        self._truncate = 0
        self.app = self.control.wrap(Starlette(routes=[Route("/", self.graphql, methods=["POST"])]))

    def truncate_next(self, count: int = 1) -> None:
        self._truncate += count

    def media_json(self, media_id: int) -> dict[str, Any] | None:
        m = self.media.get(media_id)
        if m is None:
            return None
        return {
            "id": m.id,
            "idMal": m.mal_id,
            "format": m.format,
            "seasonYear": m.year,
            "startDate": {"year": m.year},
            "title": {"romaji": m.title, "english": m.title},
        }

    async def graphql(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            query = str(body["query"])
            variables = body.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return JSONResponse(
                {"data": None, "errors": [{"message": "Invalid query", "status": 400}]}, 400
            )
        if "MediaListCollection" in query:
            status, payload = self._collection(variables)
        elif "recommendations" in query:
            status, payload = self._recommendations(variables)
        else:
            status, payload = 400, {"data": None, "errors": [{"message": "Unknown", "status": 400}]}
        raw = json.dumps(payload).encode()
        if self._truncate:
            self._truncate -= 1
            raw = raw[: max(1, len(raw) // 2)]
        return Response(raw, status_code=status, media_type="application/json")

    def _collection(self, variables: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        name = str(variables.get("userName") or "").lower()
        if name not in self.lists:
            return 404, {
                "errors": [{"message": "User not found", "status": 404}],
                "data": {"MediaListCollection": None},
            }
        wanted = variables.get("statuses") or variables.get("status_in") or list(STATUSES)
        entries = [e for e in self.lists[name] if e.status in wanted and e.media_id in self.media]
        per = int(variables.get("perChunk") or 500)
        chunk = max(1, int(variables.get("chunk") or 1))
        part = entries[(chunk - 1) * per : chunk * per]
        groups: dict[str, list[dict[str, Any]]] = {}
        for e in part:
            groups.setdefault(e.status, []).append(
                {"mediaId": e.media_id, "status": e.status, "media": self.media_json(e.media_id)}
            )
        lists = [
            {"name": status.title(), "status": status, "isCustomList": False, "entries": rows}
            for status, rows in groups.items()
        ]
        more = chunk * per < len(entries)
        return 200, {"data": {"MediaListCollection": {"hasNextChunk": more, "lists": lists}}}

    def _recommendations(self, variables: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        media_id = variables.get("id")
        media = self.media_json(media_id) if isinstance(media_id, int) else None
        if media is None or not isinstance(media_id, int):
            return 404, {
                "errors": [{"message": "Not Found.", "status": 404}],
                "data": {"Media": None},
            }
        per = int(variables.get("perPage") or 25)
        recs = sorted(self.recommendations.get(media_id, []), key=lambda r: (-r[1], r[0]))
        nodes = [
            {"rating": rating, "mediaRecommendation": self.media_json(rec_id)}
            for rec_id, rating in recs[:per]
        ]
        return 200, {"data": {"Media": {**media, "recommendations": {"nodes": nodes}}}}


def from_catalogs(
    catalogs: Iterable[GeneratedCatalog],
    user: str = "demo",
    *,
    seed: int = 7,
    extra_media: int = 20,
) -> FakeAniListLists:
    """A user's list and recommendations over the generated anime titles (deterministic).

    Every 6th anime is PLANNING, every 9th CURRENT, every 4th COMPLETED; each medium recommends
    four others, some of them ``extra_media`` media that no catalog indexes (the daemon must drop
    those)."""
    media: list[FakeMedia] = []
    for catalog in catalogs:
        for t in catalog:
            if t.anilist_id is not None:
                media.append(
                    FakeMedia(t.anilist_id, t.canonical_title, t.year, t.anilist_id + 100000)
                )
    base = max((m.id for m in media), default=0) + 1000
    media += [FakeMedia(base + i, f"Unindexed Show {i}", 2010 + i % 10) for i in range(extra_media)]
    entries: list[ListEntry] = []
    for i, m in enumerate(media[: len(media) - extra_media]):
        status = (
            "PLANNING"
            if i % 6 == 0
            else "CURRENT"
            if i % 9 == 0
            else "COMPLETED"
            if i % 4 == 0
            else None
        )
        if status:
            entries.append(ListEntry(m.id, status))
    rng = random.Random(seed)
    ids = [m.id for m in media]
    recs = {
        m.id: [
            (other, rng.randint(1, 200))
            for other in rng.sample(ids, min(4, len(ids)))
            if other != m.id
        ]
        for m in media
    }
    return FakeAniListLists(media, {user: entries}, recs)
