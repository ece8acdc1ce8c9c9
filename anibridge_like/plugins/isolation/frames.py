"""Length-prefixed pickle frames over a pipe between the daemon and its plugin worker.

A frame is a 4-byte big-endian length and a pickled tuple whose first item names the message.
Both ends are this package's own code (the child is started by the daemon from the same
installation), so pickle carries the contract's dataclasses and :class:`PluginError` unchanged.
Frames at or above :data:`THREAD_UNPICKLE_BYTES` are unpickled on a worker thread so a large
listing never blocks the event loop for its whole decode.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from typing import Any

_HEADER = struct.Struct(">I")
MAX_FRAME = 1 << 31
"""Largest frame (2 GiB): a 100,000-title listing is about 10 MB."""
THREAD_UNPICKLE_BYTES = 256 * 1024


class FrameError(Exception):
    """The other end sent something that is not a frame (or the pipe broke mid-frame)."""


def encode(message: tuple[Any, ...]) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    if len(body) >= MAX_FRAME:
        raise FrameError(f"frame of {len(body)} bytes is too large")
    return _HEADER.pack(len(body)) + body


async def read_frame(reader: asyncio.StreamReader) -> tuple[Any, ...] | None:
    """The next message, or ``None`` at a clean end of the stream."""
    try:
        header = await reader.readexactly(_HEADER.size)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise FrameError("stream ended inside a frame header") from None
    (size,) = _HEADER.unpack(header)
    try:
        body = await reader.readexactly(size)
    except asyncio.IncompleteReadError:
        raise FrameError(f"stream ended inside a frame of {size} bytes") from None
    message: Any
    if size >= THREAD_UNPICKLE_BYTES:
        message = await asyncio.to_thread(pickle.loads, body)
    else:
        message = pickle.loads(body)
    if not isinstance(message, tuple) or not message or not isinstance(message[0], str):
        raise FrameError("frame does not hold a message tuple")
    return message
