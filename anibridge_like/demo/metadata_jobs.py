"""The demo's ``metadata_refresh`` job per library (instances named as the demo seeds them:
``demo-<service>``, see :func:`anibridge_like.demo.metadata.metadata_apps`)."""

from __future__ import annotations

from typing import Any

DEMO_METADATA_CRON = "45 3 * * *"
_CONFIGS: dict[str, dict[str, Any]] = {
    "anime": {
        "instances": ["demo-skyhook", "demo-anilist"],
        "overrides": {"demo-anilist": {"field_groups": ["ids"]}},
    },
    "series": {"instances": ["demo-skyhook"]},
    "movies": {"instances": ["demo-tmdb"]},
}


def with_metadata_jobs(libraries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The demo's libraries, each with a ``metadata refresh`` job of its kind."""
    out = []
    for lib in libraries:
        config = _CONFIGS.get(lib["kind"])
        job = {
            "type": "metadata_refresh",
            "name": "metadata refresh",
            "cron": DEMO_METADATA_CRON,
            "config": config,
        }
        out.append({**lib, "jobs": [*lib.get("jobs", []), job]} if config else lib)
    return out


def control_lines(base: str, skyhook_url: str) -> list[str]:
    """Banner lines: how to change a work at the fake SkyHook and preview the refresh."""
    return [
        "Change a show at the fake SkyHook, then preview the anime library's metadata refresh:",
        f'  curl -X POST {skyhook_url}/_control/records/<tvdbId> -d \'{{"status": "Upcoming"}}\'',
        f"  curl -X POST '{base}/api/v1/libraries/anime/jobs/<job id>/dry-run?apikey=<key>'"
        ' -d \'{"work_ids": ["tvdb:<tvdbId>"]}\'',
    ]
