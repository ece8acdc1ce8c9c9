"""A running app (real writer, readers, reconciled seed) with a small catalog and scripted sync
and recommendation plugins, for the core's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from anibridge_like.app import create_app
from anibridge_like.context import AppContext
from anibridge_like.plugins.errors import PluginError
from anibridge_like.plugins.recommendation import (
    Candidate,
    RecommendationCapabilities,
    RecommendationContext,
    Seed,
)
from anibridge_like.plugins.registry import Registry
from anibridge_like.plugins.sync import SyncCapabilities, SyncContext, SyncResult
from anibridge_like.seed import parse_seed
from anibridge_like.settings import Settings
from tests.plugin_doubles import EXTRA
from tests.torznab.conftest import Catalog, write_catalog

PLANS: dict[str, list[SyncResult | PluginError]] = {}
"""Plan name → what each call answers, in order (the last one repeats)."""
CALLS: list[tuple[str, SyncContext, str | None]] = []
RECS: dict[str, list[Candidate] | PluginError] = {}
REC_CALLS: list[tuple[str, RecommendationContext, list[Seed]]] = []


class ScriptConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: str


class ScriptedSync:
    capabilities: ClassVar[SyncCapabilities] = SyncCapabilities(
        kinds=frozenset({"series", "movie"}), paged=True
    )
    config_model: ClassVar[type[BaseModel]] = ScriptConfig

    def __init__(self, config: ScriptConfig, client: httpx.AsyncClient) -> None:
        self.plan = config.plan

    async def sync(self, ctx: SyncContext, cursor: str | None) -> SyncResult:
        CALLS.append((self.plan, ctx, cursor))
        steps = PLANS[self.plan]
        step = steps.pop(0) if len(steps) > 1 else steps[0]
        if isinstance(step, PluginError):
            raise step
        return step


class ScriptedRecs:
    capabilities: ClassVar[RecommendationCapabilities] = RecommendationCapabilities(
        namespace="anilist", kinds=frozenset({"series", "movie"})
    )
    config_model: ClassVar[type[BaseModel]] = ScriptConfig

    def __init__(self, config: ScriptConfig, client: httpx.AsyncClient) -> None:
        self.plan = config.plan

    async def recommend(self, ctx: RecommendationContext, seeds: Sequence[Seed]) -> list[Candidate]:
        REC_CALLS.append((self.plan, ctx, list(seeds)))
        answer = RECS[self.plan]
        if isinstance(answer, PluginError):
            raise answer
        return list(answer)


REGISTRY = Registry(
    extra={**EXTRA, "sync": {"script": ScriptedSync}, "recommendation": {"script": ScriptedRecs}}
)


def seed_data(
    plugins: list[dict[str, Any]], jobs: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "libraries": [
            {"slug": "anime", "kind": "anime", "languages": ["de_dub", "de_sub"],
             "jobs": jobs or []},
            {"slug": "series", "kind": "series", "languages": ["de_dub"]},
            {"slug": "movies", "kind": "movies", "languages": ["de_dub"]},
        ],
        "plugins": [
            {"name": "aw", "implementation": "echo", "kind": "provider",
             "config": {"site": "aniworld"}, "libraries": ["anime"]},
            {"name": "sto", "implementation": "echo", "kind": "provider",
             "config": {"site": "sto"}, "libraries": ["series"]},
            {"name": "mk", "implementation": "echo", "kind": "provider",
             "config": {"site": "megakino"}, "libraries": ["movies"]},
            *plugins,
        ],
    }  # fmt: skip


def script(name: str, plan: str, libraries: list[str] | None, kind: str = "sync") -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "implementation": "script",
        "kind": kind,
        "config": {"plan": plan},
    }
    if libraries is not None:
        entry["libraries"] = libraries
    return entry


@asynccontextmanager
async def running_app(
    settings: Settings,
    catalog: Catalog,
    plugins: list[dict[str, Any]],
    registry: Registry = REGISTRY,
    jobs: list[dict[str, Any]] | None = None,
) -> AsyncIterator[tuple[AppContext, httpx.AsyncClient]]:
    PLANS.clear()
    CALLS.clear()
    RECS.clear()
    REC_CALLS.clear()
    app = create_app(
        settings.model_copy(update={"admin_api_key": SecretStr("adm")}),
        seed=parse_seed(seed_data(plugins, jobs), registry, environ={}),
        registry=registry,
        environ={},
        start_services=False,
    )
    async with app.router.lifespan_context(app):
        ctx: AppContext = app.state.ctx
        await write_catalog(ctx.writer, catalog)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield ctx, client
