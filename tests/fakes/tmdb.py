"""The fake tmdb server (it lives in the package: demo mode serves it too)."""

from anibridge_like.demo.metadata.tmdb import FakeTmdb

__all__ = ["FakeTmdb"]
