"""The Starlette application. Its lifespan owns every long-lived part through one AsyncExitStack:
migrations → seed (validated, reconciled) → writer → readers → HTTP client → scheduler →
services. Shutdown unwinds the stack in reverse: services stop, the scheduler stops, the writer
drains its queue last."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from anibridge_like import __version__
from anibridge_like.api import admin, health
from anibridge_like.api.limits import BodyLimitMiddleware
from anibridge_like.api.lockout import KeyGuessLimiter
from anibridge_like.api.requestlog import RequestLog
from anibridge_like.context import AppContext
from anibridge_like.jobs.pacing import ServingActivity
from anibridge_like.libraries.snapshot import load_libraries
from anibridge_like.plugins.inline_secrets import install_key
from anibridge_like.plugins.isolation.remote import PluginWorker, worker_options
from anibridge_like.plugins.manager import PluginManager
from anibridge_like.plugins.registry import Registry
from anibridge_like.reconcile import make_reconcile_unit
from anibridge_like.redaction import register_configured_secrets
from anibridge_like.seed import Seed, load_seed
from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.migrate import apply_migrations
from anibridge_like.storage.writer import Writer
from anibridge_like.sync.service import WantedService

log = structlog.get_logger(__name__)


def _routes() -> list[BaseRoute]:
    from anibridge_like.api.catalog import routes as catalog_routes
    from anibridge_like.api.gaps import routes as gap_routes
    from anibridge_like.api.jobs import routes as job_routes
    from anibridge_like.api.mappings import routes as mapping_routes
    from anibridge_like.api.openapi import routes as openapi_routes
    from anibridge_like.api.recommendations import routes as recommendation_routes
    from anibridge_like.api.wanted import routes as wanted_routes
    from anibridge_like.api.works import routes as work_routes
    from anibridge_like.downloads.api import routes as download_routes
    from anibridge_like.downloads.stream import routes as stream_routes
    from anibridge_like.torznab.routes import routes as torznab_routes
    from anibridge_like.web.routes import routes as web_routes

    return [
        *health.routes,
        *admin.routes,
        *catalog_routes,
        *job_routes,
        *mapping_routes,
        *openapi_routes,
        *work_routes,
        *torznab_routes,
        *wanted_routes,
        *recommendation_routes,
        *gap_routes,
        *download_routes,
        *stream_routes,
        *web_routes,
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def create_app(
    settings: Settings,
    *,
    seed: Seed | None = None,
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
    start_services: bool = True,
) -> Starlette:
    """Build the app. ``start_services=False`` skips background services (catalog scheduling);
    the database, writer, readers and routes still come up."""
    reg = registry or Registry()
    serving = ServingActivity()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            await asyncio.to_thread(apply_migrations, settings.database_path)
            the_seed = (
                seed if seed is not None else load_seed(settings.resolved_seed_path(), reg, environ)
            )
            register_configured_secrets(settings, the_seed)  # scrubbed from every log line
            writer = Writer(settings.database_path, queue_size=settings.writer_queue_size)
            await stack.enter_async_context(writer)
            secret_key = await asyncio.to_thread(install_key, settings)
            report = await writer.run(
                make_reconcile_unit(
                    the_seed,
                    reg,
                    environ,
                    allow_empty=settings.allow_empty_seed,
                    secret_key=secret_key,
                ),
                label="seed.reconcile",
            )
            log.info(
                "seed.reconciled",
                added=report.added,
                changed=report.changed,
                removed=report.removed,
                kept_api_jobs=report.kept,
            )
            readers = ReaderPool(settings.database_path, settings.reader_connections)
            await stack.enter_async_context(readers)
            http = httpx.AsyncClient(
                timeout=settings.http_timeout,
                headers={"User-Agent": settings.http_user_agent},
                follow_redirects=False,
            )
            await stack.enter_async_context(http)
            worker = None
            if settings.plugin_isolation == "process":
                worker = PluginWorker(worker_options(settings))
                stack.push_async_callback(worker.aclose)
            plugins = PluginManager(reg, http, environ, worker)
            await plugins.reload(readers)
            scheduler = AsyncIOScheduler(timezone=settings.timezone)
            scheduler.start()
            stack.callback(scheduler.shutdown, wait=False)
            ctx = AppContext(
                settings=settings,
                seed=the_seed,
                registry=reg,
                writer=writer,
                readers=readers,
                http=http,
                scheduler=scheduler,
                libraries=await load_libraries(readers),
                plugins=plugins,
                serving=serving,
            )
            app.state.ctx = ctx
            ctx.services["wanted"] = await stack.enter_async_context(WantedService(ctx))
            if start_services:
                await _start_services(ctx, stack)
            log.info(
                "app.started",
                version=__version__,
                database=str(settings.database_path),
                libraries=[lib.slug for lib in ctx.libraries],
                plugins=[p.name for p in the_seed.plugins],
            )
            # What start-up built lives as long as the daemon: out of the collector's full
            # passes, which otherwise walk it all (a 60 ms pause, measured during a bootstrap).
            gc.freeze()
            try:
                yield
            finally:
                gc.unfreeze()
            log.info("app.stopping")

    app = Starlette(
        routes=_routes(),
        # Outermost first: the request log also records requests the body limit refuses.
        middleware=[
            Middleware(RequestLog, info=settings.request_log, activity=serving),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error},
    )
    app.state.key_limiter = KeyGuessLimiter(
        settings.admin_key_max_failures, settings.admin_key_failure_window_seconds
    )
    return app


async def _start_services(ctx: AppContext, stack: AsyncExitStack) -> None:
    """The jobs runner first (it owns every scheduled job), then the services whose work runs
    as jobs; the stack stops them in reverse."""
    from anibridge_like.catalog.service import CatalogService
    from anibridge_like.jobs.runner import JobRunner

    ctx.jobs = await stack.enter_async_context(JobRunner(ctx))
    service: Any = await stack.enter_async_context(CatalogService(ctx))
    ctx.services["catalog"] = service
    from anibridge_like.downloads.service import DownloadService

    ctx.services["downloads"] = await stack.enter_async_context(DownloadService(ctx))
