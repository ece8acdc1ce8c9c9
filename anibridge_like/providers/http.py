"""Polite HTTP for provider plugins: one config base model and one client wrapper.

Every HTML provider subclasses :class:`HttpProviderConfig` for its ``config_model`` and talks to
its site only through a :class:`PoliteClient`, which

* caps concurrent requests per host (``max_concurrency``) and their rate
  (``requests_per_second``, a leaky bucket from ``aiolimiter``),
* **pauses the whole host** when the site answers 429: until the ``Retry-After`` window ends
  (``rate_limit_pause`` when the header is missing) no request to that host leaves, queued ones
  included; a request that would wait longer than ``max_pause`` is not sent and raises
  ``rate_limited`` with the remaining window as ``retry_after``,
* applies the instance's request ``timeout``,
* follows redirects only within the configured host,
* reuses a page that parsed within the last ``reuse_seconds`` (:meth:`PoliteClient.parsed`, a
  bounded LRU of ``reuse_pages``): when the core retries a detail whose fifth season page failed,
  only that page is asked again, and
* maps every failure to :class:`~anibridge_like.plugins.errors.PluginError`.

It does **not** retry: whether and when a failed call is tried again is decided in one place, the
core's :class:`~anibridge_like.catalog.retry.Retrier` applying the
:func:`~anibridge_like.plugins.errors.policy_for` table, so the attempts a user configures
(``retry_attempts``) are the attempts made.

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
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import structlog
from aiolimiter import AsyncLimiter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.urls import root_url
from anibridge_like.redaction import redact_url

log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
T = TypeVar("T")

_MAX_REDIRECTS = 5


class HttpProviderConfig(BaseModel):
    """Instance configuration shared by every HTTP provider (subclass it per provider)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(description="Site root, e.g. https://aniworld.to (no trailing path).")
    site: str | None = Field(
        None, description="Catalog site key; defaults to the provider's capabilities.site."
    )
    max_concurrency: int = Field(4, ge=1, le=64, description="Concurrent requests per host.")
    requests_per_second: float | None = Field(
        8.0,
        gt=0,
        le=1000,
        description="Most requests per second to the host (a leaky bucket); null = no limit.",
    )
    timeout: float = Field(20.0, gt=0, description="Timeout of one request, in seconds.")
    rate_limit_pause: float = Field(
        10.0,
        ge=0,
        description="Seconds the host is paused after a 429 without a Retry-After header.",
    )
    reuse_seconds: float = Field(
        120.0,
        ge=0,
        description="A page fetched this recently is reused instead of fetched again (so a "
        "call the core retries re-fetches only the pages that failed); 0 = never reuse.",
    )
    reuse_pages: int = Field(
        256, ge=0, le=100_000, description="Most pages kept for reuse (least recent dropped)."
    )
    max_pause: float = Field(
        60.0,
        ge=0,
        description="Longest host pause a request waits out; a request facing a longer one is "
        "not sent and fails as rate_limited with the remaining window (the core backs off).",
    )
    user_agent: str | None = Field(
        None, description="User-Agent header; the shared client's default when unset."
    )

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return root_url(value, "base_url")


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
    "yg=token",  # megakino's token gate: a JS stub fetching /index.php?yg=token, then reloading
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


@dataclass(slots=True)
class _Host:
    """Politeness state of one host: concurrency, rate and the Retry-After pause."""

    semaphore: asyncio.Semaphore
    limiter: AsyncLimiter | None
    paused_until: float = 0.0
    pauses: int = 0
    waits: list[float] = field(default_factory=list)


