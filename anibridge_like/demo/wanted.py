"""Demo wanted lists and recommendations: a fake Sonarr whose series are part of the demo
catalogs, and a fake AniList with a user's list and recommendations over the demo anime.

:func:`wanted_services` returns the fake apps with the seed entries of the instances pointing at
them (``demo-sonarr`` sync for the anime and series libraries, ``demo-anilist-list`` sync and
``demo-anilist-recs`` recommendations for anime).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp

from anibridge_like.demo.anilist_lists import from_catalogs
from anibridge_like.demo.arr import FakeArr, entries_from_catalogs
from anibridge_like.demo.catalog import GeneratedCatalog

DEMO_JOBS: list[dict[str, Any]] = [
    {"name": "wanted sync", "type": "wanted_sync", "cron": "*/2 * * * *"},
    {"name": "recommendations", "type": "recommendations_refresh", "cron": "*/5 * * * *"},
]
"""Library jobs of the demo: wanted lists every two minutes, recommendations every five (so a
fresh demo shows both while its catalog is still being indexed)."""
DEMO_SONARR_KEY = "demo-sonarr-key"


def with_wanted_jobs(libraries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The demo's libraries with :data:`DEMO_JOBS` added (anime: both, series: the sync)."""
    extra = {"anime": DEMO_JOBS, "series": DEMO_JOBS[:1]}
    return [
        {**lib, "jobs": [*lib.get("jobs", []), *extra.get(lib["slug"], [])]} for lib in libraries
    ]


DEMO_ANILIST_USER = "demo"


@dataclass(frozen=True)
class WantedService:
    name: str
    app: ASGIApp
    entries: tuple[dict[str, Any], ...]
    """Seed plugin entries, ``{url}`` standing for the fake's base URL."""

    def seed_entries(self, url: str) -> list[dict[str, Any]]:
        out = []
        for entry in self.entries:
            config = {k: (v.format(url=url) if isinstance(v, str) else v)
                      for k, v in entry["config"].items()}  # fmt: skip
            out.append({**entry, "config": config})
        return out


def wanted_services(catalogs: Mapping[str, GeneratedCatalog]) -> list[WantedService]:
    series = [catalogs[s] for s in ("aniworld", "sto") if s in catalogs]
    anime = [catalogs[s] for s in ("aniworld",) if s in catalogs]
    sonarr = FakeArr("Sonarr", DEMO_SONARR_KEY, entries_from_catalogs(series, "Sonarr"))
    anilist = from_catalogs(anime, DEMO_ANILIST_USER)
    return [
        WantedService(
            "sonarr",
            sonarr.app,
            (
                {
                    "name": "demo-sonarr",
                    "implementation": "sonarr",
                    "kind": "sync",
                    "libraries": ["anime", "series"],
                    "config": {"base_url": "{url}", "api_key": DEMO_SONARR_KEY},
                },
            ),
        ),
        WantedService(
            "anilist-lists",
            anilist.app,
            (
                {
                    "name": "demo-anilist-list",
                    "implementation": "anilist",
                    "kind": "sync",
                    "libraries": ["anime"],
                    "config": {"base_url": "{url}", "username": DEMO_ANILIST_USER},
                },
                {
                    "name": "demo-anilist-recs",
                    "implementation": "anilist",
                    "kind": "recommendation",
                    "libraries": ["anime"],
                    "config": {"base_url": "{url}"},
                },
            ),
        ),
    ]
