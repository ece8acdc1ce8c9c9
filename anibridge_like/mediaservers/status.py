"""Media servers' state for ``/health/catalog`` and ``GET /api/v1/media-servers``: per instance
its connection (the worst of its bindings: disconnected > degraded > connected > unknown), the
server it reached, and per bound library the last scan."""

from __future__ import annotations

import json
from typing import Any

from anibridge_like.storage.database import ReaderPool

_RANK = {"unknown": 0, "connected": 1, "degraded": 2, "disconnected": 3}


async def media_server_states(readers: ReaderPool) -> list[dict[str, Any]]:
    instances = await readers.fetchall(
        "SELECT id, name, implementation, enabled, config FROM plugin_instances"
        " WHERE kind = 'media_server' ORDER BY name"
    )
    states = await readers.fetchall(
        "SELECT s.*, l.slug FROM media_scan_state s JOIN libraries l ON l.id = s.library_id"
        " ORDER BY l.slug"
    )
    out: list[dict[str, Any]] = []
    for inst in instances:
        rows = [dict(r) for r in states if r["instance_id"] == inst["id"]]
        bound = json.loads(inst["config"]).get("libraries") or {}
        connection = max((r["connection"] for r in rows), key=_RANK.__getitem__, default="unknown")
        server = next((r for r in rows if r["server_name"]), None)
        out.append(
            {
                "name": inst["name"],
                "implementation": inst["implementation"],
                "enabled": bool(inst["enabled"]),
                "connection": connection,
                "server": {"name": server["server_name"], "version": server["server_version"]}
                if server
                else None,
                "libraries": [
                    _binding(slug, target, next((r for r in rows if r["slug"] == slug), None))
                    for slug, target in sorted(bound.items())
                ],
            }
        )
    return out


def _binding(slug: str, target: str, row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None:
        return {"library": slug, "server_library": target, "status": "pending"}
    return {
        "library": slug,
        "server_library": target,
        "status": row["status"],
        "connection": row["connection"],
        "complete": bool(row["complete"]),
        "items": row["items"],
        "last_scan_at": row["finished_at"],
        "last_complete_at": row["last_complete_at"],
        "next_attempt_at": row["next_attempt_at"],
        "last_error": row["last_error"],
    }
