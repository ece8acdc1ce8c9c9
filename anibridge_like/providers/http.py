"""Polite HTTP for provider plugins: one config base model and one client wrapper.

Every HTML provider subclasses :class:`HttpProviderConfig` for its ``config_model`` and talks to
its site only through a :class:`PoliteClient`, which

* caps concurrent requests per host (``max_concurrency``, an :class:`asyncio.Semaphore` per host),
* applies the instance's request ``timeout``,
* retries idempotent GETs (``retries`` times) with exponential backoff + full jitter, honouring
  ``Retry-After`` when the site sends one (up to ``backoff_cap``; a longer wait is handed to the
  core as ``rate_limited`` with ``retry_after``),
* follows redirects only within the configured host, and
* maps every failure to :class:`~anibridge_like.plugins.errors.PluginError`:

=============================================  ==================
what happened                                  code
=============================================  ==================
429                                            ``rate_limited`` (``retry_after`` from the header)
5xx, connection/protocol errors                ``upstream``
request/read timeout                           ``timeout``
404, 410                                       ``not_found``
401                                            ``auth``
403, Cloudflare challenge, foreign redirect    ``blocked``
any other non-2xx                              ``upstream`` (not retried)
=============================================  ==================

A challenge page served with 200 is recognised by the parsers through :func:`challenge_marker`.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, Field, field_validator

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.redaction import redact_url

log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]

_MAX_REDIRECTS = 5
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class HttpProviderConfig(BaseModel):
    """Instance configuration shared by every HTTP provider (subclass it per provider)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(description="Site root, e.g. https://aniworld.to (no trailing path).")
    site: str | None = Field(
        None, description="Catalog site key; defaults to the provider's capabilities.site."
    )
    max_concurrency: int = Field(4, ge=1, le=64, description="Concurrent requests per host.")
    timeout: float = Field(20.0, gt=0, description="Timeout of one request, in seconds.")
    retries: int = Field(3, ge=0, le=10, description="Retries of a failed idempotent GET.")
    backoff_base: float = Field(1.0, ge=0, description="First backoff delay, in seconds.")
    backoff_cap: float = Field(
        60.0,
        ge=0,
        description="Longest wait between retries (also the longest Retry-After "
        "honoured inline; a longer one is returned to the core as rate_limited).",
    )
    user_agent: str | None = Field(
        None, description="User-Agent header; the shared client's default when unset."
    )

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        url = httpx.URL(value)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {value!r}")
        return value.rstrip("/")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds, fractional allowed, or HTTP-date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds)


_CHALLENGE_MARKERS = (
    "<title>just a moment...</title>",
    "cf-turnstile",
    "challenge-platform",
    "g-recaptcha",
    "h-captcha",
    "captcha-container",
)


def challenge_marker(html: str) -> str | None:
    """The captcha/challenge marker in the head of a page, if any.

    Parsers call this only when a required part is missing, to report ``blocked`` instead of
    ``invalid_data`` for a challenge page served with status 200 (a marker on a normal page,
    such as a login form's captcha, never turns a good page into an error).
    """
    head = html[:8192].lower()
    return next((m for m in _CHALLENGE_MARKERS if m in head), None)


def _is_challenge(response: httpx.Response) -> bool:
    value: str = response.headers.get("cf-mitigated", "")
    return value.lower() == "challenge"


def error_for_status(response: httpx.Response) -> PluginError | None:
    """The contract error a response status stands for (``None`` for 2xx)."""
    status = response.status_code
    url = redact_url(response.request.url)
    if _is_challenge(response):
        return PluginError(ErrorCode.BLOCKED, f"challenge page (HTTP {status}) at {url}")
    if 200 <= status < 300:
        return None
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return PluginError(ErrorCode.RATE_LIMITED, f"HTTP 429 at {url}", retry_after=retry_after)
    if status >= 500:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return PluginError(ErrorCode.UPSTREAM, f"HTTP {status} at {url}", retry_after=retry_after)
    if status in (404, 410):
        return PluginError(ErrorCode.NOT_FOUND, f"HTTP {status} at {url}")
    if status == 401:
        return PluginError(ErrorCode.AUTH, f"HTTP 401 at {url}")
    if status == 403:
        return PluginError(ErrorCode.BLOCKED, f"HTTP 403 at {url}")
    return PluginError(ErrorCode.UPSTREAM, f"unexpected HTTP {status} at {url}", retry=False)


