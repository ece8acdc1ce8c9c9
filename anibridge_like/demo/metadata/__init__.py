"""Fake metadata services (SkyHook, AniList, TMDB) built from generated catalogs.

They speak the real services' request/response shapes; the test suite uses them in-process and
on loopback, and demo mode serves them so the demo index gets canonical ids and numbering.
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


def metadata_apps(catalogs: Mapping[str, GeneratedCatalog]) -> dict[str, FakeService]:
    """The demo's metadata services by instance name, answering for ``catalogs``."""
    os.environ.setdefault(DEMO_TMDB_KEY_ENV, DEMO_TMDB_KEY)  # read when the instance is built
    every = list(catalogs.values())
    anime = [c for c in every if c.flavor == "anime"]
    return {
        "skyhook": FakeService("skyhook", ["anime", "series"], FakeSkyHook(*every).app, "/v1/tvdb"),
        "anilist": FakeService("anilist", ["anime"], FakeAniList(*anime).app, ""),
        "tmdb": FakeService(
            "tmdb",
            ["movies"],
            FakeTmdb(*every, api_key=DEMO_TMDB_KEY).app,
            "/3",
            {"api_key_env": DEMO_TMDB_KEY_ENV},
        ),
    }
