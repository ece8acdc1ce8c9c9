"""Provider test fixtures: loopback fake sites, a client that can only reach 127.0.0.1, and
provider instances built through the registry exactly as the app builds them."""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from anibridge_like.demo.sites import SITE_PROVIDERS
from anibridge_like.plugins.provider import Provider
from anibridge_like.plugins.registry import Registry
from tests.fakes.sites import LOOPBACK, RunningSite, serve_site

CONFORMANCE_TITLES = 40
CONFORMANCE_SEED = 7


def providers_with_fake_sites() -> list[str]:
    """Built-in providers that are importable and have a fake site module."""
    registry = Registry()
    names = []
    for name in registry.names("provider"):
        reg = registry.registration("provider", name)
        if not reg.builtin or name not in SITE_PROVIDERS:
            continue
        module = reg.target.partition(":")[0]
        site_module = f"anibridge_like.demo.sites.{name}"
        if importlib.util.find_spec(module) and importlib.util.find_spec(site_module):
            names.append(name)
    return names


class OffLoopback(AssertionError):
    pass


class LoopbackGuard:
    """Event hook refusing (and recording) any request that is not for 127.0.0.1."""

    def __init__(self) -> None:
        self.hosts: list[str] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.hosts.append(request.url.host)
        if request.url.host != LOOPBACK:
            raise OffLoopback(f"request left the loopback interface: {request.url}")


@pytest.fixture
def loopback_guard() -> LoopbackGuard:
    return LoopbackGuard()


@pytest.fixture
async def loopback_client(loopback_guard: LoopbackGuard) -> AsyncIterator[httpx.AsyncClient]:
    """The shared client as the app would pass it, restricted to 127.0.0.1."""
    async with httpx.AsyncClient(
        event_hooks={"request": [loopback_guard]}, follow_redirects=True
    ) as client:
        yield client
    assert set(loopback_guard.hosts) <= {LOOPBACK}


def build_provider(
    name: str, base_url: str, client: httpx.AsyncClient, **overrides: Any
) -> Provider:
    """Construct ``name`` through the registry with fast, test-friendly polite settings."""
    cls = Registry().get("provider", name)
    config = {
        "base_url": base_url,
        "timeout": 2.0,
        "requests_per_second": None,
        "max_pause": 1.0,
        **overrides,
    }
    provider: Provider = cls(cls.config_model.model_validate(config), client)
    return provider


@pytest.fixture(scope="module", params=providers_with_fake_sites())
def site_server(request: pytest.FixtureRequest) -> Iterator[RunningSite]:
    """One loopback fake site per registered provider, shared by a module's tests."""
    with serve_site(request.param, CONFORMANCE_TITLES, CONFORMANCE_SEED) as running:
        yield running


@pytest.fixture
def site(site_server: RunningSite) -> Iterator[RunningSite]:
    """The module's fake site with no faults and zeroed counters."""
    site_server.faults.clear()
    site_server.faults.reset_counters()
    yield site_server
    site_server.faults.clear()
    site_server.faults.reset_counters()
