"""Fake metadata services (SkyHook, AniList, TMDB) built from generated catalogs.

They speak the real services' request/response shapes; the test suite uses them in-process and
on loopback, and demo mode serves them so the demo index gets canonical ids and numbering. The
demo world adds a :class:`~anibridge_like.demo.metadata.world.MappingWorld`: site titles and
metadata entries with the discrepancies real catalogues have (twins, one AniList id per cour,
sequel forms, TVDB suffixes, IMDb-only pages, German movie titles, film pages, specials inside
a run).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.metadata.anilist import FakeAniList
from anibridge_like.demo.metadata.skyhook import FakeSkyHook
from anibridge_like.demo.metadata.tmdb import FakeTmdb
from anibridge_like.demo.metadata.world import MappingWorld
from anibridge_like.demo.metadata.world_catalog import WorldCatalog

DEMO_TMDB_KEY = "demo-tmdb-key"
DEMO_TMDB_KEY_ENV = "DEMO_TMDB_API_KEY"
"""The demo passes its TMDB key like a user should: through the environment (``api_key_env``),
so the key is never stored in the database with the instance's config."""


@dataclass(frozen=True)
class FakeService:
    """A fake metadata service and the seed entry of a metadata instance pointing at it."""

    implementation: str
    libraries: list[str]
    app: ASGIApp
    api_path: str
    """Path of the API root below the server root (the instance's base_url ends with it)."""
    config: dict[str, Any] = field(default_factory=dict)

    def seed_entry(self, name: str, server_url: str) -> dict[str, Any]:
        return {
            "name": name,
            "implementation": self.implementation,
            "kind": "metadata",
            "libraries": self.libraries,
            "config": {"base_url": server_url + self.api_path, **self.config},
        }


def metadata_apps(
    catalogs: Mapping[str, GeneratedCatalog], world: MappingWorld | None = None
) -> dict[str, FakeService]:
    """The demo's metadata services by instance name, answering for ``catalogs`` (their
    generated titles) and ``world``'s metadata entries."""
    os.environ.setdefault(DEMO_TMDB_KEY_ENV, DEMO_TMDB_KEY)  # read when the instance is built
    every = [c.base if isinstance(c, WorldCatalog) else c for c in catalogs.values()]
    anime = [c for c in every if c.flavor == "anime"]
    shows, media, movies = (world.shows, world.media, world.movies) if world else ([], [], [])
    return {
        "skyhook": FakeService(
            "skyhook", ["anime", "series"], FakeSkyHook(*every, shows=shows).app, "/v1/tvdb"
        ),
        "anilist": FakeService("anilist", ["anime"], FakeAniList(*anime, media=media).app, ""),
        "tmdb": FakeService(
            "tmdb",
            ["anime", "movies"],  # anime sites have film pages too
            FakeTmdb(*every, movies=movies, api_key=DEMO_TMDB_KEY).app,
            "/3",
            {"api_key_env": DEMO_TMDB_KEY_ENV},
        ),
    }
