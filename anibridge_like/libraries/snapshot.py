"""Libraries as the database holds them, loaded in one read.

The application loads the snapshot after every seed reconcile and keeps it on
``AppContext.libraries``; the Torznab endpoints, plugin payloads and jobs read it from there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from anibridge_like.libraries.model import Library
from anibridge_like.plugins.provider import Language
from anibridge_like.storage.database import ReaderPool

_SELECT = "SELECT id, slug, name, kind, categories, languages, api_key FROM libraries ORDER BY id"


@dataclass(frozen=True, slots=True)
class _Row:
    slug: str
    name: str
    kind: str
    categories: list[int]
    languages: list[Language | str]
    api_key: str | None


def library_from_row(row: Any) -> Library:
    """A :class:`Library` from a ``libraries`` row (JSON columns decoded, defaults applied)."""
    return Library.from_source(
        _Row(
            slug=row["slug"],
            name=row["name"],
            kind=row["kind"],
            categories=[int(c) for c in json.loads(row["categories"] or "[]")],
            languages=[str(x) for x in json.loads(row["languages"] or "[]")],
            api_key=row["api_key"],
        )
    )


async def load_libraries(source: ReaderPool | aiosqlite.Connection) -> tuple[Library, ...]:
    """Every library, in the order they were created."""
    if isinstance(source, ReaderPool):
        rows = await source.fetchall(_SELECT)
    else:
        rows = list(await source.execute_fetchall(_SELECT))
    return tuple(library_from_row(r) for r in rows)


async def library_ids(source: ReaderPool) -> dict[str, int]:
    """Library slug → row id."""
    return {r[0]: int(r[1]) for r in await source.fetchall("SELECT slug, id FROM libraries")}
