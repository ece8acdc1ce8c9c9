"""Background work yields the event loop to requests.

The request log (:class:`anibridge_like.api.requestlog.RequestLog`) keeps one
:class:`ServingActivity` up to date: requests in flight and when the last one ended. Background
work that runs on the daemon's loop in steps — the detail stage persisting a batch of titles —
calls :func:`yield_to_requests` after each step: while requests are being served (one in flight,
or one ended within :data:`BUSY_WINDOW` seconds) it pauses so that its steps take at most
``share`` of the loop's time (``indexing_share_while_serving``); with nobody asking, it runs at
full speed. A pause slows the whole stage through its bounded queues (the fetch workers wait for
room), so what indexing does on the loop besides persisting (reading the plugin worker's answers)
slows with it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

BUSY_WINDOW = 1.0
"""Seconds after a request during which the daemon still counts as serving."""
MAX_PAUSE = 0.5
"""Longest pause after one step (a long step never stalls its stage for long)."""


class ServingActivity:
    """Requests in flight and the end of the last one."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.in_flight = 0
        self.last_end = float("-inf")

    def started(self) -> None:
        self.in_flight += 1

    def ended(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.last_end = self._clock()

    def busy(self, within: float = BUSY_WINDOW) -> bool:
        return self.in_flight > 0 or self._clock() - self.last_end < within


def pause_for(activity: ServingActivity | None, spent: float, share: float) -> float:
    """Seconds to pause after a step that held the loop for ``spent`` seconds."""
    if activity is None or share >= 1.0 or spent <= 0 or not activity.busy():
        return 0.0
    return min(MAX_PAUSE, spent * (1.0 - share) / share)


async def yield_to_requests(activity: ServingActivity | None, spent: float, share: float) -> float:
    """Pause as :func:`pause_for` says; returns the pause taken."""
    pause = pause_for(activity, spent, share)
    if pause > 0:
        await asyncio.sleep(pause)
    return pause
