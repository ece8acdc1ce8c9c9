"""Which library a sync/recommendation run serves, and which catalog titles belong to it.

A library resolves by slug to its row; an instance serves it when it is enabled and scoped to it
(or to all libraries: :mod:`anibridge_like.libraries.scope`, the one scope rule). A catalog title
belongs to a library when an enabled provider instance in the library's scope serves the title's
site and the title's kind is the library's (``movies`` → ``movie``, otherwise ``series``) — the
rule Torznab uses.
Nothing resolves → nothing is written (fail closed).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite

from anibridge_like.libraries.model import Library
from anibridge_like.libraries.scope import scope_sql
from anibridge_like.libraries.snapshot import library_from_row
from anibridge_like.storage.database import ReaderPool


@dataclass(frozen=True, slots=True)
class LibraryRow:
    """A library with its row id (the wanted and recommendation tables key on it)."""

    id: int
    library: Library

    @property
    def slug(self) -> str:
        return self.library.slug

    @property
    def name(self) -> str:
        return self.library.name

    @property
    def kind(self) -> str:
        return self.library.kind

    @property
    def title_kind(self) -> str:
        return self.library.title_kind

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(str(lang) for lang in self.library.languages)


_SELECT = (
    "SELECT id, slug, name, kind, categories, languages, api_key FROM libraries WHERE slug = ?"
)


async def library_by_slug(
    readers: ReaderPool | aiosqlite.Connection, slug: str
) -> LibraryRow | None:
    if isinstance(readers, ReaderPool):
        row = await readers.fetchone(_SELECT, (slug,))
    else:
        rows = list(await readers.execute_fetchall(_SELECT, (slug,)))
        row = rows[0] if rows else None
    return None if row is None else LibraryRow(int(row["id"]), library_from_row(row))


async def instances_serving(readers: ReaderPool, library_id: int, kind: str) -> list[str]:
    """Names of the enabled ``kind`` instances serving the library, by name."""
    rows = await readers.fetchall(
        "SELECT p.name FROM plugin_instances p WHERE p.kind = ? AND p.enabled = 1 AND "
        + scope_sql("p", "?")
        + " ORDER BY p.name",
        (kind, library_id),
    )
    return [str(r[0]) for r in rows]


LIBRARY_TITLES = (
    "SELECT t.id FROM titles t WHERE t.gone = 0 AND t.kind = :title_kind AND t.site IN ("
    " SELECT p.site FROM plugin_instances p WHERE p.kind = 'provider' AND p.enabled = 1"
    " AND p.site IS NOT NULL AND " + scope_sql("p", ":library") + ")"
)
"""SQL: ids of the live catalog titles of library ``:library`` (``:title_kind`` its title kind)."""

TRUSTED = "('confirmed', 'high')"

ID_COLUMNS = (("tvdb", "tvdb_id"), ("tmdb", "tmdb_id"), ("imdb", "imdb_id"),
              ("anilist", "anilist_id"), ("mal", "mal_id"))  # fmt: skip


def id_matches(source: str, key: str, column: str) -> str:
    """SQL: ``(key, title_id)`` of every title sharing an id with the rows of ``source`` (a
    table expression with ``key`` and ``{namespace}_id`` columns): through its trusted mapping,
    or — for a title the canonical stage has not mapped yet — through the ids its own page links
    (``title_external_ids``). One indexed join per namespace and source (an ``OR`` over the
    namespaces would scan the mappings for every row)."""
    branches = []
    for namespace, col in ID_COLUMNS:
        value = column.format(col=col)
        branches.append(
            f"SELECT {key} AS key, sm.title_id AS title_id FROM {source}"
            f" JOIN series_mappings sm ON sm.{col} = {value}"
            f" WHERE {value} IS NOT NULL AND sm.status IN {TRUSTED}"
        )
        branches.append(
            f"SELECT {key} AS key, x.title_id AS title_id FROM {source}"
            f" JOIN title_external_ids x ON x.namespace = '{namespace}'"
            f" AND x.value = CAST({value} AS TEXT) WHERE {value} IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM series_mappings sx WHERE sx.title_id = x.title_id)"
        )
    return " UNION ".join(branches)


RESOLVE_IDS = (
    "SELECT key, title_id FROM ("
    + id_matches(
        "(SELECT json_extract(value, '$.key') AS key, json_extract(value, '$.tvdb') AS tvdb_id,"
        " json_extract(value, '$.tmdb') AS tmdb_id, json_extract(value, '$.imdb') AS imdb_id,"
        " json_extract(value, '$.anilist') AS anilist_id, json_extract(value, '$.mal') AS mal_id"
        " FROM json_each(:refs)) r",
        "r.key",
        "r.{col}",
    )
    + ") WHERE title_id IN ("
    + LIBRARY_TITLES
    + ")"
)
"""SQL: ``(key, title_id)`` for every reference in ``:refs`` (JSON list of ``{key, tvdb, tmdb,
imdb, anilist, mal}``) and every trusted-mapped title of the library its ids resolve to."""


def resolve_refs(
    conn: sqlite3.Connection, library: LibraryRow, refs: list[dict[str, Any]]
) -> dict[Any, list[int]]:
    """Key → the library's catalog title ids (every one its ids resolve to); raw connection."""
    if not refs:
        return {}
    out: dict[Any, list[int]] = {}
    params = {"refs": json.dumps(refs), "library": library.id, "title_kind": library.title_kind}
    for key, title_id in conn.execute(RESOLVE_IDS, params):
        out.setdefault(key, []).append(int(title_id))
    for ids in out.values():
        ids.sort()
    return out
