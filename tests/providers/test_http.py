"""PoliteClient: the host-wide Retry-After pause, the request rate, error mapping (no retries:
the core owns them), redirects, per-host limits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.providers.http import HttpProviderConfig, PoliteClient, parse_retry_after

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


class Recorder:
    """Serves scripted responses through httpx.MockTransport and records what was asked."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.script = list(responses)
        self.urls: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, Exception):
            raise item
        return item


class Clock:
    """A fake monotonic clock that the fake sleep advances."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(handler: Handler, **config: object) -> tuple[PoliteClient, list[float], httpx.AsyncClient]:
    delays: list[float] = []
    clock = Clock()

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        clock.now += seconds

    cfg = HttpProviderConfig.model_validate(
        {"base_url": "http://site.test", "requests_per_second": None, **config}
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return PoliteClient(cfg, client, sleep=sleep, clock=clock), delays, client


async def test_a_429_is_not_retried_here_and_pauses_the_host_for_its_window() -> None:
    rec = Recorder(
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, text="ok")
    )
    polite, delays, client = make(rec)
    async with client:
        with pytest.raises(PluginError) as info:
            await polite.get_text("/page")
        assert info.value.code is ErrorCode.RATE_LIMITED and info.value.retry_after == 7.0
        assert polite.paused_for() == pytest.approx(7.0)
        assert len(rec.urls) == 1 and delays == []
        assert await polite.get_text("/other") == "ok"  # waits the window out, then asks
    assert delays == [pytest.approx(7.0)]
    assert len(rec.urls) == 2


async def test_a_429_without_retry_after_pauses_for_the_configured_time() -> None:
    rec = Recorder(httpx.Response(429))
    polite, _delays, client = make(rec, rate_limit_pause=4.0)
    async with client:
        with pytest.raises(PluginError) as info:
            await polite.get_text("/page")
    assert info.value.retry_after == 4.0
    assert polite.paused_for() == pytest.approx(4.0)


async def test_a_pause_longer_than_max_pause_fails_queued_requests_without_sending() -> None:
    rec = Recorder(httpx.Response(429, headers={"Retry-After": "3600"}))
    polite, delays, client = make(rec, max_pause=60.0)
    async with client:
        with pytest.raises(PluginError):
            await polite.get_text("/page")
        with pytest.raises(PluginError) as info:
            await polite.get_text("/next")
    assert info.value.code is ErrorCode.RATE_LIMITED
    assert info.value.retry_after == pytest.approx(3600.0)
    assert delays == [] and len(rec.urls) == 1


async def test_concurrent_requests_queued_behind_a_429_wait_for_the_window() -> None:
    sent: list[float] = []
    loop_clock: list[float] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        now = asyncio.get_running_loop().time()
        sent.append(now)
        if request.url.path == "/first":
            loop_clock.append(now)
            return httpx.Response(429, headers={"Retry-After": "0.2"})
        return httpx.Response(200, text="ok")

    cfg = HttpProviderConfig(base_url="http://site.test", max_concurrency=1)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        polite = PoliteClient(cfg, client)
        results = await asyncio.gather(
            polite.get_text("/first"),
            *(polite.get_text(f"/p{i}") for i in range(3)),
            return_exceptions=True,
        )
    assert isinstance(results[0], PluginError)
    assert results[1:] == ["ok"] * 3
    assert all(t >= loop_clock[0] + 0.19 for t in sent[1:]), "sent inside the Retry-After window"


async def test_requests_per_second_are_limited_per_host() -> None:
    sent: list[float] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        sent.append(asyncio.get_running_loop().time())
        return httpx.Response(200, text="ok")

    cfg = HttpProviderConfig(base_url="http://site.test", requests_per_second=20.0)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        polite = PoliteClient(cfg, client)
        await asyncio.gather(*(polite.get_text(f"/p{i}") for i in range(30)))
    # a bucket of 20 per second: 30 requests need at least half a second
    assert sent[-1] - sent[0] >= 0.4


async def test_server_errors_are_not_retried_by_the_client() -> None:
    rec = Recorder(httpx.Response(503))
    polite, delays, client = make(rec)
    async with client:
        with pytest.raises(PluginError) as info:
            await polite.get_text("/page")
    assert info.value.code is ErrorCode.UPSTREAM and info.value.retry
    assert len(rec.urls) == 1 and delays == []


@pytest.mark.parametrize(
    ("status", "headers", "code"),
    [
        (404, {}, ErrorCode.NOT_FOUND),
        (410, {}, ErrorCode.NOT_FOUND),
        (401, {}, ErrorCode.AUTH),
        (403, {}, ErrorCode.BLOCKED),
        (200, {"cf-mitigated": "challenge"}, ErrorCode.BLOCKED),
        (418, {}, ErrorCode.UPSTREAM),
    ],
)
async def test_non_retryable_statuses_map_to_codes_without_retry(
    status: int, headers: dict[str, str], code: ErrorCode
) -> None:
    rec = Recorder(httpx.Response(status, headers=headers))
    polite, delays, client = make(rec)
    async with client:
        with pytest.raises(PluginError) as info:
            await polite.get_text("/page")
    assert info.value.code is code
    assert len(rec.urls) == 1 and delays == []


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (httpx.ReadTimeout("slow"), ErrorCode.TIMEOUT),
        (httpx.ConnectTimeout("slow"), ErrorCode.TIMEOUT),
        (httpx.ConnectError("refused"), ErrorCode.UPSTREAM),
        (httpx.RemoteProtocolError("cut"), ErrorCode.UPSTREAM),
    ],
)
async def test_transport_failures_are_mapped_once(exc: Exception, code: ErrorCode) -> None:
    rec = Recorder(exc)
    polite, delays, client = make(rec)
    async with client:
        with pytest.raises(PluginError) as info:
            await polite.get_text("/page")
    assert info.value.code is code
    assert len(rec.urls) == 1 and delays == []


async def test_same_host_redirects_are_followed() -> None:
    rec = Recorder(
        httpx.Response(301, headers={"Location": "/new/place"}), httpx.Response(200, text="here")
    )
    polite, _delays, client = make(rec)
    async with client:
        assert await polite.get_text("/old") == "here"
    assert rec.urls == ["http://site.test/old", "http://site.test/new/place"]


async def test_redirect_to_a_foreign_host_is_blocked_and_not_followed() -> None:
    rec = Recorder(
        httpx.Response(302, headers={"Location": "https://elsewhere.example/landing"}),
        httpx.Response(200, text="never"),
    )
    polite, _delays, client = make(rec)
    async with client:
        with pytest.raises(PluginError) as info:
            await polite.get_text("/old")
    assert info.value.code is ErrorCode.BLOCKED
    assert rec.urls == ["http://site.test/old"]


async def test_absolute_urls_on_other_hosts_are_refused_before_any_request() -> None:
    rec = Recorder(httpx.Response(200, text="never"))
    polite, _delays, client = make(rec)
    async with client:
        with pytest.raises(PluginError) as info:
            await polite.get_text("https://evil.example/x")
        assert await polite.get_text("http://site.test/abs") == "never"
    assert info.value.code is ErrorCode.BLOCKED
    assert rec.urls == ["http://site.test/abs"]


async def test_base_url_path_prefix_is_kept_for_relative_paths() -> None:
    rec = Recorder(httpx.Response(200, text="ok"))
    polite, _delays, client = make(rec, base_url="http://site.test/mirror/")
    async with client:
        await polite.get_text("/animes-alphabet")
    assert rec.urls == ["http://site.test/mirror/animes-alphabet"]


async def test_concurrency_per_host_is_capped() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, text="ok")

    polite, _delays, client = make(handler, max_concurrency=2)
    async with client:
        results = await asyncio.gather(*(polite.get_text(f"/p{i}") for i in range(8)))
    assert results == ["ok"] * 8
    assert peak == 2


async def test_stream_text_yields_the_body_in_chunks() -> None:
    body = "<html>" + "x" * 200_000 + "</html>"
    rec = Recorder(httpx.Response(200, text=body))
    polite, _delays, client = make(rec)
    async with client, polite.stream_text("/big") as chunks:
        parts = [part async for part in chunks]
    assert "".join(parts) == body


async def test_stream_text_maps_failures_before_the_body() -> None:
    rec = Recorder(httpx.Response(500), httpx.Response(200, text="body"))
    polite, _delays, client = make(rec)
    async with client:
        with pytest.raises(PluginError) as info:
            async with polite.stream_text("/big") as chunks:
                _ = [part async for part in chunks]
    assert info.value.code is ErrorCode.UPSTREAM


async def test_a_body_that_breaks_off_raises_from_the_stream() -> None:
    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield b"<html>first part"
            raise httpx.ReadTimeout("stalled")

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Broken())

    polite, _delays, client = make(handler)
    seen: list[str] = []
    async with client:
        with pytest.raises(PluginError) as info:
            async with polite.stream_text("/big") as chunks:
                async for part in chunks:
                    seen.append(part)
    assert info.value.code is ErrorCode.TIMEOUT
    assert seen == ["<html>first part"]


def test_retry_after_parses_seconds_fractions_and_http_dates() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("0.25") == 0.25
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0


def test_config_rejects_unknown_keys_and_relative_base_urls() -> None:
    with pytest.raises(ValueError):
        HttpProviderConfig.model_validate({"base_url": "http://x.test", "bogus": 1})
    with pytest.raises(ValueError):
        HttpProviderConfig.model_validate({"base_url": "/relative"})
    assert HttpProviderConfig(base_url="http://x.test/").base_url == "http://x.test"
