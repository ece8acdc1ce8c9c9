"""The request log: one ``http.request`` line per request at info, with the path, the parameters
without the key, the status, the milliseconds and the feed's item count."""

from __future__ import annotations

import logging

import httpx
import pytest
from structlog.testing import capture_logs

from anibridge_like.api.requestlog import loggable_params
from anibridge_like.logging import QUIET, _QuietFilter
from tests.torznab.conftest import GLOBAL_KEY


async def test_a_search_leaves_one_info_line_without_the_key(client: httpx.AsyncClient) -> None:
    with capture_logs() as logs:
        response = await client.get(
            f"/torznab/anime/api?t=tvsearch&cat=5030,5040&apikey={GLOBAL_KEY}&limit=5"
        )
    assert response.status_code == 200
    lines = [e for e in logs if e["event"] == "http.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["log_level"] == "info"
    assert line["path"] == "/torznab/anime/api"
    assert line["params"] == {"t": "tvsearch", "cat": "5030,5040", "limit": "5"}
    assert line["status"] == 200 and line["items"] == 5 and line["library"] == "anime"
    assert isinstance(line["ms"], float)
    assert GLOBAL_KEY not in repr(logs)


async def test_an_error_is_on_the_request_line(client: httpx.AsyncClient) -> None:
    with capture_logs() as logs:
        await client.get("/torznab/api?t=search&apikey=wrong-key")
    (line,) = [e for e in logs if e["event"] == "http.request"]
    assert line["error"].startswith("100 ") and line["status"] == 200
    assert "wrong-key" not in repr(logs)


async def test_health_probes_log_at_debug(client: httpx.AsyncClient) -> None:
    with capture_logs() as logs:
        await client.get("/health")
    (line,) = [e for e in logs if e["event"] == "http.request"]
    assert line["log_level"] == "debug"


@pytest.mark.parametrize("name", ["apikey", "APIKEY", "api_key", "password"])
def test_secret_parameters_are_dropped(name: str) -> None:
    assert loggable_params(f"t=search&{name}=s3cret&q=x".encode()) == {"t": "search", "q": "x"}


def test_quiet_context_drops_uvicorn_lines_only() -> None:
    quiet = _QuietFilter()
    uvicorn_line = logging.LogRecord("uvicorn.error", logging.INFO, "", 0, "Started", None, None)
    own_line = logging.LogRecord("anibridge_like.x", logging.INFO, "", 0, "x", None, None)
    assert quiet.filter(uvicorn_line) and quiet.filter(own_line)
    token = QUIET.set(True)
    try:
        assert not quiet.filter(uvicorn_line)
        assert quiet.filter(own_line)
    finally:
        QUIET.reset(token)
