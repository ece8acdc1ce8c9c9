"""Dry-runs that preview instead of running: a job type listed in :data:`PREVIEWS` answers the
Dry-run button with the same preview its admin API route gives (``metadata_refresh``:
``POST /api/v1/libraries/{slug}/jobs/{id}/dry-run``, :func:`anibridge_like.works.dry_run.preview`
— real metadata calls for a sample, nothing written), shown as a before → after table."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError

from anibridge_like.context import AppContext
from anibridge_like.jobs.model import JobRow
from anibridge_like.works.dry_run import DryRunRequest, preview
from anibridge_like.works.refresh_config import MetadataRefreshConfig

PREVIEW_TIMEOUT_SECONDS = 120.0


def _text(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)[:300]


async def metadata_preview(ctx: AppContext, job: JobRow) -> dict[str, Any]:
    """``{"changes": [...], "totals", "notes": [...]}`` or ``{"error"}``."""
    try:
        config = MetadataRefreshConfig.model_validate(job.config)
    except ValidationError as exc:
        return {"error": f"the job's config is invalid: {exc.errors()[0]['msg']}"}
    library = next((lib for lib in ctx.libraries if lib.slug == job.library), None)
    if library is None or ctx.plugins is None:
        return {"error": "the library or the plugins are not loaded"}
    try:
        async with asyncio.timeout(PREVIEW_TIMEOUT_SECONDS):
            answer = await preview(ctx, library, config, DryRunRequest())
    except TimeoutError:
        return {"error": f"the preview took longer than {PREVIEW_TIMEOUT_SECONDS:.0f} s"}
    changes = []
    notes = []
    for sample in answer["sample"]:
        item = sample.get("title") or sample["work"]
        for name, change in sample["changes"].items():
            changes.append(
                {
                    "item": item,
                    "field": name,
                    "before": _text(change["before"]),
                    "after": _text(change["after"]),
                }
            )
        for skipped in sample.get("skipped", []):
            notes.append(f"{item}: {skipped['field']} skipped ({skipped['reason']})")
        if sample.get("error"):
            notes.append(f"{item}: {sample['error']}")
    if answer.get("plan_failure"):
        notes.insert(0, f"plan failure: {answer['plan_failure']} {answer.get('message') or ''}")
    return {"changes": changes, "totals": answer["totals"], "notes": notes, "error": None}


PREVIEWS: dict[str, Callable[[AppContext, JobRow], Awaitable[dict[str, Any]]]] = {
    "metadata_refresh": metadata_preview,
}
