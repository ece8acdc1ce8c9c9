"""The dry-run preview of a ``metadata_refresh`` job: real metadata calls for a sample of the
plan, per sampled work ``field: before → after`` and the skipped fields with their reasons,
totals over the whole plan — and no write of any kind (no writer unit, no metadata cache row,
no ``job_runs`` row, no ``work_sync`` stamp)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from anibridge_like.libraries.model import Library
from anibridge_like.works.planner import PlannedWork
from anibridge_like.works.refresh import Caller, refresh_work
from anibridge_like.works.refresh_config import MetadataRefreshConfig
from anibridge_like.works.refresh_job import make_plan
from anibridge_like.works.store import load_works
from anibridge_like.works.values import show_change

if TYPE_CHECKING:
    from anibridge_like.context import AppContext


class DryRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any] | None = Field(
        None, description="Config keys replacing the job's own for this preview."
    )
    sample_size: int = Field(5, ge=1, le=20)
    work_ids: list[str] | None = Field(
        None, max_length=20, description="Preview these works (keys such as tvdb:121361)."
    )


async def preview(
    app: AppContext, library: Library, config: MetadataRefreshConfig, request: DryRunRequest
) -> dict[str, Any]:
    whole = await make_plan(app, library, config)
    out: dict[str, Any] = {
        "plan_failure": whole.failure.value if whole.failure else None,
        "message": whole.message,
        "totals": {
            "works_in_library": whole.total_works,
            "planned_works": len(whole.works),
            "planned_pairs": whole.pairs(),
            "skipped": dict(sorted(whole.skipped.items())),
        },
        "sample": [],
    }
    if whole.failure is not None:
        return out
    chosen: list[PlannedWork]
    if request.work_ids is not None:
        wanted = set(request.work_ids)
        chosen = [w for w in whole.works if w.key in wanted]
        for key in sorted(wanted - {w.key for w in chosen}):
            reasons = whole.skipped_works.get(key)
            out["sample"].append(
                {
                    "work": key,
                    "changes": {},
                    "skipped": [],
                    "skipped_instances": [{"instance": i, "reason": r} for i, r in reasons or ()],
                    "error": None if reasons else "not a work of this library",
                }
            )
    else:
        chosen = whole.works[: request.sample_size]
    assert app.plugins is not None
    call = Caller(app.plugins, library, "dry-run", config.max_concurrency)
    before = await load_works(app.readers, [w.key for w in chosen])
    for work in chosen:
        r = await refresh_work(call, whole.sources, work, before.get(work.key))
        out["sample"].append(
            {
                "work": work.key,
                "title": work.title,
                "changes": {n: show_change(n, b, a) for n, (b, a) in r.diff.changes.items()},
                "unchanged": sorted(n for n, k in r.diff.kinds.items() if k == "unchanged"),
                "skipped": [{"field": f, "reason": why} for f, why in r.diff.skipped.items()],
                "skipped_instances": [
                    {"instance": i, "reason": why}
                    for i, why in [*whole.skipped_works.get(work.key, ()), *r.skipped]
                ],
                "error": "; ".join(f"{i}: {e}" for i, e in r.failed) or None,
            }
        )
    out["requests"] = call.requests
    return out
