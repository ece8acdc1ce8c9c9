"""The read routes of the web UI. Every page but the overview needs the admin session; without
a configured admin key they explain how to enable it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from anibridge_like.catalog.report import catalog_snapshot
from anibridge_like.context import AppContext
from anibridge_like.mediaservers.status import media_server_states
from anibridge_like.web import lists, security, views
from anibridge_like.web.templating import render

DISABLED = "Admin pages are off"
GAP_PAGE = 50
DOWNLOADS_PAGE = 100
ACTIVE_RUNS = ("pending", "running")
Page = Callable[[Request, AppContext], Awaitable[Response]]

NOTICES = {
    "started": "The run started.",
    "dry-run-started": "The dry-run started; its result appears below when it finishes.",
    "deleted": "The download was removed.",
    "retried": "The download is queued again.",
    "not-retryable": "Only a failed or paused download can be retried.",
    "logged-out": "You are logged out.",
    "dismissed": "The recommendation is dismissed; it stays hidden after later refreshes.",
    "not-dismissed": "That is not a recommendation of this library.",
}
"""Fixed messages a redirect may name (``?notice=``); nothing from the URL is echoed."""


def notice_of(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("notice", ""))


def admin_only(page: Page) -> Callable[[Request], Awaitable[Response]]:
    """``page`` for an admin; the how-to-enable page without an admin key; else the login."""

    async def handler(request: Request) -> Response:
        ctx: AppContext = request.app.state.ctx
        if security.admin_key(request) is None:
            return render(
                request, "disabled.html", {"title": "Admin pages are off"}, status_code=403
            )
        if not security.is_admin(request):
            target = quote(request.url.path, safe="/")
            return RedirectResponse(f"/login?next={target}", status_code=303)
        return await page(request, ctx)

    return handler


async def overview(request: Request) -> Response:
    ctx: AppContext = request.app.state.ctx
    data = await views.overview(request, ctx)
    return render(request, "overview.html", {"title": "Overview", **data})


async def library(request: Request, ctx: AppContext) -> Response:
    slug = request.path_params["slug"]
    found = views.find_library(ctx, slug)
    if found is None:
        return render(
            request,
            "error.html",
            {"title": "No such library", "message": f"There is no library named “{slug[:60]}”."},
            status_code=404,
        )
    q = (request.query_params.get("q") or "").strip()[:200]
    result = await views.library_search(ctx, found, q) if q else None
    snapshot = await catalog_snapshot(ctx)
    row = next(r for r in views.library_rows(request, ctx, snapshot) if r["slug"] == slug)
    wanted, recommended = await lists.wanted_and_recommendations(ctx, slug)
    raw_offset = request.query_params.get("gaps", "0")
    offset = int(raw_offset) if raw_offset.isdigit() and len(raw_offset) < 10 else 0
    return render(
        request,
        "library.html",
        {
            "title": found.name,
            "notice": notice_of(request),
            "library": row,
            "q": q,
            "result": result,
            "gaps": await views.gaps(ctx, slug, offset, GAP_PAGE),
            "wanted": wanted,
            "recommended": recommended,
            "gap_page": GAP_PAGE,
        },
    )


async def jobs(request: Request, ctx: AppContext) -> Response:
    return render(
        request,
        "jobs.html",
        {
            "title": "Jobs",
            "jobs": await views.jobs(ctx),
            "notice": notice_of(request),
            "default_interval": ctx.settings.refresh_interval_hours,
        },
    )


async def job(
    request: Request,
    ctx: AppContext,
    *,
    notice: str | None = None,
    status_code: int = 200,
    preview: dict[str, Any] | None = None,
) -> Response:
    raw = request.path_params["job_id"]
    found = await views.job_detail(ctx, int(raw)) if raw.isdigit() else None
    if found is None:
        return render(
            request,
            "error.html",
            {"title": "No such job", "message": f"There is no job {raw[:20]!r}."},
            status_code=404,
        )
    report, runs = found
    return render(
        request,
        "job.html",
        {
            "title": f"Job {report['name']}",
            "page_url": f"/jobs/{report['id']}",
            "default_interval": ctx.settings.refresh_interval_hours,
            "job": report,
            "runs": [{**run, "view": views.summary_rows(run["summary"])} for run in runs],
            "notice": notice or notice_of(request),
            "preview": preview,
            "refresh": report["running"]
            or any(r["status"] in ("pending", "running") for r in runs),
        },
        status_code=status_code,
    )


async def job_page(request: Request, ctx: AppContext) -> Response:
    return await job(request, ctx)


async def downloads(request: Request, ctx: AppContext) -> Response:
    raw = request.query_params.get("page", "1")
    number = int(raw) if raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1
    page = await views.downloads(ctx, number, DOWNLOADS_PAGE)
    return render(
        request,
        "downloads.html",
        {
            "title": "Downloads",
            "downloads": page.items,
            "page": page,
            "notice": notice_of(request),
            "refresh": page.active > 0,
            "page_url": request.url.path + (f"?page={number}" if number > 1 else ""),
        },
    )


async def plugins(
    request: Request, ctx: AppContext, *, notice: str | None = None, status_code: int = 200
) -> Response:
    from anibridge_like.web.actions import CHECKS

    snapshot = await catalog_snapshot(ctx)
    return render(
        request,
        "plugins.html",
        {
            "title": "Plugins",
            "plugins": views.plugin_views(ctx, snapshot, await media_server_states(ctx.readers)),
            "checkable": sorted(CHECKS),
            "notice": notice,
            "page_url": "/plugins",
        },
        status_code=status_code,
    )


async def plugins_page(request: Request, ctx: AppContext) -> Response:
    return await plugins(request, ctx)


async def login_form(request: Request) -> Response:
    return render(
        request,
        "login.html",
        {
            "title": "Log in",
            "next": security.local_path(request.query_params.get("next")),
            "error": None,
            "notice": notice_of(request),
        },
    )
