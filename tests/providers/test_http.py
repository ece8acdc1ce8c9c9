"""PoliteClient: retries, backoff, Retry-After, error mapping, redirects, per-host limits."""

from __future__ import annotations

import asyncio
import random
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


def make(handler: Handler, **config: object) -> tuple[PoliteClient, list[float], httpx.AsyncClient]:
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    cfg = HttpProviderConfig.model_validate(
        {"base_url": "http://site.test", "backoff_base": 1.0, **config}
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return PoliteClient(cfg, client, sleep=sleep, rng=random.Random(1)), delays, client


async def test_rate_limit_waits_the_retry_after_then_succeeds() -> None:
    rec = Recorder(
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, text="ok")
    )
    polite, delays, client = make(rec)
    async with client:
        assert await polite.get_text("/page") == "ok"
    assert delays == [7.0]
    assert rec.urls == ["http://site.test/page", "http://site.test/page"]


async def test_rate_limit_after_all_retries_carries_retry_after() -> None:
    rec = Recorder(httpx.Response(429, headers={"Retry-After": "3"}))
    polite, delays, client = make(rec, retries=2)
    async with client:
        with pytest.raises(PluginError) as info:
            await polite.get_text("/page")
    assert info.value.code is ErrorCode.RATE_LIMITED
    assert info.value.retry_after == 3.0
    assert delays == [3.0, 3.0]
    assert len(rec.urls) == 3


async def test_retry_after_longer_than_the_cap_goes_to_the_core_at_once() -> None:
    rec = Recorder(httpx.Response(429, headers={"Retry-After": "3600"}))
    polite, delays, client = make(rec, backoff_cap=60.0)
    async with client:
        with pytest.raises(PluginError) as info:
            await polite.get_text("/page")
    assert info.value.code is ErrorCode.RATE_LIMITED and info.value.retry_after == 3600.0
    assert delays == [] and len(rec.urls) == 1


async def test_server_errors_back_off_exponentially_with_jitter_then_fail_upstream() -> None:
    rec = Recorder(httpx.Response(503))
    polite, delays, client = make(rec, retries=4, backoff_base=1.0, backoff_cap=5.0)
    async with client:
        with pytest.raises(PluginError) as info:
            await polite.get_text("/page")
    assert info.value.code is ErrorCode.UPSTREAM
    assert len(rec.urls) == 5
    ceilings = [1.0, 2.0, 4.0, 5.0]
    assert len(delays) == 4
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling


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
async def test_transport_failures_are_retried_then_mapped(exc: Exception, code: ErrorCode) -> None:
    rec = Recorder(exc)
    polite, delays, client = make(rec, retries=1)
    async with client:
        with pytest.raises(PluginError) as info:
            await polite.get_text("/page")
    assert info.value.code is code
    assert len(rec.urls) == 2 and len(delays) == 1


async def test_a_transient_failure_is_invisible_to_the_caller() -> None:
    rec = Recorder(httpx.ConnectError("refused"), httpx.Response(200, text="fine"))
    polite, _delays, client = make(rec)
    async with client:
        assert await polite.get_text("/x") == "fine"
    assert polite.requests_sent == 2


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


async def test_stream_text_retries_failures_before_the_body() -> None:
    rec = Recorder(httpx.Response(500), httpx.Response(200, text="body"))
    polite, delays, client = make(rec)
    async with client, polite.stream_text("/big") as chunks:
        parts = [part async for part in chunks]
    assert parts == ["body"] and len(delays) == 1


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
