"""Persisting a batch of details leaves the event loop to requests between slices of titles
(issue 12, item 7): the rows of a 20-title batch took up to 5 ms in one step of the loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import cast

import aiosqlite

from anibridge_like.catalog.episodes import DetailOutcome, persist_details
from anibridge_like.plugins.provider import Episode, TitleDetail
from anibridge_like.storage.writer import Writer


@dataclass
class _Watched:
    """Counts the titles whose episodes the unit has read (a detail's rows are built then)."""

    built: list[int] = field(default_factory=lambda: [0])


class _Detail:
    """A :class:`TitleDetail` (duck-typed) that counts when its episodes are read."""

    kind, year, aliases = "series", None, ()
    external_ids: dict[str, str] = {}  # noqa: RUF012 (read only)

    def __init__(self, slug: str, watched: _Watched) -> None:
        self.slug, self.title, self.watched = slug, slug.title(), watched

    @property
    def episodes(self) -> list[Episode]:
        self.watched.built[0] += 1
        return [Episode(1, n, titles={"en": f"Episode {n}"}) for n in range(1, 13)]


def _detail(slug: str, watched: _Watched) -> TitleDetail:
    return cast(TitleDetail, _Detail(slug, watched))


async def test_a_batch_is_built_in_slices_with_the_loop_free_between(writer: Writer) -> None:
    size = 20

    async def titles(conn: aiosqlite.Connection) -> list[int]:
        ids = []
        for n in range(size):
            cursor = await conn.execute(
                "INSERT INTO titles(site, slug, title, kind, generation, first_seen, updated_at)"
                " VALUES ('s', ?, ?, 'series', 1, '2026-01-01', '2026-01-01')",
                (f"t{n}", f"T{n}"),
            )
            ids.append(int(cursor.lastrowid or 0))
        return ids

    ids = await writer.run(titles)
    watched = _Watched()
    outcomes = [DetailOutcome(i, f"t{n}", 0, _detail(f"t{n}", watched)) for n, i in enumerate(ids)]
    seen: list[int] = []
    done = asyncio.Event()

    async def request_like() -> None:  # another task wanting the loop all along
        while not done.is_set():
            seen.append(watched.built[0])
            await asyncio.sleep(0)

    async def unit(conn: aiosqlite.Connection) -> None:
        await persist_details(conn, outcomes, moment=datetime.now(UTC), refresh_hours=24.0)

    other = asyncio.create_task(request_like())
    try:
        await writer.run(unit)
    finally:
        done.set()
        await other
    assert watched.built[0] == size
    assert await writer.run(_count) == size * 12
    steps = [b - a for a, b in pairwise(seen)]
    assert max(steps) <= 4, steps  # at most 4 titles built per step of the loop


async def _count(conn: aiosqlite.Connection) -> int:
    rows = await conn.execute_fetchall("SELECT COUNT(*) FROM episodes")
    return int(list(rows)[0][0])
