"""Fake-server helpers (they live in the package: demo mode serves the fakes too)."""

from anibridge_like.demo.metadata.common import FakeControl, NameSearch, serve_loopback

__all__ = ["FakeControl", "NameSearch", "serve_loopback"]
