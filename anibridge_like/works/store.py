"""Canonical works in the database: reads (one reader thread hop per call) and the writer units.

* :func:`fill_works` — the canonical stage's unit part: a new work gets every provided value; an
  existing one only fills fields that are empty and not locked (new episodes are added, known
  ones kept). Refreshing existing values is the ``metadata_refresh`` job's business.
* :func:`apply_unit` — a refresh batch: sets the chosen values, replaces episode lists, stamps
  ``work_sync``; locks are re-read inside the unit, so a lock set after planning still wins.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from anibridge_like.storage.database import ReaderPool, run_sync
from anibridge_like.works.fields import FIELDS, JSON_FIELDS, SCALAR_FIELDS
from anibridge_like.works.values import WorkValues, provided


@dataclass(slots=True)
class WorkRecord:
    key: str
    kind: str
    values: WorkValues
    locks: frozenset[str] = frozenset()
    meta: dict[str, Any] = field(default_factory=dict)


def _column(name: str, raw: Any) -> Any:
    return json.loads(raw) if name in JSON_FIELDS else raw


def _to_db(name: str, value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if name in JSON_FIELDS else value


def _load(conn: sqlite3.Connection, keys: Sequence[str]) -> dict[str, WorkRecord]:
    param = (json.dumps(sorted(set(keys))),)
    cols = ", ".join(SCALAR_FIELDS)
    rows = conn.execute(
        f"SELECT key, kind, locked_fields, created_at, updated_at, {cols} FROM works"
        " WHERE key IN (SELECT value FROM json_each(?))",
        param,
    ).fetchall()
    out: dict[str, WorkRecord] = {}
    for r in rows:
        values = {name: _column(name, r[5 + i]) for i, name in enumerate(SCALAR_FIELDS)}
        values["episodes"] = []
        meta = {"created_at": r[3], "updated_at": r[4]}
        out[r[0]] = WorkRecord(r[0], r[1], values, frozenset(json.loads(r[2])), meta)
    for w, *episode in conn.execute(
        "SELECT work, season, episode, absolute, title, air_date, runtime, special"
        " FROM work_episodes WHERE work IN (SELECT value FROM json_each(?))"
        " ORDER BY work, season, episode",
        param,
    ):
        out[w].values["episodes"].append(list(episode))
    return out


async def load_works(readers: ReaderPool, keys: Sequence[str]) -> dict[str, WorkRecord]:
    """The works ``keys`` (absent keys are left out) with their values and locks."""
    async with readers.connection() as conn:
        return await run_sync(conn, _load, keys)


def _lock_clause(name: str, table: str = "works") -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM json_each({table}.locked_fields) lk WHERE lk.value = '{name}')"
    )


_FILL_SQL = (
    "INSERT INTO works(key, kind, "
    + ", ".join(SCALAR_FIELDS)
    + ", created_at, updated_at) VALUES ("
    + ", ".join("?" * (len(SCALAR_FIELDS) + 4))
    + ") ON CONFLICT(key) DO UPDATE SET "
    + ", ".join(
        f"{n} = CASE WHEN ({'works.' + n} IS NULL OR works.{n} = '[]') AND {_lock_clause(n)}"
        f" AND excluded.{n} IS NOT NULL THEN excluded.{n} ELSE works.{n} END"
        for n in SCALAR_FIELDS
        if n != "title"
    )
)
_EPISODE_FILL = (
    "INSERT OR IGNORE INTO work_episodes(work, season, episode, absolute, title, air_date,"
    " runtime, special) SELECT ?, ?, ?, ?, ?, ?, ?, ? FROM works WHERE works.key = ?"
    f" AND {_lock_clause('episodes')}"
)


async def fill_works(
    conn: aiosqlite.Connection, works: Sequence[tuple[str, str, WorkValues]], stamp: str
) -> None:
    """Writer unit body (part of the canonical batch): ``(key, kind, values)`` per work."""
    ordered = sorted({key: (key, kind, v) for key, kind, v in works}.values())
    rows = [
        (
            key,
            kind,
            *(
                _to_db(n, v.get(n)) if provided(v.get(n)) else "[]" if n in JSON_FIELDS else None
                for n in SCALAR_FIELDS
            ),
            stamp,
            stamp,
        )
        for key, kind, v in ordered
        if v.get("title")
    ]
    if rows:
        await conn.executemany(_FILL_SQL, rows)
    episodes = [
        (key, *e, key)
        for key, _kind, v in ordered
        if v.get("title")
        for e in v.get("episodes") or ()
    ]
    if episodes:
        await conn.executemany(_EPISODE_FILL, episodes)


@dataclass(slots=True)
class WorkUpdate:
    """One work's refresh: the values to set (locks are re-checked in the unit) and the
    instances that answered for it."""

    key: str
    values: WorkValues
    synced: list[str]


def _apply(conn: sqlite3.Connection, updates: Sequence[WorkUpdate], stamp: str) -> int:
    written = 0
    for u in sorted(updates, key=lambda u: u.key):
        row = conn.execute("SELECT locked_fields FROM works WHERE key = ?", (u.key,)).fetchone()
        if row is None:
            continue  # deleted meanwhile
        locks = set(json.loads(row[0]))
        scalars = [n for n in SCALAR_FIELDS if n in u.values and n not in locks]
        if scalars:
            sets = ", ".join(f"{n} = ?" for n in scalars)
            conn.execute(
                f"UPDATE works SET {sets}, updated_at = ? WHERE key = ?",
                (*(_to_db(n, u.values[n]) for n in scalars), stamp, u.key),
            )
            written += len(scalars)
        if "episodes" in u.values and "episodes" not in locks:
            conn.execute("DELETE FROM work_episodes WHERE work = ?", (u.key,))
            conn.executemany(
                "INSERT INTO work_episodes(work, season, episode, absolute, title, air_date,"
                " runtime, special) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(u.key, *e) for e in u.values["episodes"]],
            )
            written += 1
        conn.executemany(
            "INSERT INTO work_sync(work, instance, synced_at) VALUES (?, ?, ?)"
            " ON CONFLICT(work, instance) DO UPDATE SET synced_at = excluded.synced_at",
            [(u.key, name, stamp) for name in sorted(set(u.synced))],
        )
    return written


def apply_unit(updates: Sequence[WorkUpdate], stamp: str) -> Any:
    """A writer unit applying one batch of refreshes (one thread hop for the whole batch)."""

    async def unit(conn: aiosqlite.Connection) -> int:
        return await run_sync(conn, _apply, updates, stamp)

    return unit


def set_locks_unit(key: str, lock: Sequence[str], unlock: Sequence[str], stamp: str) -> Any:
    """A writer unit changing a work's locks; returns the new list (``None``: no such work)."""

    async def unit(conn: aiosqlite.Connection) -> list[str] | None:
        rows = list(
            await conn.execute_fetchall("SELECT locked_fields FROM works WHERE key = ?", (key,))
        )
        if not rows:
            return None
        locks = (set(json.loads(rows[0][0])) | set(lock)) - set(unlock)
        ordered = [f for f in FIELDS if f in locks]
        await conn.execute(
            "UPDATE works SET locked_fields = ?, updated_at = ? WHERE key = ?",
            (json.dumps(ordered), stamp, key),
        )
        return ordered

    return unit
