"""Seed bindings of media-server instances: ``config.libraries`` maps daemon library slugs to a
server library (its name or ref; a folder path for the filesystem implementation)::

    plugins:
      - name: jellyfin
        kind: media_server
        implementation: jellyfin
        config: {url: "http://jellyfin:8096", api_key_env: JELLYFIN_KEY,
                 libraries: {anime: "Anime", series: "Shows"}}

A slug the seed does not define is an error with its YAML path
(``plugins[3].config.libraries.animee: unknown library 'animee'``). Whether the *server* has the
named library is only known when it answers: a scan reports it on the binding's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def binding_issues(
    where: str, kind: str, config: Mapping[str, Any], known_slugs: set[str]
) -> list[tuple[str, str]]:
    """``(yaml path, message)`` for every binding of a media-server instance that is wrong."""
    if kind != "media_server":
        return []
    raw = config.get("libraries")
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        return [(f"{where}.config.libraries", "must map library slugs to server libraries")]
    issues: list[tuple[str, str]] = []
    for slug, target in raw.items():
        path = f"{where}.config.libraries.{slug}"
        if slug not in known_slugs:
            issues.append((path, f"unknown library {slug!r}"))
        if not isinstance(target, str) or not target.strip():
            issues.append((path, "the server library must be a non-empty name or path"))
    return issues
