"""The fake anilist server (it lives in the package: demo mode serves it too)."""

from anibridge_like.demo.metadata.anilist import FakeAniList

__all__ = ["FakeAniList"]
