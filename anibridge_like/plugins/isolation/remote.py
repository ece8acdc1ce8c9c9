"""The daemon's side of plugin isolation: the worker process handle and the plugin proxies.

:class:`PluginWorker` starts the child (:mod:`.worker`) on the first call, keeps one reader task
that resolves each call's future from the answers, and restarts the child on the next call after
it died — every call that was waiting then fails as ``upstream`` (retryable), so the stages'
retry policy (:mod:`anibridge_like.catalog.retry`) handles a crashed worker like a flaky site.
Cancelling a call (a stage's time limit, a stopping job) cancels it in the child too.

:func:`remote_plugin` wraps a plugin built in the daemon (used for its attributes: ``site``,
``capabilities``) in a proxy whose contract methods run in the worker. A plugin class the worker
cannot import by name (one defined inside a function), or one that declares ``in_process = True``
(a class attribute: its state is shared with the daemon, as test doubles' is), stays in the
daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import sys
from collections.abc import Mapping
from typing import Any

import structlog

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.isolation.frames import FrameError, encode, read_frame
from anibridge_like.plugins.registry import load_target

log = structlog.get_logger(__name__)

START_TIMEOUT = 30.0
"""Seconds the child may take to import and answer ``hello``."""
STOP_TIMEOUT = 5.0
"""Seconds the child may take to exit after its stdin closed, before it is killed."""


class RemoteCrash(Exception):
    """A plugin running in the worker raised something other than :class:`PluginError`."""

    def __init__(self, type_name: str, message: str) -> None:
        self.type_name = type_name
        super().__init__(f"{type_name}: {message}")


def import_target(cls: type) -> str | None:
    """``module:qualname`` of ``cls`` when importing that name gives ``cls`` back, else None."""
    if "<locals>" in cls.__qualname__:
        return None
    target = f"{cls.__module__}:{cls.__qualname__}"
    try:
        return target if load_target(target) is cls else None
    except (ImportError, AttributeError):
        return None


def process_cpu_seconds(pid: int, tid: int | None = None) -> float:
    """User + system CPU seconds of process ``pid`` (of its thread ``tid``, when given) from
    Linux ``/proc``; 0.0 where unreadable."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    try:
        with open(path) as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


class PluginWorker:
    """One plugin worker process (started lazily, restarted after it died)."""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options = dict(options or {})
        self._process: asyncio.subprocess.Process | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._built: set[str] = set()
        self._ids = itertools.count(1)
        self._start_lock = asyncio.Lock()
        self._closed = False
        self.starts = 0
        """Processes started so far (1 unless the worker died and was restarted)."""
        self.pid: int | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def cpu_seconds(self) -> float:
        """CPU seconds the current worker process has used (user + system, from ``/proc``);
        0.0 when none runs or the system cannot tell. A restarted worker counts from 0."""
        if self.pid is None or not self.running:
            return 0.0
        return process_cpu_seconds(self.pid)

    async def _ensure(self) -> asyncio.subprocess.Process:
        async with self._start_lock:
            if self._closed:
                raise PluginError(ErrorCode.UPSTREAM, "the plugin worker is shutting down")
            if self.running:
                assert self._process is not None
                return self._process
            return await self._start()

    async def _start(self) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "anibridge_like.plugins.isolation.worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**20,
        )
        assert process.stdin is not None and process.stdout is not None
        self._built = set()
        process.stdin.write(encode(("hello", self.options)))
        try:
            async with asyncio.timeout(START_TIMEOUT):
                await process.stdin.drain()
                ready = await read_frame(process.stdout)
        except (TimeoutError, FrameError, ConnectionError) as exc:
            process.kill()
            await process.wait()
            raise PluginError(
                ErrorCode.UPSTREAM, f"the plugin worker did not start: {exc!r}"
            ) from None
        if ready is None or ready[0] != "ready":
            await process.wait()
            raise PluginError(
                ErrorCode.UPSTREAM,
                f"the plugin worker did not start (exit code {process.returncode})",
            )
        self._process = process
        self.pid = int(ready[1])
        self.starts += 1
        self._reader_task = asyncio.create_task(self._read(process), name="plugin-worker-reader")
        log.info("plugin_worker.started", pid=self.pid, starts=self.starts)
        return process

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        reason = "its pipe closed"
        try:
            while (message := await read_frame(process.stdout)) is not None:
                self._answer(message)
        except FrameError as exc:
            reason = str(exc)
        except Exception as exc:  # an answer that cannot be unpickled: treat the worker as lost
            reason = f"unreadable answer: {exc!r}"
        code = await process.wait() if process.returncode is None else process.returncode
        if not self._closed:
            log.error("plugin_worker.exited", pid=process.pid, code=code, reason=reason)
        lost = PluginError(
            ErrorCode.UPSTREAM, f"the plugin worker exited (code {code}: {reason})", retry=True
        )
        for future in self._pending.values():
            if not future.done():
                future.set_exception(lost)
        self._pending.clear()
        if self._process is process:
            self._process = None

    def _answer(self, message: tuple[Any, ...]) -> None:
        kind, call_id = message[0], message[1]
        future = self._pending.pop(call_id, None)
        if future is None or future.done():
            return  # cancelled meanwhile
        if kind == "ok":
            future.set_result(message[2])
        elif kind == "err":
            future.set_exception(message[2])
        elif kind == "crash":
            future.set_exception(RemoteCrash(message[2], message[3]))
        else:
            future.set_exception(PluginError(ErrorCode.UPSTREAM, f"unknown answer {kind!r}"))

    async def call(
        self,
        key: str,
        target: str,
        config: Mapping[str, Any],
        method: str,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
    ) -> Any:
        """``method(*args, **kwargs)`` on the plugin ``key`` (built from ``target`` and
        ``config`` in the worker on first use)."""
        process = await self._ensure()
        assert process.stdin is not None
        call_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = future
        context = {
            k: v
            for k, v in structlog.contextvars.get_contextvars().items()
            if isinstance(v, str | int | float | bool) or v is None
        }
        if key not in self._built:
            process.stdin.write(encode(("build", key, target, dict(config))))
            self._built.add(key)
        process.stdin.write(
            encode(("call", call_id, key, method, tuple(args), dict(kwargs), context))
        )
        try:
            await process.stdin.drain()
            return await future
        except asyncio.CancelledError:
            self._pending.pop(call_id, None)
            if self.running:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    process.stdin.write(encode(("cancel", call_id)))
            raise
        except ConnectionError as exc:
            self._pending.pop(call_id, None)
            raise PluginError(
                ErrorCode.UPSTREAM, f"the plugin worker is gone: {exc!r}", retry=True
            ) from None

    async def aclose(self) -> None:
        """Stop the child: close its stdin, wait for it to exit (kill it after
        :data:`STOP_TIMEOUT`)."""
        self._closed = True
        process = self._process
        if process is not None and process.returncode is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                async with asyncio.timeout(STOP_TIMEOUT):
                    await process.wait()
            except TimeoutError:
                log.warning("plugin_worker.killed", pid=process.pid)
                process.kill()
                await process.wait()
        if self._reader_task is not None:
            await asyncio.gather(self._reader_task, return_exceptions=True)
        self._process = None


def worker_options(settings: Any) -> dict[str, Any]:
    """The worker's ``hello`` options from the daemon's settings: the same log level and
    format (``auto`` decided here, where the terminal is known) and HTTP client defaults."""
    fmt = settings.log_format
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    return {
        "log_level": settings.log_level,
        "log_format": fmt,
        "http_timeout": settings.http_timeout,
        "user_agent": settings.http_user_agent,
        "nice": settings.plugin_worker_nice,
    }


def config_key(name: str, target: str, config: Mapping[str, Any]) -> str:
    """The worker-side key of a built plugin: a change of config builds a new copy. The config
    enters as a digest only (the key shows in error messages; configs hold credentials)."""
    body = json.dumps([target, config], sort_keys=True, default=str).encode()
    return f"{name}#{hashlib.sha256(body).hexdigest()[:16]}"


def _remote_method(method: str) -> Any:
    async def forward(self: RemotePlugin, *args: Any, **kwargs: Any) -> Any:
        return await self._worker.call(self._key, self._target, self._config, method, args, kwargs)

    forward.__name__ = method
    return forward


class RemotePlugin:
    """Base of the proxies; attributes other than the remote methods come from the local copy."""

    _worker: PluginWorker
    _key: str
    _target: str
    _config: dict[str, Any]
    _local: Any

    def __getattr__(self, name: str) -> Any:
        return getattr(self._local, name)


_PROXY_CLASSES: dict[tuple[type, tuple[str, ...]], type[RemotePlugin]] = {}


def remote_plugin(
    worker: PluginWorker,
    name: str,
    local: Any,
    config: Mapping[str, Any],
    methods: tuple[str, ...],
) -> Any:
    """A proxy of ``local`` (instance ``name``, built from the resolved ``config``) whose
    ``methods`` run in ``worker``; ``local`` itself when its class cannot be imported by name."""
    impl = type(local)
    target = import_target(impl)
    methods = tuple(m for m in methods if callable(getattr(impl, m, None)))
    if target is None or not methods or getattr(impl, "in_process", False):
        return local
    key = (impl, methods)
    proxy_class = _PROXY_CLASSES.get(key)
    if proxy_class is None:
        namespace: dict[str, Any] = {m: _remote_method(m) for m in methods}
        namespace["capabilities"] = getattr(impl, "capabilities", None)
        namespace["config_model"] = getattr(impl, "config_model", None)
        proxy_class = type(f"Remote{impl.__name__}", (RemotePlugin,), namespace)
        _PROXY_CLASSES[key] = proxy_class
    proxy = object.__new__(proxy_class)
    proxy._worker = worker
    proxy._target = target
    proxy._config = dict(config)
    proxy._key = config_key(name, target, proxy._config)
    proxy._local = local
    return proxy
