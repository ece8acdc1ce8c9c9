"""The one place where the pipeline applies :func:`~anibridge_like.plugins.errors.policy_for`.

Three decisions live here and nowhere else:

* **within a call** (:meth:`Retrier.call`): retry a plugin call while its code's policy is
  ``retryable`` and attempts remain — ``rate_limited`` waits the remote's ``retry_after`` (when it
  is longer than ``backoff_cap_seconds`` the call gives up at once, and the stage backs off until
  then instead of sleeping inside a run), ``upstream``/``timeout`` wait exponential backoff with
  jitter up to the cap; any non-``PluginError`` escaping a plugin is logged and treated as
  ``upstream`` (the plugin call boundary);
* **within a listing** (:meth:`Retrier.list_page`): ``partial`` keeps the items that came with
  the error and resumes from its cursor (the page is returned as a page that has more);
* **after a stage failed** (:func:`stage_failure`): the stage's status (``backing_off`` for
  transient codes, ``failed`` otherwise), the next attempt by backoff per consecutive failure up
  to ``stage_backoff_cap_hours`` (or the remote's ``retry_after`` when longer), or none when the
  policy forbids automatic retries; and per title (:func:`title_failure`): whether one title's
  failure is the title's own (counted, retried later) or stops the whole stage — at once for a
  site that refuses or throttles us, after ``TRANSIENT_STREAK_LIMIT`` transient failures in a row
  for a site that looks down.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import structlog

from anibridge_like.catalog.state import iso, now_iso
from anibridge_like.plugins.errors import ErrorCode, PluginError, policy_for
from anibridge_like.plugins.provider import Provider, TitlePage
from anibridge_like.settings import Settings

T = TypeVar("T")
log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[Any]]

# Codes after which the whole stage stops: the site refuses us or the instance is unusable.
_STAGE_STOPPING = frozenset(
    {ErrorCode.BLOCKED, ErrorCode.AUTH, ErrorCode.NOT_CONFIGURED, ErrorCode.RATE_LIMITED}
)


def as_plugin_error(exc: BaseException) -> PluginError:
    """``exc`` as the contract's error (anything else escaping a plugin counts as upstream)."""
    if isinstance(exc, PluginError):
        return exc
    return PluginError(ErrorCode.UPSTREAM, f"plugin raised {type(exc).__name__}: {exc}")


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: ``base * 2**attempt`` capped, scaled by U(0.5, 1]."""
    raw = min(cap, base * (2.0 ** max(0, attempt)))
    draw = rng.random() if rng is not None else random.random()
    return raw * (0.5 + 0.5 * draw)


@dataclass(slots=True)
class Retrier:
    """Applies the in-run retry policy to plugin calls (one per stage run)."""

    attempts: int
    base: float
    cap: float
    sleep: Sleep = asyncio.sleep
    rng: random.Random | None = None
    retries: int = 0
    """Retries performed so far (for progress and tests)."""
    waited: float = 0.0
    """Seconds spent waiting between attempts."""

    @classmethod
    def from_settings(cls, settings: Settings, *, sleep: Sleep = asyncio.sleep) -> Retrier:
        return cls(
            attempts=settings.retry_attempts,
            base=settings.backoff_base_seconds,
            cap=settings.backoff_cap_seconds,
            sleep=sleep,
        )

    def delay_for(self, error: PluginError, attempt: int) -> float | None:
        """Seconds to wait before retrying after ``error`` on ``attempt`` (0-based), or None."""
        policy = policy_for(error.code)
        retryable = policy.retryable or policy.retry_if_flagged
        if not error.retry or not retryable or attempt >= self.attempts:
            return None
        if policy.honour_retry_after and error.retry_after is not None:
            if error.retry_after > self.cap:
                return None  # too long to sleep inside a run: the stage backs off instead
            return max(0.0, error.retry_after)
        return backoff_delay(attempt, self.base, self.cap, self.rng)

    async def call(
        self, fn: Callable[[], Awaitable[T]], *, what: str, time_limit: float | None = None
    ) -> T:
        """Run ``fn`` (one plugin call) with retries; raises the last :class:`PluginError`.

        ``time_limit`` bounds each attempt; an attempt that exceeds it counts as ``timeout``.
        """
        attempt = 0
        while True:
            try:
                if time_limit is None:
                    return await fn()
                try:
                    async with asyncio.timeout(time_limit):
                        return await fn()
                except TimeoutError:
                    raise PluginError(
                        ErrorCode.TIMEOUT, f"{what} took longer than {time_limit:g} s"
                    ) from None
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the plugin call boundary
                error = as_plugin_error(exc)
                if error is not exc:
                    log.error("plugin.unexpected_exception", call=what, error=repr(exc))
                delay = self.delay_for(error, attempt)
                if delay is None:
                    raise error from (None if error is exc else exc)
                (log.warning if attempt == 0 else log.info)(
                    "plugin.retry",
                    call=what,
                    code=error.code.value,
                    attempt=attempt + 1,
                    delay=round(delay, 3),
                    error=error.message,
                )
                attempt += 1
                self.retries += 1
                self.waited += delay
                await self.sleep(delay)

    async def list_page(
        self, provider: Provider, cursor: str | None, *, time_limit: float | None = None
    ) -> TitlePage:
        """One listing page; a ``partial`` error becomes a page of its items that has more."""
        try:
            return await self.call(
                lambda: provider.list_titles(cursor), what="list_titles", time_limit=time_limit
            )
        except PluginError as error:
            policy = policy_for(error.code)
            if policy.keep_partial and error.cursor is not None and error.cursor != cursor:
                log.info(
                    "listing.partial_resume",
                    kept=len(error.items),
                    cursor=error.cursor,
                    message=error.message,
                )
                return TitlePage(items=list(error.items), next_cursor=error.cursor, has_more=True)
            raise


@dataclass(frozen=True, slots=True)
class StageFailure:
    """What a stage records after it failed."""

    status: str
    """``backing_off`` (transient, retried automatically) or ``failed``."""
    error: str
    code: ErrorCode
    next_attempt_at: datetime | None

    def columns(self) -> dict[str, Any]:
        """The ``stage_state`` columns a run that failed with this records."""
        return {
            "status": self.status,
            "finished_at": now_iso(),
            "next_attempt_at": iso(self.next_attempt_at),
            "attempts": "+1",
            "last_error": self.error,
        }


def stage_failure(
    error: PluginError,
    *,
    consecutive: int,
    settings: Settings,
    now: datetime,
    rng: random.Random | None = None,
) -> StageFailure:
    """Status and next attempt of a stage that failed ``consecutive`` times in a row (≥ 1)."""
    policy = policy_for(error.code)
    transient = policy.retryable and error.retry
    status = "backing_off" if transient else "failed"
    next_at: datetime | None = None
    if policy.automatic_retry:
        cap = settings.stage_backoff_cap_hours * 3600.0
        delay = backoff_delay(consecutive - 1, policy.stage_backoff_seconds, cap, rng)
        if policy.honour_retry_after and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        next_at = now + timedelta(seconds=delay)
    return StageFailure(status, f"{error.code.value}: {error.message}", error.code, next_at)


TRANSIENT_STREAK_LIMIT = 12
"""Titles failing in a row with transient errors after which the site counts as down."""


def is_transient(error: PluginError) -> bool:
    """A transient error (upstream, timeout, partial): many in a row mean the site is down."""
    return error.code in (ErrorCode.UPSTREAM, ErrorCode.TIMEOUT, ErrorCode.PARTIAL)


def stops_stage(error: PluginError, *, pause_cap: float | None = None) -> bool:
    """Whether one title's error stops the whole stage (the site refuses us, or throttles).

    With ``pause_cap`` (the longest wait a run sits out), ``rate_limited`` stops the stage only
    when the site asked for a longer pause than that; a shorter one pauses the host (the
    provider's HTTP client holds every request to it) and fails at most this title.
    """
    if error.code is ErrorCode.RATE_LIMITED and pause_cap is not None:
        return error.retry_after is not None and error.retry_after > pause_cap
    return error.code in _STAGE_STOPPING


def title_retry_at(
    error: PluginError,
    *,
    failures: int,
    settings: Settings,
    now: datetime,
    rng: random.Random | None = None,
) -> datetime:
    """When a title whose fetch failed ``failures`` times in a row is tried again."""
    cap = settings.stage_backoff_cap_hours * 3600.0
    if error.code is ErrorCode.NOT_FOUND:
        delay = policy_for(error.code).stage_backoff_seconds
    else:
        delay = backoff_delay(failures - 1, settings.title_retry_base_seconds, cap, rng)
        if error.code is ErrorCode.RATE_LIMITED and error.retry_after is not None:
            delay = max(delay, error.retry_after)
    return now + timedelta(seconds=delay)
