"""AniList recommendations: ``Media(id).recommendations`` (user-voted "if you liked X") for each
seed with an AniList id.

A candidate's score is the sum of its recommendation ratings over the seeds that surfaced it,
divided by the largest such sum of the call (so the strongest candidate scores 1.0); its reason
names the seeds. Seeds and candidates with a non-positive rating are left out. Schema:
``Media.recommendations(sort, page, perPage): RecommendationConnection`` with ``nodes { rating
mediaRecommendation { … } }`` (``AniList/ApiV2-GraphQL-Docs``: ``docs/recommendation.doc.html``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from pydantic import Field

from anibridge_like.metadata.http import HttpMetadataConfig
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.recommendation import (
    Candidate,
    RecommendationCapabilities,
    RecommendationContext,
    Seed,
)
from anibridge_like.sync.anilist import (
    MEDIA_FIELDS,
    anilist_graphql,
    media_ids,
    media_title,
    media_year,
)

RECOMMENDATIONS_QUERY = (
    "query ($id: Int, $perPage: Int) { Media(id: $id, type: ANIME) { id"
    " recommendations(sort: [RATING_DESC], page: 1, perPage: $perPage) { nodes { rating"
    " mediaRecommendation { " + MEDIA_FIELDS + " } } } } }"
)


class AniListRecommendationsConfig(HttpMetadataConfig):
    base_url: str = Field("https://graphql.anilist.co", description="AniList GraphQL endpoint.")
    max_seeds: int = Field(25, ge=1, le=200, description="Seeds asked about per refresh.")
    per_seed: int = Field(10, ge=1, le=25, description="Recommendations read per seed.")


@dataclass(slots=True)
class _Tally:
    media: Mapping[str, Any]
    total: int = 0
    based_on: list[str] = field(default_factory=list)


class AniListRecommendations:
    capabilities: ClassVar[RecommendationCapabilities] = RecommendationCapabilities(
        namespace="anilist", kinds=frozenset({"series", "movie"}), max_seeds=200
    )
    config_model: ClassVar[type[AniListRecommendationsConfig]] = AniListRecommendationsConfig

    def __init__(self, config: AniListRecommendationsConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self.client = client

    async def recommend(self, ctx: RecommendationContext, seeds: Sequence[Seed]) -> list[Candidate]:
        usable = [s for s in seeds if s.ids.anilist is not None][: self.config.max_seeds]
        seed_ids = {s.ids.anilist for s in usable}
        tally: dict[int, _Tally] = {}
        for seed in usable:
            try:
                data = await anilist_graphql(
                    self.client,
                    self.config.base_url,
                    self.config.timeout,
                    RECOMMENDATIONS_QUERY,
                    {"id": seed.ids.anilist, "perPage": self.config.per_seed},
                )
            except PluginError as error:
                if error.code is ErrorCode.NOT_FOUND:
                    continue  # the seed's id is unknown to AniList: nothing to recommend from it
                raise
            media = data.get("Media")
            if media is None:
                continue
            nodes = _nodes(media)
            for node in nodes:
                rec = node.get("mediaRecommendation")
                rating = node.get("rating")
                if not isinstance(rec, Mapping) or not isinstance(rec.get("id"), int):
                    continue  # a deleted recommended media is null
                if not isinstance(rating, int) or rating <= 0 or rec["id"] in seed_ids:
                    continue
                entry = tally.setdefault(rec["id"], _Tally(rec))
                entry.total += rating
                if seed.title not in entry.based_on:
                    entry.based_on.append(seed.title)
        if not tally:
            return []
        best = max(t.total for t in tally.values())
        out = [
            Candidate(
                external_id=f"anilist:{media_id}",
                ids=media_ids(t.media),
                title=media_title(t.media),
                year=media_year(t.media),
                kind="movie" if t.media.get("format") == "MOVIE" else "series",
                score=round(t.total / best, 4),
                reason=f"AniList users recommend it to fans of {', '.join(t.based_on[:3])}",
                based_on=tuple(t.based_on),
            )
            for media_id, t in tally.items()
        ]
        out.sort(key=lambda c: (-c.score, c.external_id))
        return out


def _nodes(media: Any) -> list[Mapping[str, Any]]:
    recs = media.get("recommendations") if isinstance(media, Mapping) else None
    nodes = recs.get("nodes") if isinstance(recs, Mapping) else None
    if not isinstance(nodes, list):
        raise PluginError(ErrorCode.INVALID_DATA, "Media.recommendations without nodes")
    return [n for n in nodes if isinstance(n, Mapping)]
