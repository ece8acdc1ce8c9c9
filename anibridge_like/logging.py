"""structlog configuration: JSON lines off a terminal, readable lines on one.

Event names follow one convention: ``area.what_happened`` in lower snake case, dot-separated
(``seed.reconciled``, ``http.request``, ``catalog.run_started``); a test checks every literal
event in the package.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from typing import Literal

import structlog

from anibridge_like.redaction import redact_event

QUIET: contextvars.ContextVar[bool] = contextvars.ContextVar("anibridge_quiet", default=False)
"""Set in the context of in-process helper servers (the demo's fake sites): their uvicorn
lines are dropped, so the daemon's log holds the daemon's events only."""


class _QuietFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (QUIET.get() and record.name.startswith("uvicorn"))


_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def configure_logging(
    level: str = "info",
    fmt: Literal["auto", "json", "console"] = "auto",
    *,
    sql_debug: bool = False,
) -> None:
    """Configure structlog (and route stdlib logging, e.g. uvicorn's, through it).

    Every event passes :func:`~anibridge_like.redaction.redact_event` last before rendering (no
    credential reaches a log line). aiosqlite logs each statement with its parameters at debug:
    its logger stays at warning unless ``sql_debug`` (``ANIBRIDGE_LOG_SQL``) asks for it."""
    use_console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    # tracebacks are formatted before redaction so their text is redacted too
    shared.append(structlog.processors.format_exc_info)
    renderer: structlog.types.Processor
    if use_console:
        renderer = structlog.dev.ConsoleRenderer(colors=True)
    else:
        renderer = structlog.processors.JSONRenderer()
    shared.append(redact_event)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_QuietFilter())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_LEVELS[level])
    # uvicorn's access log is costly and redundant: requests are logged by our middleware
    # (anibridge_like.api.requestlog), one structlog line each.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.DEBUG if sql_debug else logging.WARNING)
