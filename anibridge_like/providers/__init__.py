"""Built-in provider plugins (AniWorld-, s.to- and megakino-style sites) and their shared
polite-HTTP helper (:mod:`anibridge_like.providers.http`)."""

from anibridge_like.providers.http import HttpProviderConfig, PoliteClient

__all__ = ["HttpProviderConfig", "PoliteClient"]
