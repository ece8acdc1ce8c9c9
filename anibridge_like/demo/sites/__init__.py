"""Fake provider sites: Starlette apps rendering a :class:`GeneratedCatalog` in each real site's
page structure, with fault injection (:mod:`anibridge_like.demo.faults`).

Each module ``demo/sites/<provider>.py`` exposes ``build_app(catalog, faults) -> Starlette``;
:func:`build_site_app` picks it by provider name (imported on first use). Demo mode serves these
apps; tests reach them through ``httpx.ASGITransport`` or a loopback server.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.faults import FaultController, FaultMiddleware

SITE_PROVIDERS: tuple[str, ...] = ("aniworld", "sto", "megakino")


def build_site_app(
    provider: str, catalog: GeneratedCatalog, faults: FaultController | None = None
) -> Starlette:
    """The fake site of ``provider`` serving ``catalog`` (a new controller when none is given)."""
    if provider not in SITE_PROVIDERS:
        raise ValueError(f"no fake site for {provider!r} (known: {', '.join(SITE_PROVIDERS)})")
    module = importlib.import_module(f"{__name__}.{provider}")
    controller = faults or FaultController()
    app: Starlette = module.build_app(catalog, controller)
    app.state.catalog = catalog
    app.state.faults = controller
    return app


def site_app(
    routes: Sequence[BaseRoute], catalog: GeneratedCatalog, faults: FaultController
) -> Starlette:
    """A fake site's Starlette app: ``routes`` behind the fault middleware (and its control
    routes ``/__faults`` and ``/__counters``); ``app.state`` holds ``catalog`` and ``faults``.
    Renderers read their render-level faults with :func:`~anibridge_like.demo.faults.render_faults`
    (``render_faults(request.scope)``)."""
    app = Starlette(routes=list(routes), middleware=[Middleware(FaultMiddleware, faults=faults)])
    app.state.catalog = catalog
    app.state.faults = faults
    return app
