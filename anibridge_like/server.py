"""The uvicorn server the daemon runs under.

uvicorn re-raises a captured SIGTERM/SIGINT after its graceful shutdown, so the process would end
"killed by SIGTERM" (exit status 143) even though everything drained. ``docker stop`` and
supervisors read that as a crash. :class:`DaemonServer` handles both signals as a request to
shut down: the lifespan unwinds (services stop, the writer drains) and the process exits 0.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class DaemonServer(uvicorn.Server):
    @classmethod
    def for_app(cls, app: ASGIApp, host: str, port: int) -> DaemonServer:
        """The daemon's server: our structlog config, no access log (requests are logged by
        the routes at debug), lifespan on."""
        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, access_log=False, lifespan="on"
        )
        return cls(config)

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
