"""The POST routes of the web UI. Each checks the CSRF token first (403 page when it is missing
or wrong), then the admin session, then calls the same function the admin API calls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from anibridge_like.api import auth
from anibridge_like.api.lockout import client_address
from anibridge_like.context import AppContext
from anibridge_like.downloads import store
from anibridge_like.jobs.store import JobRunningError, load_jobs
from anibridge_like.plugins.errors import PluginError
from anibridge_like.plugins.manager import PluginInstance
from anibridge_like.web import pages, security
from anibridge_like.web.preview import PREVIEWS
from anibridge_like.web.templating import render

log = structlog.get_logger(__name__)

Action = Callable[[Request, AppContext, FormData], Awaitable[Response]]
_MAX_FORM_BYTES = 16_384


def _forbidden(request: Request) -> Response:
    return render(
        request,
        "error.html",
        {
            "title": "Form refused",
            "message": "This form expired or was sent from another site (CSRF check failed)."
            " Reload the page and try again.",
        },
        status_code=403,
    )


async def _form(request: Request) -> FormData | None:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > _MAX_FORM_BYTES):
        return None
    return await request.form(max_files=0, max_fields=20)


def action(handler: Action, *, admin: bool = True) -> Callable[[Request], Awaitable[Response]]:
    async def call(request: Request) -> Response:
        ctx: AppContext = request.app.state.ctx
        form = await _form(request)
        if form is None or not security.csrf_ok(request, form.get("csrf")):
            log.info("web.csrf_refused", path=request.url.path)
            return _forbidden(request)
        if admin and not security.is_admin(request):
            if security.admin_key(request) is None:
                return render(
                    request, "disabled.html", {"title": "Admin pages are off"}, status_code=403
                )
            return RedirectResponse("/login", status_code=303)
        return await handler(request, ctx, form)

    return call


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


async def login(request: Request, ctx: AppContext, form: FormData) -> Response:
    target = security.local_path(str(form.get("next") or "/"))
    if security.admin_key(request) is None:
        return render(request, "disabled.html", {"title": "Admin pages are off"}, status_code=403)
    given = form.get("key")
    wait = auth.locked_out(request)
    if wait is not None:
        log.warning("web.login_locked_out", client=client_address(request), retry_after=wait)
        response = _login_error(
            request, target, f"Too many wrong keys from here. Try again in {wait} s.", 429
        )
        response.headers["Retry-After"] = str(wait)
        return response
    ok = isinstance(given, str) and security.key_matches(request, given)
    auth.note_key_attempt(request, ok)
    if not ok:
        log.info("web.login_failed", client=client_address(request))
        return _login_error(request, target, "That is not the admin key.", 401)
    response = _redirect(target)
    security.start_session(request, response, ctx.settings.web_session_hours)
    log.info("web.login")
    return response


def _login_error(request: Request, target: str, error: str, status: int) -> Response:
    context = {"title": "Log in", "next": target, "error": error, "notice": None}
    return render(request, "login.html", context, status_code=status)


async def logout(request: Request, ctx: AppContext, form: FormData) -> Response:
    response = _redirect("/login?notice=logged-out")
    security.end_session(request, response)
    return response


async def run_job(request: Request, ctx: AppContext, form: FormData) -> Response:
    raw = request.path_params["job_id"]
    found = await load_jobs(ctx.readers, job_id=int(raw)) if raw.isdigit() else []
    if not found:
        return await pages.job(request, ctx)  # renders the 404
    job = found[0]
    dry_run = form.get("dry_run") == "1"
    if dry_run and job.type in PREVIEWS:
        result = await PREVIEWS[job.type](ctx, job)
        log.info("web.job_preview", job=job.name, changes=len(result.get("changes", [])))
        return await pages.job(request, ctx, preview=result)
    if ctx.jobs is None:
        return await pages.job(
            request, ctx, notice="The jobs runner is not running.", status_code=503
        )
    try:
        run_id = await ctx.jobs.run_now(job.id, "manual", dry_run=dry_run)
    except JobRunningError as busy:
        suffix = f" (run #{busy.run_id})" if busy.run_id is not None else ""
        return await pages.job(
            request, ctx, notice=f"Already running{suffix}: not started again.", status_code=409
        )
    except KeyError:
        return await pages.job(
            request, ctx, notice="This job is not scheduled yet.", status_code=409
        )
    log.info("web.job_run", job=job.name, run_id=run_id, dry_run=dry_run)
    notice = "dry-run-started" if dry_run else "started"
    return _redirect(f"/jobs/{job.id}?notice={notice}")


async def delete_download(request: Request, ctx: AppContext, form: FormData) -> Response:
    infohash = request.path_params["infohash"]
    row = await store.get_download(ctx.readers, infohash)
    if row is not None:
        service = ctx.services.get("downloads")
        if service is not None:
            await service.stop(row.hash)
        await ctx.writer.run(store.delete_unit([row.hash]), label="web.download_delete")
        log.info("web.download_deleted", download=row.hash)
    return _redirect("/downloads?notice=deleted")


async def retry_download(request: Request, ctx: AppContext, form: FormData) -> Response:
    infohash = request.path_params["infohash"]
    changed = await ctx.writer.run(
        store.set_state_unit([infohash], "queued", only_from=("failed", "paused")),
        label="web.download_retry",
    )
    if not changed:
        return _redirect("/downloads?notice=not-retryable")
    service = ctx.services.get("downloads")
    if service is not None:
        service.enqueue(infohash)
    log.info("web.download_retried", download=infohash)
    return _redirect("/downloads?notice=retried")


async def _check_media_server(plugin: Any) -> str:
    status = await plugin.check_connection()
    return f"Connected to {status.name} {status.version}".strip()


CHECKS: dict[str, Callable[[Any], Awaitable[str]]] = {"media_server": _check_media_server}
"""Plugin kinds whose contract has a connection check, and how to call it (by kind, never by
implementation name). The plugins page offers "Test connection" for these kinds."""


async def test_plugin(request: Request, ctx: AppContext, form: FormData) -> Response:
    name = request.path_params["name"]
    manager = ctx.plugins
    if manager is None or name not in manager.names():
        return await pages.plugins(
            request, ctx, notice=f"No plugin instance {name[:60]!r}.", status_code=404
        )
    instance: PluginInstance[Any] = manager.get(name)
    check = CHECKS.get(instance.kind)
    if check is None:
        return await pages.plugins(
            request,
            ctx,
            notice=f"{instance.kind} plugins have no connection check.",
            status_code=400,
        )
    try:
        async with asyncio.timeout(ctx.settings.http_timeout + 5):
            message = await manager.call(instance, check, job="web.test_connection")
    except PluginError as error:
        message = f"{name}: failed ({error.code}): {error.message}"
    except TimeoutError:
        message = f"{name}: no answer in time"
    else:
        message = f"{name}: {message}"
    log.info("web.plugin_tested", plugin=name, result=message)
    return await pages.plugins(request, ctx, notice=message)
