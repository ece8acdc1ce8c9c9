"""A library's recommendations as served: every in-scope instance's stored list merged by
canonical work, filtered and annotated — all reads in one reader hop.

* merged by **work id** (Codex merged by bare external id, which collides across sources): the
  highest score wins (its title and external id lead), reasons are combined (`` · ``, each once),
  ``based_on`` is the union, ``sources[]`` lists each instance's external id and score;
* **dropped** when dismissed (:func:`dismiss_unit`, every instance at once) or when none of the
  work's catalog titles has an episode in one of the library's languages;
* **owned** works are marked, not dropped (:func:`~anibridge_like.recommendations.refresh.
  owned_works`);
* each item is annotated with its available languages (the library's, in its order of
  preference) and its episode count per language.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from anibridge_like.libraries.scope import scope_sql
from anibridge_like.recommendations.refresh import owned_works
from anibridge_like.sync.scope import LibraryRow

_ROWS = (
    "SELECT p.name, p.implementation, r.work_id, r.external_id, r.title, r.score, r.reason,"
    " r.based_on, r.title_ids FROM recommendations r"
    " JOIN plugin_instances p ON p.id = r.instance_id"
    " WHERE r.library_id = :library AND p.enabled = 1 AND "
    + scope_sql("p", ":library")
    + " AND NOT EXISTS (SELECT 1 FROM recommendation_dismissals d"
    "   WHERE d.library_id = r.library_id AND d.work_id = r.work_id)"
    " ORDER BY r.score DESC, p.name"
)
_SOURCES = (
    "SELECT p.name, p.implementation, rr.status, rr.generated_at, rr.last_run_at, rr.last_error,"
    " rr.candidates, rr.kept FROM plugin_instances p"
    " LEFT JOIN recommendation_runs rr ON rr.instance_id = p.id AND rr.library_id = :library"
    " WHERE p.kind = 'recommendation' AND p.enabled = 1 AND "
    + scope_sql("p", ":library")
    + " ORDER BY p.name"
)
_AVAILABILITY = (
    "SELECT el.language, COUNT(DISTINCT e.season || ':' || e.number) FROM episodes e"
    " JOIN episode_languages el ON el.episode_id = e.id"
    " JOIN titles t ON t.id = e.title_id AND t.gone = 0"
    " WHERE e.title_id IN (SELECT value FROM json_each(?)) GROUP BY el.language"
)


@dataclass(slots=True)
class Merged:
    work_id: str
    title: str
    external_id: str
    score: float
    reasons: list[str] = field(default_factory=list)
    based_on: list[str] = field(default_factory=list)
    title_ids: set[int] = field(default_factory=set)
    sources: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row: Any) -> None:
        if row["reason"] and row["reason"] not in self.reasons:
            self.reasons.append(row["reason"])
        for seed in json.loads(row["based_on"]):
            if seed not in self.based_on:
                self.based_on.append(seed)
        self.title_ids.update(json.loads(row["title_ids"]))
        self.sources.append(
            {
                "instance": row["name"],
                "plugin": row["implementation"],
                "external_id": row["external_id"],
                "score": row["score"],
            }
        )


def merge_rows(rows: list[Any]) -> list[Merged]:
    """Rows (score descending) merged by work id: the first row of a work has its best score."""
    works: dict[str, Merged] = {}
    for row in rows:
        merged = works.get(row["work_id"])
        if merged is None:
            merged = works[row["work_id"]] = Merged(
                row["work_id"], row["title"], row["external_id"], float(row["score"])
            )
        merged.add(row)
    return list(works.values())


def library_recommendations(conn: sqlite3.Connection, library: LibraryRow) -> dict[str, Any]:
    """The ``GET …/recommendations`` body (runs on a reader's thread)."""
    rows = conn.execute(_ROWS, {"library": library.id}).fetchall()
    owned = owned_works(conn, library.id)
    items: list[dict[str, Any]] = []
    for work in merge_rows(rows):
        counts = dict(conn.execute(_AVAILABILITY, (json.dumps(sorted(work.title_ids)),)))
        languages = [lang for lang in library.languages if counts.get(lang)]
        if not languages:
            continue
        items.append(
            {
                "work_id": work.work_id,
                "title": work.title,
                "external_id": work.external_id,
                "score": work.score,
                "reason": " · ".join(work.reasons),
                "based_on": work.based_on,
                "owned": work.work_id in owned,
                "available_languages": languages,
                "episodes": {lang: counts[lang] for lang in languages},
                "title_ids": sorted(work.title_ids),
                "sources": work.sources,
            }
        )
    items.sort(key=lambda i: (-i["score"], i["title"]))
    sources = [
        {
            "instance": r["name"],
            "plugin": r["implementation"],
            "generated_at": r["generated_at"],
            "cached": r["generated_at"] is not None,
            "last_run": None
            if r["last_run_at"] is None
            else {
                "at": r["last_run_at"],
                "status": r["status"],
                "error": r["last_error"],
                "candidates": r["candidates"],
                "kept": r["kept"],
            },
        }
        for r in conn.execute(_SOURCES, {"library": library.id})
    ]
    return {"library": library.slug, "recommendations": items, "sources": sources}


def dismiss_unit(library_id: int, work: str, now: str) -> Any:
    """Writer unit: hide ``work`` from the library's recommendations, every instance at once.
    Returns whether any instance had recommended it."""

    async def unit(conn: aiosqlite.Connection) -> bool:
        cursor = await conn.execute(
            "DELETE FROM recommendations WHERE library_id = ? AND work_id = ?", (library_id, work)
        )
        await conn.execute(
            "INSERT OR IGNORE INTO recommendation_dismissals(library_id, work_id, dismissed_at)"
            " VALUES (?, ?, ?)",
            (library_id, work, now),
        )
        return cursor.rowcount > 0

    return unit
