"""Admin routes for a library's jobs (admin key required).

=======  ===========================================  ==========================================
method   path                                         answer
=======  ===========================================  ==========================================
GET      /api/v1/libraries/{slug}/jobs                200 ``{"jobs": [...]}`` (with next_run_at)
POST     /api/v1/libraries/{slug}/jobs                201 the job; 422 ``{"error", "issues"}``;
                                                      409 the name is taken
GET      /api/v1/libraries/{slug}/jobs/{id}           200 the job
PATCH    /api/v1/libraries/{slug}/jobs/{id}           200 the job (fields absent = kept;
                                                      ``timezone``/``cron`` null = cleared;
                                                      ``config`` replaced whole; ``type`` fixed)
DELETE   /api/v1/libraries/{slug}/jobs/{id}           204
POST     /api/v1/libraries/{slug}/jobs/{id}/run       202 ``{"run_id"}``; 409 ``{"error",
                                                      "run_id"}`` with the active run's id;
                                                      body ``{"dry_run": true}`` optional
GET      /api/v1/libraries/{slug}/jobs/{id}/runs      200 ``{"runs": [...]}`` newest first
                                                      (``?limit=`` 1–200, default 50)
=======  ===========================================  ==========================================

Unknown library or job (or a job of another library): 404. Jobs the seed manages answer 409 to
PATCH and DELETE (change the seed instead). Every change reschedules that one job. Run routes
answer 503 while the jobs runner is not running.
"""

from __future__ import annotations

import json
from typing import Any

import aiosqlite
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from anibridge_like.api.auth import require_admin
from anibridge_like.context import AppContext
from anibridge_like.jobs.model import JobRow
from anibridge_like.jobs.spec import JobSpec, parse_job
from anibridge_like.jobs.store import JobRunningError, list_runs, load_jobs
from anibridge_like.storage.timestamps import iso, now_iso


def _ctx(request: Request) -> AppContext:
    require_admin(request)
    ctx: AppContext = request.app.state.ctx
    return ctx


async def _library_id(ctx: AppContext, slug: str) -> int:
    row = await ctx.readers.fetchone("SELECT id FROM libraries WHERE slug = ?", (slug,))
    if row is None:
        raise HTTPException(404, f"no library named {slug[:60]!r}")
    return int(row[0])


async def _job(ctx: AppContext, request: Request) -> JobRow:
    slug = request.path_params["slug"]
    await _library_id(ctx, slug)
    raw = request.path_params["job_id"]
    found = await load_jobs(ctx.readers, job_id=int(raw)) if raw.isdigit() else []
    if not found or found[0].library != slug:
        raise HTTPException(404, f"no job {raw[:20]!r} in library {slug!r}")
    return found[0]


def _view(ctx: AppContext, job: JobRow) -> dict[str, Any]:
    runner = ctx.jobs
    body = job.public()
    body["next_run_at"] = iso(runner.next_fire_time(job.id)) if runner else None
    body["running"] = bool(runner and runner.is_running(job.id))
    body["schedule_error"] = runner.errors.get(job.id) if runner else None
    return body


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None


def _invalid(issues: list[tuple[str, str]]) -> JSONResponse:
    return JSONResponse(
        {
            "error": "invalid job",
            "issues": [{"path": path, "message": msg} for path, msg in issues],
        },
        status_code=422,
    )


async def _reschedule(ctx: AppContext, job_id: int) -> JobRow | None:
    if ctx.jobs is not None:
        return await ctx.jobs.reschedule(job_id)
    found = await load_jobs(ctx.readers, job_id=job_id)
    return found[0] if found else None


