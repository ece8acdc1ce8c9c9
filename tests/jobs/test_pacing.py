"""Background work yields the loop to requests: pauses only while requests are served."""

from __future__ import annotations

import asyncio
import time

import httpx
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from anibridge_like.api.requestlog import RequestLog
from anibridge_like.jobs.pacing import (
    MAX_PAUSE,
    ServingActivity,
    pause_for,
    yield_to_requests,
)


def test_pauses_keep_the_step_share_while_serving_and_none_when_idle() -> None:
    now = [100.0]
    activity = ServingActivity(clock=lambda: now[0])
    assert pause_for(activity, 0.01, 0.25) == 0.0  # nobody asked yet: full speed
    activity.started()
    assert abs(pause_for(activity, 0.01, 0.25) - 0.03) < 1e-9  # 10 ms of work, 30 ms pause
    assert pause_for(activity, 0.01, 1.0) == 0.0  # share 1: never pause
    assert pause_for(activity, 10.0, 0.25) == MAX_PAUSE
    activity.ended()
    now[0] += 0.5
    assert pause_for(activity, 0.01, 0.5) > 0  # a request ended just now: still serving
    now[0] += 1.0
    assert pause_for(activity, 0.01, 0.5) == 0.0
    assert pause_for(None, 0.01, 0.5) == 0.0


async def test_the_request_log_keeps_the_activity() -> None:
    activity = ServingActivity()
    seen: list[int] = []

    async def hello(request: object) -> PlainTextResponse:
        seen.append(activity.in_flight)
        return PlainTextResponse("hi")

    app = Starlette(routes=[Route("/torznab/api", hello), Route("/health/catalog", hello)])
    wrapped = RequestLog(app, info=False, activity=activity)
    transport = httpx.ASGITransport(app=wrapped)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        assert (await client.get("/health/catalog")).status_code == 200
        assert seen == [0] and not activity.busy()  # a progress poll does not slow indexing
        assert (await client.get("/torznab/api")).status_code == 200
    assert seen == [0, 1] and activity.in_flight == 0 and activity.busy()


async def test_a_pause_ends_once_nobody_is_asking() -> None:
    activity = ServingActivity()
    activity.started()

    async def request_ends() -> None:
        await asyncio.sleep(0.15)
        activity.ended()
        activity.last_end = float("-inf")  # as if it ended long ago

    ending = asyncio.create_task(request_ends())
    began = time.monotonic()
    taken = await yield_to_requests(activity, spent=1.0, share=0.5)  # a 1 s pause, asked for
    await ending
    assert 0.1 <= taken < 0.8 and time.monotonic() - began < 0.8
