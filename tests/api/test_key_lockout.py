"""Guessing the admin key: wrong keys per client address end in 429 until the window passes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from anibridge_like.api.lockout import KeyGuessLimiter
from anibridge_like.app import create_app
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import parse_seed
from anibridge_like.settings import Settings

ADMIN = "the-right-admin-key"
SEED = {"libraries": [{"slug": "anime", "kind": "anime"}]}


@pytest.fixture
async def app_state(settings: Settings) -> AsyncIterator[tuple[object, KeyGuessLimiter]]:
    registry = Registry()
    app = create_app(
        settings.model_copy(
            update={"admin_api_key": SecretStr(ADMIN), "admin_key_max_failures": 3}
        ),
        seed=parse_seed(SEED, registry, environ={}),
        registry=registry,
        start_services=False,
    )
    async with app.router.lifespan_context(app):
        yield app, app.state.key_limiter


def _client(app: object, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")


async def test_wrong_admin_keys_lock_the_address_out_and_only_that_address(
    app_state: tuple[object, KeyGuessLimiter],
) -> None:
    app, _limiter = app_state
    async with _client(app, "10.0.0.5") as guesser, _client(app, "10.0.0.6") as other:
        for attempt in range(3):
            wrong = await guesser.get("/api/v1/libraries", headers={"X-Api-Key": f"guess-{attempt}"})
            assert wrong.status_code == 401
        locked = await guesser.get("/api/v1/libraries", headers={"X-Api-Key": ADMIN})
        assert locked.status_code == 429 and "too many wrong admin keys" in locked.json()["error"]
        assert 1 <= int(locked.headers["Retry-After"]) <= 600
        assert ADMIN not in locked.text
        # a missing key is not a guess; another address is not affected
        assert (await other.get("/api/v1/libraries")).status_code == 401
        assert (await other.get("/api/v1/libraries", headers={"X-Api-Key": ADMIN})).status_code == 200


async def test_the_web_login_shares_the_count(app_state: tuple[object, KeyGuessLimiter]) -> None:
    app, _limiter = app_state
    async with _client(app, "10.0.0.7") as browser:
        for _ in range(3):
            page = await browser.get("/login")
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
            assert csrf is not None
            wrong = await browser.post("/login", data={"csrf": csrf.group(1), "key": "nope"})
            assert wrong.status_code == 401
        page = await browser.get("/login")
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
        assert csrf is not None
        right = await browser.post("/login", data={"csrf": csrf.group(1), "key": ADMIN})
        assert right.status_code == 429 and "Too many wrong keys" in right.text
        assert "anibridge_session" not in right.headers.get("set-cookie", "")
        assert (await browser.get("/api/v1/libraries", headers={"X-Api-Key": ADMIN})).status_code == 429


def test_the_window_slides_and_a_right_key_clears_the_count() -> None:
    now = [1000.0]
    limiter = KeyGuessLimiter(3, 60.0, clock=lambda: now[0], max_addresses=2)
    for _ in range(3):
        limiter.failed("a")
    assert limiter.retry_after("a") == 60
    now[0] += 59.5
    assert limiter.retry_after("a") == 1
    now[0] += 1
    assert limiter.retry_after("a") is None  # the oldest failures left the window
    limiter.failed("a")
    assert limiter.retry_after("a") is None  # only one failure inside the window now
    limiter.failed("b")
    limiter.succeeded("b")
    assert limiter.retry_after("b") is None
    for address in ("c", "d", "e"):  # the table stays bounded
        limiter.failed(address)
    assert len(limiter._failures) == 2
