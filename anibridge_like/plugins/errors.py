"""The one error type plugins may raise, and the core's policy for each of its codes.

Tree::

    Exception
     └── PluginError(code, message, retry, retry_after, items, cursor)
           code ∈ ErrorCode: rate_limited | upstream | timeout | invalid_data | not_found
                             | blocked | auth | partial | not_configured | storage

Plugins raise nothing else: any other exception escaping a plugin call is a bug in the plugin
and the core's call boundary converts it to ``upstream`` after logging it.

What the core does with each code is decided **here and only here** (:func:`policy_for`):

==============  =================================================================================
code            core behaviour
==============  =================================================================================
rate_limited    wait ``retry_after`` seconds (or the backoff delay when absent), then retry;
                a pause, not counted as a failure of the instance
upstream        retry with exponential backoff + jitter up to the cap; then back the stage off
timeout         same as ``upstream``
partial         keep ``items`` that came with the error and resume from ``cursor``
invalid_data    the page parsed but not as expected: fail the stage, keep the error, back off;
                a page cut off in transit (``retry`` set) is retried within the run first
blocked         the site refuses us (captcha, geo-block): fail the stage, back off long
auth            credentials rejected: fail the stage, no quick retry (needs the user); the
                instance is disconnected
not_found       the item is gone: mark it (per-title) and do not retry soon
not_configured  the instance lacks required configuration: report it, never retry automatically
storage         (core only) our database could not be written: fail the stage, try again soon
==============  =================================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from anibridge_like.redaction import redact_text


class ErrorCode(StrEnum):
    RATE_LIMITED = "rate_limited"
    UPSTREAM = "upstream"
    TIMEOUT = "timeout"
    INVALID_DATA = "invalid_data"
    NOT_FOUND = "not_found"
    BLOCKED = "blocked"
    AUTH = "auth"
    PARTIAL = "partial"
    NOT_CONFIGURED = "not_configured"
    STORAGE = "storage"
    """Not raised by plugins: the core's own database could not be written (disk full,
    read-only, I/O — :mod:`anibridge_like.storage.faults`)."""


class PluginError(Exception):
    """The only exception a plugin raises.

    ``retry`` says whether repeating the same call may succeed; ``retry_after`` is the delay
    the remote asked for (seconds). For ``partial``, ``items`` holds what was gathered before
    the failure and ``cursor`` where to resume.
    """

    def __init__(
        self,
        code: ErrorCode | str,
        message: str,
        *,
        retry: bool | None = None,
        retry_after: float | None = None,
        items: Sequence[Any] = (),
        cursor: str | None = None,
    ) -> None:
        self.code = ErrorCode(code)
        self.message = redact_text(message)  # it is logged and stored: no credentials
        self.retry = policy_for(self.code).retryable if retry is None else retry
        self.retry_after = retry_after
        self.items = list(items)
        self.cursor = cursor
        super().__init__(f"{self.code.value}: {self.message}")

    def __reduce__(self) -> tuple[Any, ...]:  # keep picklable across processes
        return (
            _rebuild,
            (self.code.value, self.message, self.retry, self.retry_after, self.items, self.cursor),
        )


def _rebuild(
    code: str,
    message: str,
    retry: bool,
    retry_after: float | None,
    items: list[Any],
    cursor: str | None,
) -> PluginError:
    return PluginError(
        code, message, retry=retry, retry_after=retry_after, items=items, cursor=cursor
    )


@dataclass(frozen=True, slots=True)
class Policy:
    """What the core does with an error code."""

    retryable: bool
    """Retry the same call within the current run (after a delay)."""
    honour_retry_after: bool
    """Use the error's ``retry_after`` as the delay when it carries one."""
    keep_partial: bool
    """Keep the error's ``items`` and resume from its ``cursor``."""
    fails_stage: bool
    """When retries are exhausted (or none allowed) the stage is marked failed."""
    stage_backoff_seconds: float
    """Base delay before the next attempt of a failed stage (doubles per consecutive failure)."""
    automatic_retry: bool = True
    """Whether the scheduler retries the stage by itself at all."""
    retry_if_flagged: bool = False
    """Retry within the run after all when the error itself says the next call may differ
    (``retry`` set: a page cut off in transit is ``invalid_data`` that a refetch may fix)."""
    counts_as_failure: bool = True
    """Whether it counts towards the instance's consecutive failures (a pause does not)."""
    disconnects: bool = False
    """The instance is disconnected until its configuration changes or a user runs it."""


_POLICIES: dict[ErrorCode, Policy] = {
    ErrorCode.RATE_LIMITED: Policy(True, True, False, True, 300.0, counts_as_failure=False),
    ErrorCode.UPSTREAM: Policy(True, True, False, True, 300.0),
    ErrorCode.TIMEOUT: Policy(True, False, False, True, 300.0),
    ErrorCode.PARTIAL: Policy(True, True, True, True, 300.0),
    ErrorCode.INVALID_DATA: Policy(False, False, False, True, 1800.0, retry_if_flagged=True),
    ErrorCode.BLOCKED: Policy(False, False, False, True, 3600.0),
    ErrorCode.AUTH: Policy(False, False, False, True, 6 * 3600.0, disconnects=True),
    ErrorCode.NOT_FOUND: Policy(False, False, False, False, 24 * 3600.0),
    ErrorCode.NOT_CONFIGURED: Policy(False, False, False, True, 0.0, automatic_retry=False),
    ErrorCode.STORAGE: Policy(False, False, False, True, 60.0),
}


def policy_for(code: ErrorCode | str) -> Policy:
    """The core's behaviour for ``code`` (the single table every caller consults)."""
    return _POLICIES[ErrorCode(code)]
