"""The catalog's readiness report: ``/health/catalog`` and the summary inside ``/health``.

Persisted state (``stage_state``) says what is true across restarts; the service's live progress
adds what only the running process knows (rate, ETA, current item, queue depth, writer lag).
Titles whose details keep failing are listed per instance (``failing_titles``: how many, when the
next of them is retried, the latest error): a stage can be ``ready`` while some of its titles
still wait for their own retry.

Readiness vocabulary:

* an instance is **ready** when its title listing was promoted at least once;
* a library is ready when its Torznab endpoint serves: the one rule of
  :mod:`anibridge_like.libraries.readiness` (an instance in its scope has its title listing done
  and a release of the library's kind indexed, or its detail stage done);
* the catalog is **ready** when every enabled provider instance is ready, **complete** when every
  stage of every instance is ``ready`` and no refresh runs, and **bootstrapping** while some stage
  of some enabled instance has never been ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from anibridge_like.catalog.state import StageStatus, iso
from anibridge_like.jobs.store import load_jobs
from anibridge_like.libraries.readiness import READY_LIBRARIES_SQL
from anibridge_like.libraries.scope import in_scope
from anibridge_like.plugins.instances import load_instances

if TYPE_CHECKING:
    from anibridge_like.catalog.service import CatalogService
    from anibridge_like.context import AppContext

STAGES = ("title", "detail", "canonical")


def _service(ctx: AppContext) -> CatalogService | None:
    service: CatalogService | None = ctx.services.get("catalog")
    return service


def _stage_view(
    state: dict[str, Any] | None, live: dict[str, Any] | None, writer_lag: float
) -> dict[str, Any]:
    state = state or {}
    status = state.get("status") or StageStatus.PENDING.value
    listed = int(state.get("listed") or 0)
    persisted = int(state.get("persisted") or 0)
    failed = int(state.get("failed") or 0)
    total = int(state.get("total") or 0)
    percent: float | None = None
    if status == StageStatus.READY:
        percent = 100.0
    elif total > 0:
        percent = round(min(100.0, 100.0 * (persisted + failed) / total), 1)
    view: dict[str, Any] = {
        "status": status,
        "listed": listed,
        "persisted": persisted,
        "failed": failed,
        "total": total,
        "percent": percent,
        "rate": 0.0,
        "eta_seconds": None,
        "queue_depth": 0,
        "writer_lag_seconds": None,
        "current": None,
        "note": None,
        "live_generation": state.get("live_generation"),
        "staging_generation": state.get("staging_generation"),
        "started_at": state.get("started_at"),
        "finished_at": state.get("finished_at"),
        "ready_at": state.get("ready_at"),
        "next_attempt_at": state.get("next_attempt_at"),
        "attempts": int(state.get("attempts") or 0),
        "last_error": state.get("last_error"),
    }
    if live is not None:
        running = live["status"] == StageStatus.RUNNING
        for key in ("rate", "eta_seconds", "queue_depth", "current", "note"):
            view[key] = live[key]
        if running:
            view["status"] = StageStatus.RUNNING.value
            for key in ("listed", "persisted", "failed", "total", "percent"):
                view[key] = live[key]
            view["total_estimated"] = live["total_estimated"]
            view["writer_lag_seconds"] = round(writer_lag, 3)
    return view


async def catalog_snapshot(ctx: AppContext) -> dict[str, Any]:
    """The full report (one reader connection, a few cheap queries)."""
    async with ctx.readers.connection() as conn:
        instances = [
            dict(r)
            for r in await conn.execute_fetchall(
                "SELECT id, name, implementation, site, enabled, all_libraries,"
                " refresh_interval_hours, refresh_cron FROM plugin_instances"
                " WHERE kind = 'provider' ORDER BY name"
            )
        ]
        states = {
            (r["instance"], r["stage"]): dict(r)
            for r in await conn.execute_fetchall("SELECT * FROM stage_state")
        }
        libraries = [
            dict(r)
            for r in await conn.execute_fetchall("SELECT id, slug, name, kind FROM libraries")
        ]
        scopes = {r.name: r.libraries for r in await load_instances(conn, "provider")}
        ready_libraries = {str(r[0]) for r in await conn.execute_fetchall(READY_LIBRARIES_SQL)}
        counts = {
            r[0]: int(r[1])
            for r in await conn.execute_fetchall(
                "SELECT site, COUNT(*) FROM titles WHERE gone = 0 GROUP BY site"
            )
        }
        failing = {
            r[0]: {"count": int(r[1]), "next_retry_at": r[2], "last_error": r[3]}
            for r in await conn.execute_fetchall(
                "SELECT t.site, COUNT(*), MIN(s.detail_next_at),"
                " (SELECT s2.detail_error FROM title_state s2 JOIN titles t2"
                "  ON t2.id = s2.title_id WHERE t2.site = t.site AND t2.gone = 0"
                "  AND s2.detail_status = 'failed' ORDER BY s2.detail_next_at DESC LIMIT 1)"
                " FROM titles t JOIN title_state s ON s.title_id = t.id"
                " WHERE t.gone = 0 AND s.detail_status = 'failed' GROUP BY t.site"
            )
        }
    service = _service(ctx)
    writer = ctx.writer
    lag = writer.stats.last_lag_seconds
    running = set(service.running()) if service is not None else set()
    out_instances: list[dict[str, Any]] = []
    ready_names: set[str] = set()
    complete = not running
    bootstrapping = False
    for inst in instances:
        name = inst["name"]
        site = inst["site"]
        if service is not None and name in service.specs:
            site = service.site(name)
        stages: dict[str, Any] = {}
        for stage in STAGES:
            live = None
            if service is not None:
                progress = service.board.find(name, stage)
                live = progress.snapshot() if progress is not None else None
            stages[stage] = _stage_view(states.get((name, stage)), live, lag)
        enabled = bool(inst["enabled"])
        ready = bool(stages["title"]["ready_at"])
        if ready:
            ready_names.add(name)
        if enabled:
            complete = complete and all(v["status"] == StageStatus.READY for v in stages.values())
            bootstrapping = bootstrapping or any(not v["ready_at"] for v in stages.values())
        out_instances.append(
            {
                "instance": name,
                "implementation": inst["implementation"],
                "site": site,
                "enabled": enabled,
                "ready": ready,
                "running": name in running,
                "titles": counts.get(site, 0),
                "failing_titles": failing.get(
                    site, {"count": 0, "next_retry_at": None, "last_error": None}
                ),
                "refresh_interval_hours": inst["refresh_interval_hours"],
                "refresh_cron": inst["refresh_cron"],
                "next_run_at": iso(service.next_run_at(name)) if service is not None else None,
                "stages": stages,
            }
        )
    enabled_names = [i["name"] for i in instances if i["enabled"]]
    out_libraries = []
    for lib in libraries:
        members = [
            i["name"]
            for i in instances
            if i["enabled"] and i["name"] in scopes and in_scope(scopes[i["name"]], lib["slug"])
        ]
        out_libraries.append(
            {
                "library": lib["slug"],
                "name": lib["name"],
                "kind": lib["kind"],
                "ready": lib["slug"] in ready_libraries,
                "instances": members,
            }
        )
    return {
        "ready": bool(enabled_names) and all(n in ready_names for n in enabled_names),
        "complete": bool(enabled_names) and complete,
        "bootstrapping": bootstrapping,
        "running": sorted(running),
        "failing_titles": sum(i["failing_titles"]["count"] for i in out_instances),
        "writer": {
            "queue_depth": writer.queue_depth,
            "lag_seconds": round(lag, 3),
            "utilisation": round(writer.stats.utilisation, 3),
            "committed": writer.stats.committed,
        },
        "libraries": out_libraries,
        "instances": out_instances,
        "jobs": await jobs_report(ctx),
    }


async def jobs_report(ctx: AppContext) -> list[dict[str, Any]]:
    """Every job with its next fire time as the scheduler computed it and its last run."""
    runner = ctx.jobs
    if runner is None:
        return []
    out = []
    for job in await load_jobs(ctx.readers):
        out.append(
            {
                "id": job.id,
                "name": job.name,
                "type": job.type,
                "library": job.library,
                "instance": job.instance,
                "enabled": job.enabled,
                "cron": job.cron,
                "interval_hours": job.interval_hours,
                "timezone": runner.timezone_of(job),
                "next_run_at": iso(runner.next_fire_time(job.id)),
                "running": runner.is_running(job.id),
                "error": runner.errors.get(job.id),
                "last_run_at": job.last_run_at,
                "last_run_status": job.last_run_status,
                "last_run_message": job.last_run_message,
            }
        )
    return out


def catalog_summary(ctx: AppContext) -> dict[str, Any]:
    """Short summary for ``/health`` (no I/O: the service's cached state and live progress)."""
    service = _service(ctx)
    if service is None:
        return {"ready": False, "bootstrapping": True, "complete": False, "instances": {}}
    instances: dict[str, Any] = {}
    all_ready = bool(service.specs)
    complete = not service.running()
    for name in service.specs:
        stages: dict[str, str] = {}
        for stage in STAGES:
            progress = service.board.find(name, stage)
            state = service.states.get((name, stage)) or {}
            status = state.get("status") or StageStatus.PENDING.value
            if progress is not None and progress.status == StageStatus.RUNNING:
                status = StageStatus.RUNNING.value
            stages[stage] = status
            complete = complete and status == StageStatus.READY
        title = service.states.get((name, "title")) or {}
        ready = bool(title.get("ready_at"))
        all_ready = all_ready and ready
        instances[name] = {"ready": ready, "running": service.is_running(name), **stages}
    return {
        "ready": all_ready,
        "bootstrapping": service.bootstrapping,
        "complete": bool(service.specs) and complete,
        "instances": instances,
    }
