"""Download rows as qBittorrent Web API v2 JSON, the fields Sonarr/Radarr read.

Evidence (``Sonarr/Sonarr``, ``src/NzbDrone.Core/Download/Clients/QBittorrent/``):
``QBittorrentTorrent.cs`` reads ``hash, name, size, progress, eta, state, category, save_path,
content_path, ratio, ratio_limit, seeding_time_limit``; ``QBittorrent.cs`` (``GetItems``) maps
states — ``queuedDL`` → queued, ``downloading`` → downloading, ``pausedDL`` → paused, ``pausedUP``
→ completed, ``error`` → warning "qBittorrent is reporting an error" — and allows removal of a
completed item only when it is ``pausedUP`` and ``HasReachedSeedLimit`` (``ratio_limit`` -2 with
``max_ratio_enabled`` and ``ratio >= max_ratio`` in the preferences: we report ratio 0 and
``max_ratio`` 0). With web API ≥ 2.6.1 it imports from ``content_path`` when that differs from
``save_path``. ``eta`` 8640000 means unknown.

A failed download reads ``state: "error"``; the reason is in ``comment`` (properties) and in an
extra ``anibridge_error`` field of ``torrents/info``.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

from anibridge_like.downloads.job import final_name
from anibridge_like.downloads.store import DownloadRow
from anibridge_like.downloads.ytdlp import Live

ETA_UNKNOWN = 8_640_000
STATE_NAMES = {
    "queued": "queuedDL",
    "downloading": "downloading",
    "paused": "pausedDL",
    "completed": "pausedUP",
    "failed": "error",
}
FILTERS: dict[str, frozenset[str]] = {
    "all": frozenset(STATE_NAMES),
    "downloading": frozenset({"queued", "downloading", "paused"}),
    "seeding": frozenset(),
    "completed": frozenset({"completed"}),
    "paused": frozenset({"paused", "completed", "failed"}),
    "stopped": frozenset({"paused", "completed", "failed"}),
    "active": frozenset({"downloading"}),
    "inactive": frozenset({"queued", "paused", "completed", "failed"}),
    "resumed": frozenset({"queued", "downloading"}),
    "running": frozenset({"queued", "downloading"}),
    "stalled": frozenset(),
    "stalled_uploading": frozenset(),
    "stalled_downloading": frozenset(),
    "errored": frozenset({"failed"}),
}


def _epoch(iso: str | None) -> int:
    if not iso:
        return -1
    try:
        return int(datetime.fromisoformat(iso).timestamp())
    except ValueError:
        return -1


def content_name(row: DownloadRow) -> str:
    return row.file_name or final_name(row, "strm" if row.mode == "strm" else "mp4")


def _numbers(row: DownloadRow, live: Live | None) -> tuple[int, int, float, float, int]:
    """``(size, downloaded, progress, speed, eta)``."""
    size, done = row.size, row.downloaded
    speed, eta = 0.0, ETA_UNKNOWN
    if live is not None:
        size, done, speed = max(live.size, size), live.downloaded, live.speed
        if live.eta is not None:
            eta = live.eta
    if row.state == "completed":
        return size, size, 1.0, 0.0, ETA_UNKNOWN
    progress = min(done / size, 0.999) if size > 0 else 0.0
    return size, done, progress, speed, eta


def torrent_info(row: DownloadRow, live: Live | None) -> dict[str, Any]:
    size, done, progress, speed, eta = _numbers(row, live)
    save = row.save_path
    added = _epoch(row.added_at)
    completed = _epoch(row.completed_at)
    info: dict[str, Any] = {
        "hash": row.hash,
        "infohash_v1": row.hash,
        "infohash_v2": "",
        "name": row.name,
        "magnet_uri": row.magnet,
        "size": size,
        "total_size": size,
        "progress": progress,
        "dlspeed": int(speed),
        "upspeed": 0,
        "downloaded": done,
        "downloaded_session": done,
        "uploaded": 0,
        "uploaded_session": 0,
        "amount_left": max(size - done, 0),
        "completed": done,
        "eta": eta,
        "state": STATE_NAMES[row.state],
        "category": row.category,
        "tags": row.tags,
        "save_path": save,
        "download_path": "",
        "content_path": str(Path(save) / content_name(row)),
        "root_path": "",
        "ratio": 0.0,
        "ratio_limit": -2,
        "max_ratio": -1,
        "seeding_time": 0,
        "seeding_time_limit": -2,
        "inactive_seeding_time_limit": -2,
        "max_seeding_time": -1,
        "added_on": added,
        "completion_on": completed,
        "last_activity": _epoch(row.updated_at),
        "time_active": max(int(time.time()) - added, 0) if added > 0 else 0,
        "priority": 0,
        "num_seeds": 0,
        "num_complete": 0,
        "num_leechs": 0,
        "num_incomplete": 0,
        "availability": -1,
        "dl_limit": 0,
        "up_limit": 0,
        "auto_tmm": False,
        "force_start": False,
        "seq_dl": False,
        "f_l_piece_prio": False,
        "super_seeding": False,
        "private": False,
        "tracker": "",
        "trackers_count": 0,
        "comment": row.error or "",
    }
    if row.error:
        info["anibridge_error"] = row.error
    return info


def torrent_properties(row: DownloadRow, live: Live | None) -> dict[str, Any]:
    size, done, _progress, speed, eta = _numbers(row, live)
    return {
        "hash": row.hash,
        "infohash_v1": row.hash,
        "infohash_v2": "",
        "name": row.name,
        "save_path": row.save_path,
        "download_path": "",
        "comment": row.error or "",
        "creation_date": _epoch(row.added_at),
        "addition_date": _epoch(row.added_at),
        "completion_date": _epoch(row.completed_at),
        "created_by": "anibridge-like",
        "total_size": size,
        "total_downloaded": done,
        "total_downloaded_session": done,
        "total_uploaded": 0,
        "total_uploaded_session": 0,
        "total_wasted": 0,
        "dl_speed": int(speed),
        "dl_speed_avg": int(speed),
        "up_speed": 0,
        "up_speed_avg": 0,
        "dl_limit": -1,
        "up_limit": -1,
        "eta": eta,
        "time_elapsed": 0,
        "seeding_time": 0,
        "share_ratio": 0.0,
        "nb_connections": 0,
        "nb_connections_limit": 0,
        "peers": 0,
        "peers_total": 0,
        "seeds": 0,
        "seeds_total": 0,
        "piece_size": 0,
        "pieces_have": 1 if row.state == "completed" else 0,
        "pieces_num": 1,
        "reannounce": 0,
        "last_seen": _epoch(row.updated_at),
        "is_private": False,
    }


def torrent_files(row: DownloadRow, live: Live | None) -> list[dict[str, Any]]:
    size, _done, progress, _speed, _eta = _numbers(row, live)
    return [
        {
            "index": 0,
            "name": content_name(row),
            "size": size,
            "progress": progress,
            "priority": 1,
            "is_seed": row.state == "completed",
            "piece_range": [0, 0],
            "availability": 1.0 if row.state == "completed" else 0.0,
        }
    ]
