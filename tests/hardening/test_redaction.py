"""No credential in an error, a log line or a stored message (issue 12, security 2)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
import structlog

from anibridge_like.logging import configure_logging
from anibridge_like.metadata.tmdb import TmdbMetadata
from anibridge_like.plugins.errors import PluginError
from anibridge_like.providers.http import error_for_status
from anibridge_like.redaction import (
    forget_secrets,
    is_secret_name,
    public_text,
    redact_text,
    register_secret,
)
from tests.fakes.metadata_common import FakeControl
from tests.fakes.tmdb import FakeTmdb
from tests.metadata.conftest import MOVIES

TMDB_KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def _isolated() -> Iterator[None]:
    """No registered secrets; logging configuration restored afterwards."""
    forget_secrets()
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in ("aiosqlite", "httpx")}
    yield
    forget_secrets()
    structlog.configure(**saved)
    root.handlers[:], root.level = handlers, level
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)


async def test_a_failing_tmdb_call_keeps_its_key_out_of_the_error() -> None:
    control = FakeControl()
    transport = httpx.ASGITransport(app=FakeTmdb(MOVIES, api_key=TMDB_KEY, control=control).app)
    async with httpx.AsyncClient(transport=transport) as client:
        config = TmdbMetadata.config_model.model_validate(
            {"base_url": "http://fake.test/3", "api_key": TMDB_KEY}
        )
        plugin = TmdbMetadata(config, client)
        control.fail_next(status=500)
        with pytest.raises(PluginError) as info:
            await plugin.search_movie("Dragon", None)
    error = info.value
    assert "fake.test/3/search/movie" in error.message  # still says where it failed
    assert TMDB_KEY not in error.message and TMDB_KEY not in str(error)
    assert "api_key=***" in error.message


def test_error_for_status_masks_userinfo_and_key_parameters() -> None:
    request = httpx.Request("GET", "https://me:pa55@api.test/x?query=a&api_key=K123&token=T999")
    error = error_for_status(httpx.Response(502, request=request))
    assert error is not None
    for leaked in ("pa55", "K123", "T999", "me:"):
        assert leaked not in error.message
    assert "query=a" in error.message


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET /3/movie/1?api_key=abc123def&language=en", "abc123def"),
        ("url=https://x.test/?apikey=ZZZ999", "ZZZ999"),
        ("https://u:hunter2@host.test/path", "hunter2"),
        ("{'Authorization': 'Bearer eyJabc.def'}", "eyJabc"),
        ("X-Api-Key: k-777", "k-777"),
        ("access_token=tok123&x=1", "tok123"),
        ("client_secret%3Dshh999", "shh999"),
    ],
)
def test_redact_text_masks_credentials(text: str, secret: str) -> None:
    assert secret not in redact_text(text)


def test_ordinary_parameters_are_kept() -> None:
    text = "t=search&q=monkey+island&season=1&cat=5070&author=me"
    assert redact_text(text) == text
    assert not is_secret_name("monkey") and not is_secret_name("author")
    assert is_secret_name("tmdb_api_key") and is_secret_name("accessToken")


def test_registered_secrets_are_scrubbed_in_any_shape() -> None:
    register_secret("my-library-key-42")
    assert "my-library-key-42" not in redact_text("presented key my-library-key-42 (bad)")


def test_public_text_keeps_host_and_path_only() -> None:
    text = "failed at https://user:pw@site.test:8443/a/b?token=1&page=2#frag, retrying"
    assert public_text(text) == "failed at https://site.test:8443/a/b, retrying"


def _capture(level: str = "debug") -> io.StringIO:
    configure_logging(level, "json")
    stream = io.StringIO()
    root = logging.getLogger()
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    return stream


def test_every_log_event_is_redacted() -> None:
    stream = _capture()
    register_secret("global-key-xyz")
    log = structlog.get_logger("test")
    log.info(
        "upstream.failed",
        url="https://api.test/3/search?api_key=SEKRIT1",
        error=PluginError("upstream", "HTTP 500 at https://api.test/?token=SEKRIT2"),
        headers={"x-api-key": "SEKRIT3", "accept": "json"},
        note="client sent global-key-xyz",
    )
    try:
        raise ValueError("boom at https://a:SEKRIT4@api.test/")
    except ValueError:
        log.exception("crashed")
    logging.getLogger("foreign").warning("stdlib says %s", "apikey=SEKRIT5")
    out = stream.getvalue()
    for n in range(1, 6):
        assert f"SEKRIT{n}" not in out, n
    assert "global-key-xyz" not in out
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["headers"]["accept"] == "json"
    assert "Traceback" in lines[1]["exception"]


def test_aiosqlite_stays_at_warning_unless_asked() -> None:
    _capture("debug")
    assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
    configure_logging("debug", "json", sql_debug=True)
    assert logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