class PoliteClient:
    """Per-instance wrapper around the shared :class:`httpx.AsyncClient`.

    ``sleep`` is the coroutine used for backoff waits (tests pass one that records delays);
    ``rng`` drives the jitter.
    """

    def __init__(
        self,
        config: HttpProviderConfig,
        client: httpx.AsyncClient,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        **log_context: Any,
    ) -> None:
        self.config = config
        self._client = client
        self._base = httpx.URL(config.base_url + "/")
        self._host = self._base.host
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._timeout = httpx.Timeout(config.timeout)
        self._headers = {"User-Agent": config.user_agent} if config.user_agent else {}
        self._log = log.bind(host=self._host, **log_context)
        self.requests_sent = 0
        """Requests put on the wire (retries and redirects included)."""

    # ---- URLs ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.config.base_url

    def url(self, path_or_url: str) -> httpx.URL:
        """Absolute URL of ``path_or_url`` (relative to ``base_url``); foreign hosts refused."""
        url = self._base.join(path_or_url.lstrip("/") if "://" not in path_or_url else path_or_url)
        self._check_host(url, path_or_url)
        return url

    def _check_host(self, url: httpx.URL, shown: str) -> None:
        if url.host != self._host or url.scheme not in ("http", "https"):
            raise PluginError(
                ErrorCode.BLOCKED,
                f"refusing {shown!r}: host {url.host!r} is not the configured {self._host!r}",
            )

    def _semaphore(self, host: str) -> asyncio.Semaphore:
        sem = self._semaphores.get(host)
        if sem is None:
            sem = self._semaphores[host] = asyncio.Semaphore(self.config.max_concurrency)
        return sem

    def backoff_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Delay before retry ``attempt`` (1-based): Retry-After when given, else full jitter."""
        if retry_after is not None:
            return min(retry_after, self.config.backoff_cap)
        ceiling = min(self.config.backoff_cap, self.config.backoff_base * 2 ** (attempt - 1))
        return self._rng.uniform(ceiling / 2, ceiling)

    # ---- public API ---------------------------------------------------------------------
    async def get_text(self, path_or_url: str) -> str:
        """GET a page and return its decoded text (retries, error mapping, same-host redirects)."""
        async with self._response(path_or_url, stream=False) as response:
            return response.text

    @asynccontextmanager
    async def stream_text(self, path_or_url: str) -> AsyncIterator[AsyncIterator[str]]:
        """GET a big page and yield an async iterator of its decoded text chunks.

        Failures before the body starts are retried like :meth:`get_text`; a failure while the
        body streams raises ``timeout``/``upstream`` from the iterator (the caller decides whether
        what it already parsed makes that ``partial``).
        """
        async with self._response(path_or_url, stream=True) as response:
            yield self._chunks(response)

    async def _chunks(self, response: httpx.Response) -> AsyncIterator[str]:
        try:
            async for chunk in response.aiter_text():
                yield chunk
        except httpx.TimeoutException as exc:
            raise PluginError(
                ErrorCode.TIMEOUT, f"timed out reading {response.request.url}: {exc!r}"
            ) from exc
        except httpx.TransportError as exc:
            raise PluginError(
                ErrorCode.UPSTREAM, f"body of {response.request.url} broke off: {exc!r}"
            ) from exc

    # ---- machinery ----------------------------------------------------------------------
    @asynccontextmanager
    async def _response(self, path_or_url: str, *, stream: bool) -> AsyncIterator[httpx.Response]:
        url = self.url(path_or_url)
        attempt = 0
        async with AsyncExitStack() as stack:
            while True:
                try:
                    response = await stack.enter_async_context(self._send(url, stream=stream))
                    break
                except PluginError as err:
                    attempt += 1
                    if not err.retry or attempt > self.config.retries:
                        raise
                    if err.retry_after is not None and err.retry_after > self.config.backoff_cap:
                        raise
                    delay = self.backoff_delay(attempt, err.retry_after)
                    self._log.info(
                        "provider.http_retry",
                        url=str(url),
                        code=err.code.value,
                        attempt=attempt,
                        delay=round(delay, 3),
                        error=err.message,
                    )
                    await self._sleep(delay)
            yield response

    @asynccontextmanager
    async def _send(self, url: httpx.URL, *, stream: bool) -> AsyncIterator[httpx.Response]:
        """One logical GET (same-host redirects followed), errors mapped; the body is read
        unless ``stream``. Only failures raised before the response is yielded are retried."""
        async with self._semaphore(url.host):
            for _ in range(_MAX_REDIRECTS + 1):
                request = self._client.build_request(
                    "GET", url, headers=self._headers, timeout=self._timeout
                )
                self.requests_sent += 1
                try:
                    response = await self._client.send(request, stream=True, follow_redirects=False)
                except httpx.TimeoutException as exc:
                    raise PluginError(ErrorCode.TIMEOUT, f"timed out: GET {url} ({exc!r})") from exc
                except httpx.TransportError as exc:
                    raise PluginError(ErrorCode.UPSTREAM, f"GET {url} failed: {exc!r}") from exc
                try:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        target = url.join(location)
                        self._check_host(target, location)
                        url = target
                        continue
                    error = error_for_status(response)
                    if error is not None:
                        raise error
                    if not stream:
                        try:
                            await response.aread()
                        except httpx.TimeoutException as exc:
                            raise PluginError(
                                ErrorCode.TIMEOUT, f"timed out reading {url}: {exc!r}"
                            ) from exc
                        except httpx.TransportError as exc:
                            raise PluginError(
                                ErrorCode.UPSTREAM, f"body of {url} broke off: {exc!r}"
                            ) from exc
                    yield response
                    return
                finally:
                    await response.aclose()
            raise PluginError(ErrorCode.UPSTREAM, f"too many redirects from {url}", retry=False)
