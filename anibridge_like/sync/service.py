"""Run ownership for wanted syncs and recommendation refreshes started from the API: one task per
(what, library, instance), never two at once, all cancelled and awaited when the app stops.

Scheduling (cron) belongs to the jobs runner; this service only owns runs started now, so that
``POST …/refresh`` can answer at once and say which instances were already running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from anibridge_like.context import AppContext

log = structlog.get_logger(__name__)

Key = tuple[str, str, str]
"""(``sync`` | ``recommendations``, library slug, instance name)."""


@dataclass
class WantedService:
    ctx: AppContext
    tasks: dict[Key, asyncio.Task[Any]] = field(default_factory=dict)
    last: dict[Key, Any] = field(default_factory=dict)
    """The result of each key's last finished run."""

    def running(self, key: Key) -> bool:
        task = self.tasks.get(key)
        return task is not None and not task.done()

    def start(self, key: Key, run: Callable[[], Awaitable[Any]]) -> bool:
        """Start ``run`` under ``key`` unless one is running; whether it started."""
        if self.running(key):
            return False

        async def owned() -> Any:
            try:
                result = await run()
            except Exception as exc:  # the job boundary: log, keep the service alive
                log.error("wanted.run_failed", what=key[0], library=key[1], plugin=key[2],
                          error=repr(exc))  # fmt: skip
                raise
            self.last[key] = result
            return result

        self.tasks[key] = asyncio.create_task(owned(), name=f"{key[0]}:{key[1]}:{key[2]}")
        return True

    async def wait(self) -> None:
        """Wait for every run started so far (tests, shutdown)."""
        pending = [t for t in self.tasks.values() if not t.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def __aenter__(self) -> WantedService:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        self.tasks.clear()


def service_of(ctx: AppContext) -> WantedService:
    """The app's service (the lifespan of :func:`anibridge_like.app.create_app` owns it)."""
    service = ctx.services["wanted"]
    assert isinstance(service, WantedService)
    return service
