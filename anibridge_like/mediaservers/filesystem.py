"""A plain folder tree as a media server: what Sonarr/Radarr/Jellyfin put on disk.

Each bound folder (``libraries: {anime: /media/anime}``) is one library whose ref is its path.
A listing walks it depth-first in sorted order, so the cursor is simply the relative path of the
last file returned; a resumed walk skips whole subtrees that sort before it. Under the root,
``Show (2013) {tvdb-267440}/Season 01/Show - S01E05.mkv`` is an episode of the series the first
folder names (title, year and id tags of the folder, plus tags in the file name); a video file
whose name carries no episode number is a movie, named by its folder (or by itself at the root).
See :mod:`anibridge_like.mediaservers.naming` for the patterns.

A bound folder that does not exist (an unmounted share) is ``upstream``; one that cannot be
read is ``auth`` (the daemon's user lacks the permission: the user must fix it).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import httpx

from anibridge_like import __version__
from anibridge_like.mediaservers.naming import (
    VIDEO_EXTENSIONS,
    parse_episode,
    parse_folder,
    parse_ids,
    season_of_folder,
)
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.media_server import (
    ItemPage,
    MediaServerCapabilities,
    MediaServerConfig,
    ServerItem,
    ServerLibrary,
    ServerStatus,
)


class FilesystemConfig(MediaServerConfig):
    """Folders bound to daemon libraries (``libraries: {anime: /media/anime}``)."""


class FilesystemServer:
    capabilities: ClassVar[MediaServerCapabilities] = MediaServerCapabilities()
    config_model: ClassVar[type[FilesystemConfig]] = FilesystemConfig

    def __init__(self, config: FilesystemConfig, client: httpx.AsyncClient) -> None:
        self.config = config

    def _roots(self) -> list[str]:
        return sorted(set(self.config.libraries.values()))

    async def check_connection(self) -> ServerStatus:
        for root in self._roots():
            _check_root(root)
        return ServerStatus(name="filesystem", version=__version__)

    async def list_libraries(self) -> list[ServerLibrary]:
        return [ServerLibrary(ref=r, name=r, kind="mixed", paths=(r,)) for r in self._roots()]

    async def list_items(self, library_ref: str, cursor: str | None) -> ItemPage:
        if library_ref not in self._roots():
            raise PluginError(ErrorCode.NOT_FOUND, f"folder {library_ref!r} is not bound")
        return await asyncio.to_thread(
            _page, library_ref, tuple(cursor.split("/")) if cursor else (), self.config.page_size
        )


def _check_root(root: str) -> Path:
    path = Path(root)
    if not path.is_dir():
        raise PluginError(ErrorCode.UPSTREAM, f"folder {root} is not reachable")
    if not os.access(path, os.R_OK | os.X_OK):
        raise PluginError(ErrorCode.AUTH, f"folder {root} is not readable")
    return path


SKIPPED_FOLDERS = frozenset(
    {
        "extras",
        "featurettes",
        "behind the scenes",
        "deleted scenes",
        "interviews",
        "scenes",
        "samples",
        "shorts",
        "trailers",
        "other",
        "@eadir",
    }
)
"""Jellyfin/Plex extras folders and NAS metadata folders: never episodes or movies."""
MAX_DEPTH = 8
"""Deeper folders are not read."""


def _skipped(name: str, is_dir: bool) -> bool:
    if name.startswith("."):
        return True
    if is_dir:
        return name.casefold() in SKIPPED_FOLDERS
    stem = os.path.splitext(name)[0].casefold()
    return stem == "sample" or stem.endswith(("-sample", ".sample", "-trailer"))


def _walk(
    root: Path,
    rel: tuple[str, ...],
    after: tuple[str, ...],
    ancestors: frozenset[str] = frozenset(),
) -> Iterator[tuple[str, ...]]:
    """Video files under ``root/rel`` in sorted order whose relative path sorts after ``after``
    (a symlink back to a folder being walked is not followed)."""
    real = os.path.realpath(root.joinpath(*rel))
    if len(rel) > MAX_DEPTH or real in ancestors:
        return
    ancestors = ancestors | {real}
    try:
        entries = sorted(os.scandir(root.joinpath(*rel)), key=lambda e: e.name)
    except PermissionError as exc:
        raise PluginError(ErrorCode.AUTH, f"{root.joinpath(*rel)} is not readable") from exc
    except FileNotFoundError as exc:
        raise PluginError(ErrorCode.UPSTREAM, f"{root.joinpath(*rel)} vanished") from exc
    for entry in entries:
        path = (*rel, entry.name)
        is_dir = entry.is_dir(follow_symlinks=True)
        if _skipped(entry.name, is_dir):
            continue
        if is_dir:
            prefix = after[: len(path)]
            if path < prefix:
                continue  # the whole subtree was listed already
            yield from _walk(root, path, after if path == prefix else (), ancestors)
        elif path > after and os.path.splitext(entry.name)[1].lower() in VIDEO_EXTENSIONS:
            yield path


def _page(root_text: str, after: tuple[str, ...], size: int) -> ItemPage:
    root = _check_root(root_text)
    items: list[ServerItem] = []
    last: tuple[str, ...] = ()
    more = False
    for rel in _walk(root, (), after):
        if len(items) == size:
            more = True
            break
        items.append(_item(root, rel))
        last = rel
    return ItemPage(items=tuple(items), next_cursor="/".join(last) if more else None)


def _item(root: Path, rel: tuple[str, ...]) -> ServerItem:
    stem, _ext = os.path.splitext(rel[-1])
    path = str(root.joinpath(*rel))
    folder_season = season_of_folder(rel[-2]) if len(rel) >= 3 else None
    numbers = parse_episode(stem, folder_season)
    if len(rel) >= 2 and numbers is not None:
        show = parse_folder(rel[0])
        ids = {**show.ids, **{k: v for k, v in parse_ids(stem).items() if k not in show.ids}}
        return ServerItem(
            server_id="/".join(rel),
            kind="episode",
            title=show.title,
            year=show.year,
            provider_ids=ids,
            series_key=rel[0],
            season=numbers.season,
            episode=numbers.episode,
            episode_end=numbers.episode_end,
            absolute=numbers.absolute,
            path=path,
        )
    named = parse_folder(rel[-2] if len(rel) >= 2 else stem)
    ids = {**parse_ids(stem), **named.ids}
    return ServerItem(
        server_id="/".join(rel),
        kind="movie",
        title=named.title,
        year=named.year,
        provider_ids=ids,
        series_key="/".join(rel[:-1]) or stem,
        path=path,
    )