class PoliteClient:
    """Per-instance wrapper around the shared :class:`httpx.AsyncClient`.

    ``sleep`` and ``clock`` drive the host pause (tests pass fakes).
    """

    def __init__(
        self,
        config: HttpProviderConfig,
        client: httpx.AsyncClient,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        **log_context: Any,
    ) -> None:
        self.config = config
        self._client = client
        self._base = httpx.URL(config.base_url + "/")
        self._host = self._base.host
        self._sleep = sleep
        self._clock = clock
        self._hosts: dict[str, _Host] = {}
        self._timeout = httpx.Timeout(config.timeout)
        self._headers = {"User-Agent": config.user_agent} if config.user_agent else {}
        self._log = log.bind(host=self._host, **log_context)
        self.requests_sent = 0
        """Requests put on the wire (redirects included)."""
        self.reused = 0
        """Pages served from the reuse cache instead of the wire."""
        self._recent: OrderedDict[str, tuple[float, str]] = OrderedDict()

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

    def host_state(self, host: str | None = None) -> _Host:
        name = host or self._host
        state = self._hosts.get(name)
        if state is None:
            rate = self.config.requests_per_second
            limiter = AsyncLimiter(rate, 1.0) if rate else None
            state = self._hosts[name] = _Host(
                asyncio.Semaphore(self.config.max_concurrency), limiter
            )
        return state

    def paused_for(self, host: str | None = None) -> float:
        """Seconds the host stays paused (0 when it is not)."""
        return max(0.0, self.host_state(host).paused_until - self._clock())

    # ---- public API ---------------------------------------------------------------------
    async def get_bytes(self, path_or_url: str) -> bytes:
        """GET a document's raw body (a gzip sitemap is served as ``application/x-gzip``)."""
        async with self._send(self.url(path_or_url), stream=False) as response:
            return response.content

    async def parsed(self, path_or_url: str, parse: Callable[[str], T]) -> T:
        """``parse`` of the page's text. A page that parsed is kept for ``reuse_seconds``: a
        call the core retries fetches only the pages that failed, not the ones that worked."""
        url = self.url(path_or_url)
        key = str(url)
        hit = self._recent.get(key)
        if hit is not None and self._clock() - hit[0] <= self.config.reuse_seconds:
            self._recent.move_to_end(key)
            self.reused += 1
            return parse(hit[1])
        async with self._send(url, stream=False) as response:
            text = response.text
        result = parse(text)
        if self.config.reuse_seconds > 0 and self.config.reuse_pages > 0:
            self._recent[key] = (self._clock(), text)
            self._recent.move_to_end(key)
            while len(self._recent) > self.config.reuse_pages:
                self._recent.popitem(last=False)
        return result

    async def get_text(self, path_or_url: str) -> str:
        """GET a page and return its decoded text (host limits, error mapping, same-host
        redirects; no retries)."""
        async with self._send(self.url(path_or_url), stream=False) as response:
            return response.text

    @asynccontextmanager
    async def stream_text(self, path_or_url: str) -> AsyncIterator[AsyncIterator[str]]:
        """GET a big page and yield an async iterator of its decoded text chunks.

        A failure while the body streams raises ``timeout``/``upstream`` from the iterator (the
        caller decides whether what it already parsed makes that ``partial``).
        """
        async with self._send(self.url(path_or_url), stream=True) as response:
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
    async def _gate(self, state: _Host, url: httpx.URL) -> None:
        """Wait until the host may be asked again (pause over, rate slot free)."""
        for _ in range(1000):
            remaining = state.paused_until - self._clock()
            if remaining > 0:
                if remaining > self.config.max_pause:
                    raise PluginError(
                        ErrorCode.RATE_LIMITED,
                        f"host {url.host} paused for {remaining:.1f} s more (Retry-After);"
                        f" not sending GET {url}",
                        retry_after=remaining,
                    )
                state.waits.append(remaining)
                await self._sleep(remaining)
                continue
            if state.limiter is not None:
                await state.limiter.acquire()
                if state.paused_until > self._clock():
                    continue  # a 429 arrived while this request waited for its slot
            return
        raise PluginError(ErrorCode.RATE_LIMITED, f"host {url.host} keeps pausing; gave up")

    def _pause(self, state: _Host, error: PluginError, url: httpx.URL) -> None:
        window = (
            error.retry_after if error.retry_after is not None else self.config.rate_limit_pause
        )
        until = self._clock() + window
        if until > state.paused_until:
            state.paused_until = until
            state.pauses += 1
            self._log.warning(
                "provider.host_paused", url=str(url), seconds=round(window, 3), pauses=state.pauses
            )
        if error.retry_after is None:
            error.retry_after = window

    @asynccontextmanager
    async def _send(self, url: httpx.URL, *, stream: bool) -> AsyncIterator[httpx.Response]:
        """One logical GET (same-host redirects followed), errors mapped; the body is read
        unless ``stream``."""
        state = self.host_state(url.host)
        async with state.semaphore:
            for _ in range(_MAX_REDIRECTS + 1):
                await self._gate(state, url)
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
                        if error.code is ErrorCode.RATE_LIMITED:
                            self._pause(state, error, url)
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
