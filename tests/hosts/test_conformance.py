"""The host contract's conformance suite, run unchanged against every registered host
implementation and the fake hosters (:mod:`anibridge_like.demo.hosters`): media found on HTML5
and HLS embed pages, and each failure reported with the contract's code — never another
exception, never a captcha solved."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from anibridge_like.demo.faults import FaultController
from anibridge_like.demo.hosters import BEHAVIOUR, HosterState, build_app, embed_url, media_bytes
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.host import Host, HostCapabilities
from anibridge_like.plugins.registry import Registry

BASE = "http://hosters.test"
REGISTRY = Registry()
IMPLEMENTATIONS = REGISTRY.names("host")
EXPECTED_ERROR = {
    "deleted": ErrorCode.NOT_FOUND,
    "no_media": ErrorCode.NOT_FOUND,
    "captcha": ErrorCode.BLOCKED,
}


@pytest.fixture
async def faults() -> FaultController:
    return FaultController()


@pytest.fixture
async def client(faults: FaultController) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(HosterState(media_size=40_000), faults)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c


def _host(name: str, client: httpx.AsyncClient) -> Host:
    impl = REGISTRY.get("host", name)
    assert isinstance(impl.capabilities, HostCapabilities)
    host: Host = impl(impl.config_model(), client)
    return host


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
@pytest.mark.parametrize("hoster", sorted(BEHAVIOUR))
async def test_host_resolves_or_reports_with_the_contract_codes(
    name: str, hoster: str, client: httpx.AsyncClient
) -> None:
    host = _host(name, client)
    if not host.capabilities.handles(hoster):
        pytest.skip(f"{name} does not handle {hoster}")
    url = embed_url(BASE, hoster, "k42")
    behaviour = BEHAVIOUR[hoster]
    if behaviour in EXPECTED_ERROR:
        with pytest.raises(PluginError) as caught:
            await host.resolve(url)
        assert caught.value.code is EXPECTED_ERROR[behaviour]
        return
    media = await host.resolve(url)
    assert media.protocol in host.capabilities.protocols
    assert media.protocol == ("hls" if behaviour == "hls" else "progressive")
    fetched = await client.get(media.url, headers=dict(media.headers))
    assert fetched.status_code == 200
    if media.protocol == "hls":
        assert fetched.text.startswith("#EXTM3U") and media.ext == "ts"
    else:
        assert fetched.content == media_bytes("k42", 40_000) and media.ext == "mp4"


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
@pytest.mark.parametrize(
    ("fault", "params", "code"),
    [
        ("server_error", {"status": 503}, ErrorCode.UPSTREAM),
        ("rate_limit", {"retry_after": 5}, ErrorCode.RATE_LIMITED),
        ("server_error", {"status": 410}, ErrorCode.NOT_FOUND),
    ],
)
async def test_hoster_http_failures_map_to_codes(
    name: str,
    fault: str,
    params: dict[str, float],
    code: ErrorCode,
    client: httpx.AsyncClient,
    faults: FaultController,
) -> None:
    faults.add(fault, path="/voe/e/*", **params)  # type: ignore[arg-type]
    host = _host(name, client)
    if not host.capabilities.handles("VOE"):
        pytest.skip(f"{name} does not handle VOE")
    with pytest.raises(PluginError) as caught:
        await host.resolve(embed_url(BASE, "VOE", "k1"))
    assert caught.value.code is code


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_unreachable_hoster_is_upstream(name: str) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        host = _host(name, client)
        with pytest.raises(PluginError) as caught:
            await host.resolve("http://127.0.0.1:9/e/x")  # discard port: refused
    assert caught.value.code in (ErrorCode.UPSTREAM, ErrorCode.TIMEOUT)
