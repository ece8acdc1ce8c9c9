"""The title and detail stages' pauses while requests are served count the plugin worker's CPU
time, not only their own steps (issue 12, item 7: the worker's parsing was what a client's p99
felt)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from anibridge_like.catalog.details import DetailStage
from anibridge_like.catalog.pipeline import refresh_instance
from anibridge_like.catalog.titles import TitleStage
from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.jobs import pacing
from anibridge_like.jobs.pacing import ServingActivity
from tests.catalog.support import Env
from tests.fakes.memory_provider import register_site


class _Worker:
    """A plugin manager whose worker burned 0.25 CPU seconds between any two looks."""

    def __init__(self) -> None:
        self.cpu = 0.0

    def worker_cpu_seconds(self) -> float:
        self.cpu += 0.25
        return self.cpu


async def test_the_stages_count_the_workers_cpu_in_their_pauses(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_site("paced", GeneratedCatalog("aniworld", 30, seed=3), page_size=25)
    await env.add_instance("paced", "paced")
    run = await env.make_run("paced")
    run.plugins = cast(Any, _Worker())
    run.serving = ServingActivity()
    run.serving.started()  # a request in flight all along
    spent: list[float] = []

    async def record(activity: ServingActivity | None, step: float, share: float) -> float:
        spent.append(step)
        return 0.0

    monkeypatch.setattr(pacing, "yield_to_requests", record)
    results = await refresh_instance(run, [TitleStage(), DetailStage()])
    assert results["detail"].status == "ready"
    # one title step, then detail batches of 10 (the loop's part alone: milliseconds)
    assert len(spent) >= 4 and all(s >= 0.25 for s in spent), spent
