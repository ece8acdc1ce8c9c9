"""The metadata conformance suite's ground: one fake server per registered implementation, built
from the same generated catalogs the fake provider sites use."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from anibridge_like.demo.catalog import GeneratedCatalog, GenTitle
from anibridge_like.plugins.registry import Registry
from tests.fakes.anilist import FakeAniList
from tests.fakes.metadata_common import FakeControl
from tests.fakes.skyhook import FakeSkyHook
from tests.fakes.tmdb import FakeTmdb

ANIME = GeneratedCatalog("aniworld", 60, seed=3)
SERIES = GeneratedCatalog("sto", 60, seed=3)
MOVIES = GeneratedCatalog("megakino", 60, seed=3)


@dataclass(frozen=True)
class FakeSpec:
    """How to stand up an implementation against its fake."""

    build: Callable[[FakeControl], ASGIApp]
    config: dict[str, Any]
    """Instance config with ``{base}`` standing for the fake's root URL."""
    truth: Callable[[], list[tuple[GenTitle, str]]]
    """Generated titles the fake knows, each with its id in the plugin's namespace."""


def _series_truth() -> list[tuple[GenTitle, str]]:
    return [
        (t, str(t.tvdb_id))
        for t in [*ANIME, *SERIES]
        if t.tvdb_id is not None and t.kind == "series"
    ]


def _anilist_truth() -> list[tuple[GenTitle, str]]:
    return [
        (t, str(t.anilist_id)) for t in ANIME if t.anilist_id is not None and t.kind == "series"
    ]


def _movie_truth() -> list[tuple[GenTitle, str]]:
    return [(t, str(t.tmdb_id)) for t in MOVIES if t.kind == "movie" and t.tmdb_id is not None]


FAKES: dict[str, FakeSpec] = {
    "skyhook": FakeSpec(
        lambda c: FakeSkyHook(ANIME, SERIES, control=c).app,
        {"base_url": "{base}/v1/tvdb"},
        _series_truth,
    ),
    "anilist": FakeSpec(
        lambda c: FakeAniList(ANIME, control=c).app, {"base_url": "{base}/"}, _anilist_truth
    ),
    "tmdb": FakeSpec(
        lambda c: FakeTmdb(MOVIES, api_key="test-key", control=c).app,
        {"base_url": "{base}/3", "api_key": "test-key"},
        _movie_truth,
    ),
}
IMPLEMENTATIONS = Registry().names("metadata")


def configured(spec: FakeSpec, base: str, **overrides: Any) -> dict[str, Any]:
    config = {
        k: v.replace("{base}", base) if isinstance(v, str) else v for k, v in spec.config.items()
    }
    config.update(overrides)
    return config


@dataclass
class Harness:
    name: str
    impl: Any
    spec: FakeSpec
    control: FakeControl
    client: httpx.AsyncClient

    def plugin(self, **overrides: Any) -> Any:
        config = self.impl.config_model.model_validate(
            configured(self.spec, "http://fake.test", **overrides)
        )
        return self.impl(config, self.client)


@pytest.fixture(params=IMPLEMENTATIONS)
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    name: str = request.param
    spec = FAKES[name]
    control = FakeControl()
    transport = httpx.ASGITransport(app=spec.build(control))
    async with httpx.AsyncClient(transport=transport) as client:
        yield Harness(name, Registry().get("metadata", name), spec, control, client)
