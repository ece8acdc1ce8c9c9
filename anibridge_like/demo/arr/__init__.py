"""Fake Sonarr/Radarr (API v3 library endpoints) for the sync plugins' tests and the demo."""

from anibridge_like.demo.arr.app import ArrEntry, FakeArr, entries_from_catalogs

__all__ = ["ArrEntry", "FakeArr", "entries_from_catalogs"]
