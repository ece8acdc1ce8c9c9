"""Every registered recommendation implementation against its fake: candidates with external
ids, scores and reasons; seeds never recommended; errors as contract codes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from anibridge_like.demo.anilist_lists import FakeAniListLists, FakeMedia
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.recommendation import (
    RecommendationContext,
    RecommendationPlugin,
    Seed,
)
from anibridge_like.plugins.registry import Registry
from anibridge_like.plugins.sync import ExternalIds

MEDIA = [FakeMedia(i, f"Show {i}", 2000 + i, mal_id=1000 + i) for i in range(1, 9)]
RECS = {1: [(3, 50), (4, 10), (2, 99)], 2: [(3, 20), (5, 7), (6, 0)]}
SEEDS = [
    Seed(ExternalIds(anilist=1), "Show 1", "wanted"),
    Seed(ExternalIds(anilist=2), "Show 2", "completed"),
    Seed(ExternalIds(anilist=999), "Unknown", "wanted"),
    Seed(ExternalIds(tvdb=5), "No AniList id", "owned"),
]
CTX = RecommendationContext("anime", "Anime", "anime", "recs")


@dataclass
class Harness:
    plugin: RecommendationPlugin
    fake: Any


def _anilist() -> tuple[Any, dict[str, Any]]:
    return FakeAniListLists(MEDIA, {}, RECS), {}


MAKERS = {"anilist": _anilist}


@pytest.fixture(params=sorted(Registry().names("recommendation")))
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    name = request.param
    if name not in MAKERS:
        pytest.fail(f"recommendation implementation {name!r} has no fake in this suite")
    fake, config = MAKERS[name]()
    impl = Registry().get("recommendation", name)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app)) as client:
        plugin = impl(
            impl.config_model.model_validate({"base_url": "http://fake", **config}), client
        )
        yield Harness(plugin, fake)


async def test_candidates_have_ids_scores_and_reasons(harness: Harness) -> None:
    assert isinstance(harness.plugin, RecommendationPlugin)
    out = await harness.plugin.recommend(CTX, SEEDS)
    by_id = {c.external_id: c for c in out}
    assert set(by_id) == {"anilist:3", "anilist:4", "anilist:5"}  # seeds and rating 0 left out
    assert by_id["anilist:3"].score == 1.0  # 50 + 20, the strongest
    assert by_id["anilist:3"].based_on == ("Show 1", "Show 2")
    assert 0 < by_id["anilist:5"].score < by_id["anilist:4"].score < 1
    assert [c.score for c in out] == sorted((c.score for c in out), reverse=True)
    for c in out:
        assert c.ids.anilist is not None and c.ids.mal is not None and c.reason and c.title


async def test_no_usable_seed_means_no_call(harness: Harness) -> None:
    assert await harness.plugin.recommend(CTX, [SEEDS[3]]) == []
    assert harness.fake.control.requests == 0


async def test_rate_limit_and_server_error(harness: Harness) -> None:
    harness.fake.control.fail_next(status=429, retry_after=12)
    with pytest.raises(PluginError) as caught:
        await harness.plugin.recommend(CTX, SEEDS)
    assert caught.value.code is ErrorCode.RATE_LIMITED and caught.value.retry_after == 12
    harness.fake.control.fail_next(status=500)
    with pytest.raises(PluginError) as caught:
        await harness.plugin.recommend(CTX, SEEDS)
    assert caught.value.code is ErrorCode.UPSTREAM


async def test_truncated_answer_is_invalid_data(harness: Harness) -> None:
    harness.fake.truncate_next()
    with pytest.raises(PluginError) as caught:
        await harness.plugin.recommend(CTX, SEEDS)
    assert caught.value.code is ErrorCode.INVALID_DATA