async def list_jobs(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    slug = request.path_params["slug"]
    await _library_id(ctx, slug)
    jobs = await load_jobs(ctx.readers, library=slug)
    return JSONResponse({"jobs": [_view(ctx, job) for job in jobs]})


async def create_job(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    library_id = await _library_id(ctx, request.path_params["slug"])
    spec, issues = parse_job(await _body(request))
    if spec is None or issues:
        return _invalid(issues)
    stamp = now_iso()

    async def unit(conn: aiosqlite.Connection) -> int | None:
        taken = list(
            await conn.execute_fetchall(
                "SELECT 1 FROM jobs WHERE library_id = ? AND name = ?", (library_id, spec.name)
            )
        )
        if taken:
            return None
        cursor = await conn.execute(
            "INSERT INTO jobs(library_id, type, name, cron, timezone, enabled, config,"
            " managed_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'api', ?, ?)",
            (
                library_id,
                spec.type,
                spec.name,
                spec.cron,
                spec.timezone,
                int(spec.enabled),
                json.dumps(spec.config, sort_keys=True),
                stamp,
                stamp,
            ),
        )
        return cursor.lastrowid

    job_id = await ctx.writer.run(unit, label="api.job_create")
    if job_id is None:
        return JSONResponse({"error": f"a job named {spec.name!r} exists"}, status_code=409)
    job = await _reschedule(ctx, job_id)
    assert job is not None
    return JSONResponse(_view(ctx, job), status_code=201)


async def get_job(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    return JSONResponse(_view(ctx, await _job(ctx, request)))


def _refuse_seed(job: JobRow) -> None:
    if job.managed_by == "seed":
        raise HTTPException(409, f"job {job.name!r} is managed by the seed file; change it there")


async def patch_job(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    job = await _job(ctx, request)
    _refuse_seed(job)
    changes = await _body(request)
    if not isinstance(changes, dict):
        return _invalid([("<root>", "expected a JSON object")])
    if "type" in changes and changes["type"] != job.type:
        return _invalid([("type", "the type of a job cannot change (create another job)")])
    current = {
        "name": job.name,
        "type": job.type,
        "cron": job.cron,
        "timezone": job.timezone,
        "enabled": job.enabled,
        "config": job.config,
    }
    spec, issues = parse_job({**current, **changes})
    if spec is None or issues:
        return _invalid(issues)
    outcome = await ctx.writer.run(_update_unit(job.id, spec), label="api.job_patch")
    if outcome == "taken":
        return JSONResponse({"error": f"a job named {spec.name!r} exists"}, status_code=409)
    updated = await _reschedule(ctx, job.id)
    if updated is None:
        raise HTTPException(404, "the job was deleted meanwhile")
    return JSONResponse(_view(ctx, updated))


def _update_unit(job_id: int, spec: JobSpec) -> Any:
    async def unit(conn: aiosqlite.Connection) -> str:
        taken = list(
            await conn.execute_fetchall(
                "SELECT 1 FROM jobs WHERE name = ? AND id != ? AND library_id ="
                " (SELECT library_id FROM jobs WHERE id = ?)",
                (spec.name, job_id, job_id),
            )
        )
        if taken:
            return "taken"
        await conn.execute(
            "UPDATE jobs SET name = ?, cron = ?, timezone = ?, enabled = ?, config = ?,"
            " updated_at = ? WHERE id = ?",
            (
                spec.name,
                spec.cron,
                spec.timezone,
                int(spec.enabled),
                json.dumps(spec.config, sort_keys=True),
                now_iso(),
                job_id,
            ),
        )
        return "ok"

    return unit


async def delete_job(request: Request) -> Response:
    ctx = _ctx(request)
    job = await _job(ctx, request)
    _refuse_seed(job)
    await ctx.writer.execute("DELETE FROM jobs WHERE id = ?", (job.id,))
    await _reschedule(ctx, job.id)
    return Response(status_code=204)


async def run_job(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    job = await _job(ctx, request)
    body = await _body(request)
    dry_run = isinstance(body, dict) and body.get("dry_run") is True
    if ctx.jobs is None:
        return JSONResponse({"error": "the jobs runner is not running"}, status_code=503)
    try:
        run_id = await ctx.jobs.run_now(job.id, "manual", dry_run=dry_run)
    except JobRunningError as busy:
        return JSONResponse(
            {"error": f"job {job.name!r} is already running", "run_id": busy.run_id},
            status_code=409,
        )
    except KeyError:
        raise HTTPException(404, f"job {job.id} is not loaded yet") from None
    return JSONResponse({"run_id": run_id}, status_code=202)


async def job_runs(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    job = await _job(ctx, request)
    raw = request.query_params.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise HTTPException(400, f"limit must be 1-200, got {raw[:20]!r}")
    return JSONResponse({"runs": await list_runs(ctx.readers, job.id, int(raw))})


_JOB = "/api/v1/libraries/{slug}/jobs/{job_id}"
routes = [
    Route("/api/v1/libraries/{slug}/jobs", list_jobs, methods=["GET"]),
    Route("/api/v1/libraries/{slug}/jobs", create_job, methods=["POST"]),
    Route(_JOB, get_job, methods=["GET"]),
    Route(_JOB, patch_job, methods=["PATCH"]),
    Route(_JOB, delete_job, methods=["DELETE"]),
    Route(_JOB + "/run", run_job, methods=["POST"]),
    Route(_JOB + "/runs", job_runs, methods=["GET"]),
]
