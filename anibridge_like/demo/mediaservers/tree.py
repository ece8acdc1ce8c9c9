"""A generated media folder for the demo: part of some indexed series, anime and movies, named
the way Sonarr and Radarr name them, so the demo's filesystem media server owns something and the
gap report has content.

Per library the first titles that have canonical ids get the first half of their regular
episodes (``Title (2013) {tvdb-123}/Season 01/Title - S01E05.mkv``); every third anime title is
written without an id tag and with absolute numbers (``[Demo] Title - 005.mkv``), so it is found
by name and mapped through its absolute numbers. Movies get ``Title (1999) [imdbid-tt…]``
folders. Writing is idempotent (existing files are kept).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from anibridge_like.demo.catalog import GeneratedCatalog, GenTitle

LIBRARY_OF_SITE = {"aniworld": "anime", "sto": "series", "megakino": "movies"}


def _safe(text: str) -> str:
    return "".join("_" if c in '/\\:*?"<>|' else c for c in text).strip(" .")


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(b"")


def _series(root: Path, title: GenTitle, plain: bool) -> int:
    name = _safe(title.canonical_title)
    regular = [e for e in title.episodes if e.tvdb_season and e.tvdb_episode]
    owned = regular[: max(1, len(regular) // 2)]
    if plain:
        folder = root / f"{name} ({title.year})"
        for e in owned:
            if e.absolute is not None:
                _touch(folder / f"[Demo] {name} - {e.absolute:03d} [1080p].mkv")
        return len(owned)
    folder = root / f"{name} ({title.year}) {{tvdb-{title.tvdb_id}}}"
    for e in owned:
        season = f"Season {e.tvdb_season:02d}"
        _touch(folder / season / f"{name} - S{e.tvdb_season:02d}E{e.tvdb_episode:02d}.mkv")
    return len(owned)


def write_demo_tree(
    root: Path, catalogs: dict[str, GeneratedCatalog], titles_per_library: int = 6
) -> dict[str, Path]:
    """Write the tree under ``root``; returns library slug → folder."""
    folders: dict[str, Path] = {}
    for site, catalog in catalogs.items():
        slug = LIBRARY_OF_SITE.get(site)
        if slug is None:
            continue
        folder = root / slug
        folder.mkdir(parents=True, exist_ok=True)
        folders[slug] = folder
        written = 0
        for title in catalog:
            if written >= titles_per_library:
                break
            if title.kind == "movie" and title.imdb_id:
                name = f"{_safe(title.canonical_title)} ({title.year})"
                _touch(folder / f"{name} [imdbid-{title.imdb_id}]" / f"{name}.mkv")
                written += 1
            elif title.kind == "series" and title.tvdb_id and slug != "movies":
                _series(folder, title, plain=slug == "anime" and written % 3 == 2)
                written += 1
    return folders


def demo_media_server(root: Path, catalogs: dict[str, GeneratedCatalog]) -> dict[str, object]:
    """The seed entry of the demo's filesystem media server over a freshly written tree."""
    folders = write_demo_tree(root, catalogs)
    return {
        "name": "demo-disk",
        "implementation": "filesystem",
        "kind": "media_server",
        "config": {"libraries": {slug: str(path) for slug, path in folders.items()}},
    }


DEMO_SCAN_CRON = "*/2 * * * *"
"""The demo's media scans: every two minutes, so the gap report fills soon after the first
indexing finished (a scan before that owns nothing the index knows yet)."""


def with_media_jobs(libraries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The demo's libraries, each with a ``media_scan`` job."""
    job = {"type": "media_scan", "name": "media scan", "cron": DEMO_SCAN_CRON}
    return [{**lib, "jobs": [job]} for lib in libraries]
