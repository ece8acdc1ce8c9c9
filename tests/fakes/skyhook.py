"""The fake skyhook server (it lives in the package: demo mode serves it too)."""

from anibridge_like.demo.metadata.skyhook import FakeSkyHook

__all__ = ["FakeSkyHook"]
