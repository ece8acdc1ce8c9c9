"""The application context: every long-lived part, owned by the lifespan's AsyncExitStack.

Routes reach it as ``request.app.state.ctx``; jobs and services receive it explicitly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from anibridge_like.plugins.registry import Registry
from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from anibridge_like.jobs.pacing import ServingActivity
    from anibridge_like.jobs.runner import JobRunner
    from anibridge_like.libraries.model import Library
    from anibridge_like.plugins.manager import PluginManager
    from anibridge_like.seed import Seed


@dataclass
class AppContext:
    settings: Settings
    seed: Seed
    registry: Registry
    writer: Writer
    readers: ReaderPool
    http: httpx.AsyncClient
    """Shared outbound client (plugins get it; per-host limits are the plugins' own)."""
    scheduler: AsyncIOScheduler
    started_at: float = field(default_factory=time.monotonic)
    services: dict[str, Any] = field(default_factory=dict)
    """Long-lived services by name (``catalog`` …), each registered on the exit stack."""
    libraries: tuple[Library, ...] = ()
    """The libraries as the database holds them (loaded after every seed reconcile)."""
    plugins: PluginManager | None = None
    """Every plugin instance, built once per reload (:mod:`anibridge_like.plugins.manager`)."""
    jobs: JobRunner | None = None
    """The one jobs runner (:mod:`anibridge_like.jobs.runner`); ``None`` without services."""
    serving: ServingActivity | None = None
    """Requests in flight (:mod:`anibridge_like.jobs.pacing`): background work yields to them."""
