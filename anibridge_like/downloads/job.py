"""One download run: the episode's hoster links → the first hoster (in preference order) whose
media resolves and fetches → the file under its release name (or a ``.strm``).

Partial media lives in ``<save_path>/.incomplete/<hash>.<hoster>.<ext>`` and is renamed to
``<save_path>/<release title>.<ext>`` only when complete; a restart fetches the same temp name and
yt-dlp continues it. If every hoster fails, the links are read from the page once more (they may
have been stale) and tried again before the download fails with every hoster's reason.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from anibridge_like.downloads.hosting import Hosters, order_links
from anibridge_like.downloads.paths import file_stem
from anibridge_like.downloads.store import DownloadRow
from anibridge_like.downloads.ytdlp import Live, MediaError, fetch_media
from anibridge_like.plugins.errors import PluginError
from anibridge_like.plugins.provider import Language
from anibridge_like.providers.links import EpisodeLinks, EpisodeRef
from anibridge_like.settings import Settings

log = structlog.get_logger(__name__)
_SLUG = re.compile(r"[^a-z0-9]+")
INCOMPLETE = ".incomplete"


class DownloadFailed(Exception):
    """The download cannot complete; the message is what the client shows."""


@dataclass(frozen=True)
class JobDeps:
    settings: Settings
    links: EpisodeLinks
    hosters: Hosters
    stream_url: Callable[[EpisodeRef], str]
    """The ``/stream/{token}`` URL written into ``.strm`` files."""


def ref_of(row: DownloadRow) -> EpisodeRef:
    if None in (row.site, row.slug, row.season, row.number, row.language):
        raise DownloadFailed("the magnet does not name an episode of this indexer")
    return EpisodeRef(
        str(row.site),
        str(row.slug),
        int(row.season or 0),
        int(row.number or 0),
        Language(str(row.language)),
    )


def final_name(row: DownloadRow, ext: str) -> str:
    return f"{file_stem(row.name)}.{ext}"


def temp_files(save_path: Path, infohash: str) -> list[Path]:
    folder = save_path / INCOMPLETE
    return sorted(folder.glob(f"{infohash}.*")) if folder.is_dir() else []


def _write_atomic(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, "utf-8")
    os.replace(temp, path)


async def run_job(row: DownloadRow, live: Live, deps: JobDeps) -> dict[str, Any]:
    """Run ``row`` to completion; returns the columns to store with the completed state."""
    ref = ref_of(row)
    save = Path(row.save_path)
    await asyncio.to_thread(save.mkdir, parents=True, exist_ok=True)
    errors: list[str] = []
    bound = log.bind(download=row.hash, episode=str(ref))
    for refresh in (False, True):
        try:
            links = await deps.links.links(ref, refresh=refresh)
        except PluginError as exc:
            raise DownloadFailed(
                f"reading the hoster links of {ref} failed: {exc.message}"
            ) from exc
        if not links:
            errors.append(f"the episode page offers no hoster for {ref.language.label}")
            continue
        for link in order_links(links, deps.settings.download_host_order):
            try:
                media = await deps.hosters.resolve(link)
            except PluginError as exc:
                errors.append(f"{link.hoster}: {exc.message}")
                bound.info("download.host_failed", hoster=link.hoster, error=exc.message)
                continue
            if row.mode == "strm":
                target = save / final_name(row, "strm")
                await asyncio.to_thread(_write_atomic, target, deps.stream_url(ref) + "\n")
                size = target.stat().st_size
                return {
                    "file_name": target.name,
                    "size": size,
                    "downloaded": size,
                    "host": link.hoster,
                }
            hoster = _SLUG.sub("-", link.hoster.casefold()).strip("-") or "host"
            temp = save / INCOMPLETE / f"{row.hash}.{hoster}.{media.ext}"
            temp.parent.mkdir(exist_ok=True)
            try:
                size = await asyncio.to_thread(
                    fetch_media,
                    media,
                    temp,
                    live,
                    timeout=deps.settings.download_host_timeout_seconds,
                    rate_limit=deps.settings.download_rate_limit,
                    context={"download": row.hash, "hoster": link.hoster},
                )
            except MediaError as exc:
                errors.append(f"{link.hoster}: {exc}")
                bound.info("download.media_failed", hoster=link.hoster, error=str(exc))
                continue
            target = save / final_name(row, media.ext)
            await asyncio.to_thread(os.replace, temp, target)
            for leftover in temp_files(save, row.hash):
                leftover.unlink(missing_ok=True)
            return {"file_name": target.name, "size": size, "downloaded": size, "host": link.hoster}
    raise DownloadFailed("every hoster failed: " + "; ".join(errors[-8:]))
