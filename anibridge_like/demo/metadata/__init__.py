"""Fake metadata services (SkyHook, AniList, TMDB) built from generated catalogs.

They speak the real services' request/response shapes; the test suite uses them in-process and
on loopback, and demo mode serves them so the demo index gets canonical ids and numbering.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.metadata.anilist import FakeAniList
from anibridge_like.demo.metadata.skyhook import FakeSkyHook
from anibridge_like.demo.metadata.tmdb import FakeTmdb

DEMO_TMDB_KEY = "demo-tmdb-key"


def metadata_apps(
    catalogs: Mapping[str, GeneratedCatalog],
) -> dict[str, tuple[str, list[str], ASGIApp, dict[str, str]]]:
    """Demo metadata services: name → (implementation, library slugs, app, extra config)."""
    every = list(catalogs.values())
    anime = [c for c in every if c.flavor == "anime"]
    return {
        "skyhook": ("skyhook", ["anime", "series"], FakeSkyHook(*every).app, {}),
        "anilist": ("anilist", ["anime"], FakeAniList(*anime).app, {}),
        "tmdb": ("tmdb", ["movies"], FakeTmdb(*every, api_key=DEMO_TMDB_KEY).app,
                 {"api_key": DEMO_TMDB_KEY}),
    }
