"""Admin routes for canonical works and metadata refresh (admin key required).

=======  ==============================================  =======================================
method   path                                            answer
=======  ==============================================  =======================================
GET      /api/v1/metadata/field-groups                   200 ``{"groups": [{id, label, fields}]}``
GET      /api/v1/works/{key}                             200 the work: every field, its locks,
                                                         episodes and provider titles; 404
PATCH    /api/v1/works/{key}/locks                       200 ``{"locked_fields"}``; body
                                                         ``{"lock": [..], "unlock": [..]}``;
                                                         422 unknown field
POST     /api/v1/libraries/{slug}/jobs/{id}/dry-run      200 the preview (:mod:`~anibridge_like.
                                                         works.dry_run`); body ``{"config",
                                                         "sample_size", "work_ids"}`` all
                                                         optional; 422 bad body or config; 409
                                                         not a metadata_refresh job
=======  ==============================================  =======================================

A work key is ``tvdb:<id>``, ``tmdb:<id>`` or ``imdb:<tt…>``.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from anibridge_like.api.jobs import _body, _ctx, _job
from anibridge_like.jobs.spec import loc_path
from anibridge_like.storage.timestamps import now_iso
from anibridge_like.works.dry_run import DryRunRequest, preview
from anibridge_like.works.fields import FIELDS, catalogue
from anibridge_like.works.refresh_config import MetadataRefreshConfig
from anibridge_like.works.store import load_works, set_locks_unit


def _invalid(exc: ValidationError, prefix: str = "") -> JSONResponse:
    issues = [
        {"path": loc_path((*((prefix,) if prefix else ()), *e["loc"])), "message": e["msg"]}
        for e in exc.errors()
    ]
    return JSONResponse({"error": "invalid request", "issues": issues}, status_code=422)


async def field_groups(request: Request) -> JSONResponse:
    """The field groups of canonical works (id, label, fields) that metadata_refresh jobs and
    locks name."""
    _ctx(request)
    return JSONResponse({"groups": catalogue()})


async def get_work(request: Request) -> JSONResponse:
    """One canonical work (tvdb:N, tmdb:N, imdb:ttN): every field, locks, episodes, titles.

    The provider titles listed are those whose served mapping points at the work."""
    ctx = _ctx(request)
    key = request.path_params["key"]
    found = (await load_works(ctx.readers, [key])).get(key)
    if found is None:
        raise HTTPException(404, f"no work {key[:40]!r}")
    titles = await ctx.readers.fetchall(
        "SELECT t.site, t.slug, t.title, t.gone FROM title_works tw JOIN titles t"
        " ON t.id = tw.title_id WHERE tw.work = ? ORDER BY t.site, t.slug",
        (key,),
    )
    body: dict[str, Any] = {"key": found.key, "kind": found.kind}
    body.update({name: found.values.get(name) for name in FIELDS if name != "episodes"})
    body["episodes"] = [
        dict(
            zip(("season", "episode", "absolute", "title", "air_date", "runtime"), e, strict=False)
        )
        | {"special": bool(e[6])}
        for e in found.values["episodes"]
    ]
    body["locked_fields"] = [f for f in FIELDS if f in found.locks]
    body["provider_titles"] = [
        {"site": r[0], "slug": r[1], "title": r[2], "gone": bool(r[3])} for r in titles
    ]
    body.update(found.meta)
    return JSONResponse(body)


async def patch_locks(request: Request) -> JSONResponse:
    """Lock or unlock fields of a work: body {"lock": [fields], "unlock": [fields]}.

    A locked field is never written, by the canonical stage or a refresh; a dry-run lists it
    as skipped (reason locked)."""
    ctx = _ctx(request)
    key = request.path_params["key"]
    body = await _body(request)
    if not isinstance(body, dict) or set(body) - {"lock", "unlock"}:
        raise HTTPException(422, 'expected {"lock": [fields], "unlock": [fields]}')
    lock, unlock = body.get("lock", []), body.get("unlock", [])
    for name, value in (("lock", lock), ("unlock", unlock)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise HTTPException(422, f"{name} must be a list of field names")
        unknown = [v for v in value if v not in FIELDS]
        if unknown:
            return JSONResponse(
                {
                    "error": f"unknown field(s) in {name}: {', '.join(unknown)[:200]}",
                    "fields": list(FIELDS),
                },
                status_code=422,
            )
    locks = await ctx.writer.run(set_locks_unit(key, lock, unlock, now_iso()), label="works.locks")
    if locks is None:
        raise HTTPException(404, f"no work {key[:40]!r}")
    return JSONResponse({"key": key, "locked_fields": locks})


async def dry_run(request: Request) -> JSONResponse:
    """Preview a metadata_refresh job: real metadata calls for a sample, writes nothing.

    Body (all optional): config (keys replacing the job's), sample_size (1-20, default 5),
    work_ids. Answers per sampled work field: before → after, skipped fields with reasons, and
    totals over the whole plan."""
    ctx = _ctx(request)
    job = await _job(ctx, request)
    if job.type != "metadata_refresh":
        return JSONResponse(
            {
                "error": f"job {job.name!r} is a {job.type} job; dry-run previews metadata_refresh"
                ' jobs (run others with POST …/run {"dry_run": true})'
            },
            status_code=409,
        )
    try:
        options = DryRunRequest.model_validate(await _body(request))
    except ValidationError as exc:
        return _invalid(exc)
    try:
        config = MetadataRefreshConfig.model_validate({**job.config, **(options.config or {})})
    except ValidationError as exc:
        return _invalid(exc, "config")
    library = next((lib for lib in ctx.libraries if lib.slug == job.library), None)
    if library is None or ctx.plugins is None:
        return JSONResponse({"error": "the library or the plugins are not loaded"}, 503)
    answer = await preview(ctx, library, config, options)
    return JSONResponse({"job": job.id, "dry_run": True, **answer})


routes = [
    Route("/api/v1/metadata/field-groups", field_groups, methods=["GET"]),
    Route("/api/v1/works/{key}", get_work, methods=["GET"]),
    Route("/api/v1/works/{key}/locks", patch_locks, methods=["PATCH"]),
    Route("/api/v1/libraries/{slug}/jobs/{job_id}/dry-run", dry_run, methods=["POST"]),
]
