"""Run a provider's sub-requests concurrently and fail like one call.

A detail crawl fans out (season pages, episode pages, title pages); the per-host limit lives in
:class:`~anibridge_like.providers.http.PoliteClient`, so fanning out is safe. :func:`gather_all`
runs the coroutines in a :class:`asyncio.TaskGroup` — the first failure cancels the siblings, so
a dead site does not leave orphaned requests running — and unwraps the resulting exception group
into the one :class:`~anibridge_like.plugins.errors.PluginError` a provider call may raise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeVar

from anibridge_like.plugins.errors import ErrorCode, PluginError

T = TypeVar("T")

# When several sub-requests fail at once, report the one the core should act on first: a layout
# change or a block outranks a transient error, which outranks a missing page.
_RANK = {
    ErrorCode.INVALID_DATA: 0,
    ErrorCode.BLOCKED: 1,
    ErrorCode.AUTH: 2,
    ErrorCode.RATE_LIMITED: 3,
    ErrorCode.TIMEOUT: 4,
    ErrorCode.UPSTREAM: 5,
    ErrorCode.PARTIAL: 6,
    ErrorCode.NOT_FOUND: 7,
    ErrorCode.NOT_CONFIGURED: 8,
}


def _plugin_errors(group: BaseExceptionGroup[BaseException]) -> list[PluginError]:
    found: list[PluginError] = []
    for exc in group.exceptions:
        if isinstance(exc, PluginError):
            found.append(exc)
        elif isinstance(exc, BaseExceptionGroup):
            found.extend(_plugin_errors(exc))
    return found


async def gather_all(coros: Iterable[Awaitable[T]]) -> list[T]:
    """Results of ``coros`` in order; the most significant :class:`PluginError` if any failed.

    Exceptions that are not :class:`PluginError` (bugs) propagate unchanged as the group.
    """
    tasks: list[asyncio.Task[T]] = []
    try:
        async with asyncio.TaskGroup() as group:
            for coro in coros:
                tasks.append(group.create_task(_as_coroutine(coro)))
    except BaseExceptionGroup as eg:
        errors = _plugin_errors(eg)
        if errors and len(errors) == _count_leaves(eg):
            raise min(errors, key=lambda e: _RANK[e.code]) from None
        raise
    return [task.result() for task in tasks]


def _count_leaves(group: BaseExceptionGroup[BaseException]) -> int:
    return sum(
        _count_leaves(exc) if isinstance(exc, BaseExceptionGroup) else 1 for exc in group.exceptions
    )


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable
