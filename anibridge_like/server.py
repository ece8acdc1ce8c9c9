"""The uvicorn server the daemon runs under.

uvicorn re-raises a captured SIGTERM/SIGINT after its graceful shutdown, so the process would end
"killed by SIGTERM" (exit status 143) even though everything drained. ``docker stop`` and
supervisors read that as a crash. :class:`DaemonServer` handles both signals as a request to
shut down: the lifespan unwinds (services stop, the writer drains) and the process exits 0.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import structlog
import uvicorn
from starlette.types import ASGIApp

log = structlog.get_logger(__name__)

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class DaemonServer(uvicorn.Server):
    """Serves a socket bound before start-up (:func:`anibridge_like.startup.bind_socket`), so a
    port in use is reported before anything runs; ``on_started`` runs once it accepts."""

    on_started: Callable[[], None] | None = None

    @classmethod
    def for_app(
        cls,
        app: ASGIApp,
        host: str,
        port: int,
        on_started: Callable[[], None] | None = None,
    ) -> DaemonServer:
        """The daemon's server: our structlog config, no uvicorn access log (the request log
        middleware logs requests), lifespan on."""
        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, access_log=False, lifespan="on"
        )
        server = cls(config)
        server.on_started = on_started
        return server

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and sockets:
            name = sockets[0].getsockname()
            log.info("server.listening", host=name[0], port=name[1])
        if self.started and self.on_started is not None:
            self.on_started()

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in _SIGNALS:
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in _SIGNALS:
                loop.remove_signal_handler(sig)


class QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the daemon's own server (demo sites)."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
