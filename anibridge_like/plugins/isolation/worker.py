"""The plugin worker process: builds plugins from their validated configs and answers calls.

Started by :class:`~anibridge_like.plugins.isolation.remote.PluginWorker` as
``python -m anibridge_like.plugins.isolation.worker``; it speaks :mod:`.frames` on its stdin
and on a private copy of its stdout (file descriptor 1 itself is pointed at stderr, so a stray
write by a library can never corrupt the protocol). Logs are structlog events on stderr,
configured like the daemon's (level, format, credential redaction).

Messages from the daemon:

* ``("hello", options)`` — logging and HTTP client options and the process's ``nice``
  increment; answered ``("ready", pid)``;
* ``("build", key, target, config)`` — import ``target`` (``module:qualname``), validate
  ``config`` with its ``config_model`` and construct it with the worker's shared HTTP client;
* ``("call", call_id, key, method, args, kwargs, context)`` — await the method in its own task,
  with ``context`` (plugin, library, job, stage …) bound to its log events; answered
  ``("ok", call_id, value)``, ``("err", call_id, PluginError)`` or, for anything else a plugin
  lets escape, ``("crash", call_id, type_name, message)``;
* ``("cancel", call_id)`` — cancel that call's task (no answer).

The process exits when its stdin closes — the daemon stopped or was killed — after cancelling
what is still running. It ignores SIGINT (a terminal's Ctrl-C reaches the whole process group;
the daemon decides when its worker stops).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from typing import Any

import httpx
import structlog

from anibridge_like.logging import configure_logging
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.instances import validated_config
from anibridge_like.plugins.isolation.frames import encode, read_frame
from anibridge_like.plugins.registry import load_target
from anibridge_like.redaction import register_config_secrets

log = structlog.get_logger(__name__)


class WorkerLoop:
    """The worker's state: built plugins by key, running calls by id."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.plugins: dict[str, Any] = {}
        self.broken: dict[str, str] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.http: httpx.AsyncClient | None = None

    def send(self, message: tuple[Any, ...]) -> None:
        try:
            frame = encode(message)
        except Exception as exc:  # an answer that cannot be pickled is the plugin's bug
            call_id = message[1]
            frame = encode(("crash", call_id, type(exc).__name__, f"unpicklable answer: {exc}"))
        self.writer.write(frame)

    def hello(self, options: dict[str, Any]) -> None:
        niceness = int(options.get("nice", 0))
        if niceness > 0:  # background work: the kernel serves the daemon's requests first
            os.nice(niceness)
        configure_logging(
            options.get("log_level", "info"),
            options.get("log_format", "json"),
            sql_debug=False,
        )
        self.http = httpx.AsyncClient(
            timeout=options.get("http_timeout", 30.0),
            headers={"User-Agent": options.get("user_agent", "anibridge-like")},
            follow_redirects=False,
        )
        self.send(("ready", os.getpid()))

    def build(self, key: str, target: str, config: dict[str, Any]) -> None:
        assert self.http is not None, "build before hello"
        register_config_secrets(config)
        try:
            impl = load_target(target)
            self.plugins[key] = impl(validated_config(impl, config), self.http)
            self.broken.pop(key, None)
        except Exception as exc:  # reported on every call of the key
            self.broken[key] = f"cannot build {target}: {type(exc).__name__}: {exc}"
            log.error("plugin_worker.build_failed", target=target, error=self.broken[key])

    def call(
        self,
        call_id: int,
        key: str,
        method: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        context: dict[str, Any],
    ) -> None:
        task = asyncio.create_task(self._run(call_id, key, method, args, kwargs, context))
        self.tasks[call_id] = task
        task.add_done_callback(lambda _t: self.tasks.pop(call_id, None))

    async def _run(
        self,
        call_id: int,
        key: str,
        method: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        context: dict[str, Any],
    ) -> None:
        with structlog.contextvars.bound_contextvars(**context):
            plugin = self.plugins.get(key)
            if plugin is None:
                why = self.broken.get(key, f"plugin {key!r} was never built in the worker")
                self.send(("err", call_id, PluginError(ErrorCode.NOT_CONFIGURED, why)))
                return
            try:
                value = await getattr(plugin, method)(*args, **kwargs)
            except asyncio.CancelledError:
                return  # the daemon cancelled it and expects no answer
            except PluginError as error:
                self.send(("err", call_id, error))
            except Exception as exc:  # the daemon's call boundary logs and classifies it
                log.exception("plugin_worker.call_crashed", method=method, error=repr(exc))
                self.send(("crash", call_id, type(exc).__name__, str(exc)))
            else:
                self.send(("ok", call_id, value))
            with contextlib.suppress(ConnectionError):  # the daemon is gone: stdin ends next
                await self.writer.drain()

    def cancel(self, call_id: int) -> None:
        task = self.tasks.get(call_id)
        if task is not None:
            task.cancel()

    async def close(self) -> None:
        for task in list(self.tasks.values()):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        if self.http is not None:
            await self.http.aclose()


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer messages until the daemon closes the pipe."""
    state = WorkerLoop(writer)
    try:
        while (message := await read_frame(reader)) is not None:
            kind = message[0]
            if kind == "hello":
                state.hello(message[1])
            elif kind == "build":
                state.build(message[1], message[2], message[3])
            elif kind == "call":
                state.call(*message[1:7])
            elif kind == "cancel":
                state.cancel(message[1])
            else:
                log.error("plugin_worker.unknown_message", message=kind)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
    finally:
        await state.close()


async def _main() -> None:
    loop = asyncio.get_running_loop()
    out_fd = os.dup(1)
    os.dup2(2, 1)  # stray prints go to stderr; the protocol has its own descriptor
    reader = asyncio.StreamReader(limit=2**20)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(0, "rb", buffering=0)
    )
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(out_fd, "wb", buffering=0)
    )
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    await serve(reader, writer)
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_main())
    return 0


if __name__ == "__main__":
    sys.exit(main())
