"""Fake Sonarr/Radarr (API v3 library endpoints) for the sync plugins' tests and the demo.

Evidence for the shapes (the apps' published OpenAPI specs, cited in :mod:`.app`):
``Sonarr/Sonarr`` ``src/Sonarr.Api.V3/openapi.json``, ``Radarr/Radarr``
``src/Radarr.Api.V3/openapi.json``."""

from anibridge_like.demo.arr.app import ArrEntry, FakeArr, entries_from_catalogs

__all__ = ["ArrEntry", "FakeArr", "entries_from_catalogs"]
