"""A bounded channel between two pipeline tasks whose end-of-stream can never be lost.

``asyncio.Queue`` carries items only: an end marker put on a full queue either waits (and
deadlocks when the consumer is gone) or, with ``put_nowait``, raises ``QueueFull`` — the peer
project lost a whole 10,000-title listing to exactly that. Here the end of the stream is *state*,
not an item: :meth:`Channel.close` and :meth:`Channel.abort` are synchronous, never wait for room
and always reach the consumer, whatever the queue's fill level.

* ``put`` waits while the channel is full (backpressure) and raises :class:`ChannelClosedError`
  once the channel is closed or aborted (a producer whose consumer is gone stops instead of
  hanging).
* ``get`` / ``get_batch`` return items in order; after :meth:`close` the consumer still receives
  every buffered item and then :class:`EndOfStream`. After :meth:`abort` the consumer receives the
  abort's exception at once (buffered items are dropped: the run is being cancelled).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

T = TypeVar("T")


class EndOfStream(Exception):
    """Raised by ``get`` once a closed channel is drained."""


class ChannelClosedError(RuntimeError):
    """Raised by ``put`` on a closed or aborted channel."""


class Channel(Generic[T]):
    """Bounded FIFO with an out-of-band close/abort (see the module docstring)."""

    def __init__(self, maxsize: int, *, name: str = "") -> None:
        if maxsize < 1:
            raise ValueError("channel size must be at least 1")
        self.maxsize = maxsize
        self.name = name
        self._items: deque[T] = deque()
        self._closed = False
        self._error: BaseException | None = None
        self._not_empty = asyncio.Event()
        self._not_full = asyncio.Event()
        self._not_full.set()
        self.put_count = 0
        self.get_count = 0
        self.full_waits = 0
        """How often a producer had to wait for room (backpressure events)."""

    # ---- state ---------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        return self._closed

    def peek(self) -> T | None:
        """The next item without taking it (None when nothing is buffered)."""
        return self._items[0] if self._items else None

    def close(self) -> None:
        """End of stream: the consumer drains what is buffered, then sees :class:`EndOfStream`.

        Synchronous and idempotent; never waits for room and never drops the signal.
        """
        self._closed = True
        self._not_empty.set()
        self._not_full.set()

    def abort(self, error: BaseException) -> None:
        """Cancel the stream: both sides see ``error`` at their next call (items are dropped)."""
        if self._error is None:
            self._error = error
        self._items.clear()
        self.close()

    # ---- producer ------------------------------------------------------------------------
    async def put(self, item: T) -> None:
        """Append ``item``, waiting while the channel is full."""
        while True:
            if self._closed:
                raise ChannelClosedError(f"channel {self.name or id(self)} is closed")
            if len(self._items) < self.maxsize:
                break
            self.full_waits += 1
            self._not_full.clear()
            await self._not_full.wait()
        self._items.append(item)
        self.put_count += 1
        self._not_empty.set()

    # ---- consumer ------------------------------------------------------------------------
    async def _wait_item(self) -> None:
        while not self._items:
            if self._error is not None:
                raise self._error
            if self._closed:
                raise EndOfStream(self.name)
            self._not_empty.clear()
            await self._not_empty.wait()
        if self._error is not None:
            raise self._error

    def _taken(self, n: int) -> None:
        self.get_count += n
        if not self._items:
            self._not_empty.clear()
        self._not_full.set()

    async def get(self) -> T:
        """The next item; :class:`EndOfStream` once closed and drained."""
        await self._wait_item()
        item = self._items.popleft()
        self._taken(1)
        return item

    async def get_batch(self, limit: int) -> list[T]:
        """Wait for at least one item, then take up to ``limit`` of those already buffered."""
        await self._wait_item()
        batch: list[T] = []
        while self._items and len(batch) < limit:
            batch.append(self._items.popleft())
        self._taken(len(batch))
        return batch

    async def __aiter__(self) -> AsyncIterator[T]:
        while True:
            try:
                item = await self.get()
            except EndOfStream:
                return
            yield item
