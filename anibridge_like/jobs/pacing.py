"""Background work yields the CPU and the event loop to requests.

The request log (:class:`anibridge_like.api.requestlog.RequestLog`) keeps one
:class:`ServingActivity` up to date: Torznab requests in flight and when the last one ended.
Background work calls :func:`yield_to_requests` after each step — the title and detail stages
after persisting a batch (:class:`Pacer`) — with what the step cost: its time on the daemon's
loop plus the CPU time the plugin worker spent fetching and parsing since the last step. While
requests are being served (one in flight, or one ended within :data:`BUSY_WINDOW` seconds) it
pauses so that indexing takes at most ``share`` of that time (``indexing_share_while_serving``);
the pause ends early once nobody is asking, and with nobody asking indexing runs at full speed.
A pause slows the whole stage through its bounded queues (the fetch workers wait for room), so
the worker's parsing and the reading of its answers slow with it.

Measured (``bench/bench_busy_serving.py``): on two cores shared with the client, the worker's
parsing, even at ``nice`` 19, was what a closed-loop client's p99 felt; the loop's own steps of
indexing are bounded (at most a few titles' rows per step).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

BUSY_WINDOW = 1.0
"""Seconds after a request during which the daemon still counts as serving."""
MAX_PAUSE = 2.0
"""Longest pause after one step (a long step never stalls its stage for long)."""
PAUSE_SLICE = 0.1
"""A pause checks this often whether requests are still being served."""


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
    """Seconds to pause after a step that cost ``spent`` seconds (loop and worker CPU)."""
    if activity is None or share >= 1.0 or spent <= 0 or not activity.busy():
        return 0.0
    return min(MAX_PAUSE, spent * (1.0 - share) / share)


async def yield_to_requests(activity: ServingActivity | None, spent: float, share: float) -> float:
    """Pause as :func:`pause_for` says, less once nobody is asking; returns the pause taken."""
    pause = pause_for(activity, spent, share)
    began = time.monotonic()
    while activity is not None and (left := pause - (time.monotonic() - began)) > 0:
        if not activity.busy():
            break
        await asyncio.sleep(min(PAUSE_SLICE, left))
    return time.monotonic() - began if pause > 0 else 0.0


class Pacer:
    """Paces one stage's steps: after each, :func:`yield_to_requests` with what it cost — its
    time since :meth:`begin` (on the loop and in the writer) plus the CPU time ``worker_cpu``
    says the plugin worker spent since the last step (a restarted worker counts from 0)."""

    def __init__(
        self,
        activity: ServingActivity | None,
        share: float,
        worker_cpu: Callable[[], float] | None = None,
    ) -> None:
        self.activity, self.share, self._cpu = activity, share, worker_cpu
        self._mark = worker_cpu() if worker_cpu is not None else 0.0
        self._began = time.perf_counter()

    def begin(self) -> None:
        self._began = time.perf_counter()

    def spent(self) -> float:
        """The current step's cost so far (and the worker's CPU mark moved to now)."""
        spent = time.perf_counter() - self._began
        if self._cpu is not None:
            now = self._cpu()
            spent += max(0.0, now - self._mark)
            self._mark = now
        return spent

    async def step_done(self) -> float:
        """Pause for the step just done; returns the pause taken."""
        return await yield_to_requests(self.activity, self.spent(), self.share)
