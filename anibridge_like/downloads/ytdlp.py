"""The media fetch: yt-dlp on a worker thread (never on the event loop).

yt-dlp gets the media URL a host plugin resolved, with the hoster's headers; only its
``generic`` extractor is allowed (a direct file or an HLS playlist — no site extractors, no
playlists). It writes ``<target>.part`` (progressive) or HLS fragments next to ``target`` and
renames to ``target`` when complete; a later call with the same ``target`` continues from what is
on disk (``continuedl``), which is how a restarted daemon resumes. Progress goes to a
:class:`Live` record the service reads and flushes; setting ``Live.cancel`` stops the transfer at
its next progress tick (:class:`Cancelled`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
import yt_dlp
from yt_dlp.utils import DownloadCancelled, YoutubeDLError

from anibridge_like.plugins.host import MediaSource

log = structlog.get_logger(__name__)


class Cancelled(Exception):
    """The transfer was stopped on request (pause, delete, shutdown)."""


class MediaError(Exception):
    """yt-dlp could not fetch the media (the message says why)."""


@dataclass
class Live:
    """In-memory progress of one running download (written by the thread, read by the loop)."""

    downloaded: int = 0
    size: int = 0
    speed: float = 0.0
    eta: int | None = None
    started: float = field(default_factory=time.monotonic)
    cancel: threading.Event = field(default_factory=threading.Event)
    dirty: bool = False
    ticks: int = 0
    """Progress reports yt-dlp made (each one would be a write without coalescing)."""


class _Log:
    """yt-dlp's logger, routed to structlog at debug (warnings at info)."""

    def __init__(self, context: dict[str, Any]) -> None:
        self._log = log.bind(**context)

    def debug(self, msg: str) -> None:
        self._log.debug("ytdlp.debug", message=msg[:300])

    def info(self, msg: str) -> None:
        self._log.debug("ytdlp.info", message=msg[:300])

    def warning(self, msg: str) -> None:
        self._log.info("ytdlp.warning", message=msg[:300])

    def error(self, msg: str) -> None:
        self._log.info("ytdlp.error", message=msg[:300])


def fetch_media(
    media: MediaSource,
    target: Path,
    live: Live,
    *,
    timeout: float,
    rate_limit: int | None,
    context: dict[str, Any],
) -> int:
    """Download ``media`` to ``target`` (blocking; run it in a thread). Returns its size."""

    def hook(status: dict[str, Any]) -> None:
        if live.cancel.is_set():
            raise DownloadCancelled("cancelled")
        if status.get("status") in ("downloading", "finished"):
            live.ticks += 1
            done = int(status.get("downloaded_bytes") or 0)
            total = int(status.get("total_bytes") or status.get("total_bytes_estimate") or 0)
            live.downloaded = done
            live.size = max(total, done)
            live.speed = float(status.get("speed") or 0.0)
            eta = status.get("eta")
            live.eta = int(eta) if eta is not None else None
            live.dirty = True

    options: dict[str, Any] = {
        "outtmpl": {"default": str(target)},
        "http_headers": dict(media.headers),
        "allowed_extractors": ["generic"],
        "noplaylist": True,
        "continuedl": True,
        "retries": 3,
        "fragment_retries": 3,
        "socket_timeout": timeout,
        "ratelimit": rate_limit,
        "hls_prefer_native": True,
        "fixup": "never",
        "proxy": "",
        "cachedir": False,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "progress_hooks": [hook],
        "logger": _Log(context),
    }
    if live.cancel.is_set():
        raise Cancelled()
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            code = ydl.download([media.url])
    except DownloadCancelled as exc:
        raise Cancelled() from exc
    except YoutubeDLError as exc:
        if live.cancel.is_set():
            raise Cancelled() from exc
        raise MediaError(str(exc).removeprefix("ERROR: ")[:500]) from exc
    if code != 0 or not target.exists():
        raise MediaError(f"yt-dlp finished without a file (exit {code})")
    return target.stat().st_size
