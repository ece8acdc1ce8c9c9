"""Migration 0007: ``titles.newest_seen`` / ``newest_episode`` stay equal to each title's first
release in feed order through every kind of write the pipeline does, done by triggers alone."""

from __future__ import annotations

import random
from typing import Any

import aiosqlite

from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer

TRUTH = """
SELECT t.id,
       (SELECT el.first_seen FROM episodes e JOIN episode_languages el ON el.episode_id = e.id
        WHERE e.title_id = t.id ORDER BY el.first_seen DESC, el.episode_id LIMIT 1),
       (SELECT el.episode_id FROM episodes e JOIN episode_languages el ON el.episode_id = e.id
        WHERE e.title_id = t.id ORDER BY el.first_seen DESC, el.episode_id LIMIT 1)
FROM titles t ORDER BY t.id
"""
STORED = "SELECT id, newest_seen, newest_episode FROM titles ORDER BY id"


def seen(day: int) -> str:
    return f"2026-10-{day:02d}T12:00:00+00:00"


async def run(writer: Writer, *statements: tuple[str, Any]) -> None:
    async def unit(conn: aiosqlite.Connection) -> None:
        for sql, params in statements:
            await conn.execute(sql, params)

    await writer.run(unit, label="tests.newest_bound")


async def assert_in_sync(readers: ReaderPool) -> list[tuple[Any, ...]]:
    stored = [tuple(r) for r in await readers.fetchall(STORED)]
    assert stored == [tuple(r) for r in await readers.fetchall(TRUTH)]
    return stored


async def add_title(writer: Writer, title_id: int, site: str = "sto") -> None:
    await run(
        writer,
        (
            "INSERT INTO titles(id, site, slug, title, kind, generation, first_seen, updated_at)"
            " VALUES (?, ?, ?, ?, 'series', 1, ?, ?)",
            (title_id, site, f"show-{title_id}", f"Show {title_id}", seen(1), seen(1)),
        ),
    )


async def add_episode(writer: Writer, episode_id: int, title_id: int, number: int) -> None:
    await run(
        writer,
        (
            "INSERT INTO episodes(id, title_id, season, number, first_seen) VALUES (?, ?, 1, ?, ?)",
            (episode_id, title_id, number, seen(1)),
        ),
    )


async def add_language(writer: Writer, episode_id: int, language: str, day: int) -> None:
    await run(
        writer,
        (
            "INSERT INTO episode_languages(episode_id, language, first_seen) VALUES (?, ?, ?)",
            (episode_id, language, seen(day)),
        ),
    )


async def test_bound_follows_inserts_ties_deletes_updates_and_cascades(
    writer: Writer, readers: ReaderPool
) -> None:
    await add_title(writer, 1)
    await add_title(writer, 2)
    assert await assert_in_sync(readers) == [(1, None, None), (2, None, None)]
    await add_episode(writer, 10, 1, 1)
    await add_episode(writer, 11, 1, 2)
    await add_language(writer, 11, "de_dub", 5)
    assert (await assert_in_sync(readers))[0] == (1, seen(5), 11)
    await add_language(writer, 10, "de_sub", 5)  # same time, smaller episode id: sorts first
    assert (await assert_in_sync(readers))[0] == (1, seen(5), 10)
    await add_language(writer, 10, "de_dub", 3)  # older: no change
    await add_language(writer, 11, "en_sub", 7)  # newer: the bound moves
    assert (await assert_in_sync(readers))[0] == (1, seen(7), 11)
    await run(
        writer, ("DELETE FROM episode_languages WHERE episode_id = 11 AND language = 'en_sub'", ())
    )
    assert (await assert_in_sync(readers))[0] == (1, seen(5), 10)
    await run(
        writer, ("UPDATE episode_languages SET first_seen = ? WHERE episode_id = 10", (seen(2),))
    )
    assert (await assert_in_sync(readers))[0] == (1, seen(5), 11)
    await run(writer, ("UPDATE episodes SET title_id = 2 WHERE id = 11", ()))
    assert await assert_in_sync(readers) == [(1, seen(2), 10), (2, seen(5), 11)]
    await run(writer, ("DELETE FROM episodes WHERE id = 10", ()))  # languages go by cascade
    assert (await assert_in_sync(readers))[0] == (1, None, None)
    await run(writer, ("DELETE FROM titles WHERE id = 2", ()))  # episodes and languages cascade
    assert await assert_in_sync(readers) == [(1, None, None)]
    assert await readers.fetchall("SELECT 1 FROM episode_languages") == []


async def test_bound_stays_exact_through_random_pipeline_batches(
    writer: Writer, readers: ReaderPool
) -> None:
    """Bounded random batches of the statements the details stage issues (INSERT OR IGNORE of
    languages, deletes of languages and episodes), each batch one writer unit."""
    rng = random.Random(20261122)
    for title_id in range(1, 6):
        await add_title(writer, title_id)
    episodes: dict[int, int] = {}
    next_episode = 100
    languages = ("de_dub", "de_sub", "en_dub")
    for _ in range(40):
        statements: list[tuple[str, Any]] = []
        for _ in range(rng.randint(1, 6)):
            action = rng.random()
            if action < 0.3 or not episodes:
                title_id = rng.randint(1, 5)
                statements.append(
                    (
                        "INSERT INTO episodes(id, title_id, season, number, first_seen)"
                        " VALUES (?, ?, 1, ?, ?)",
                        (next_episode, title_id, next_episode, seen(1)),
                    )
                )
                episodes[next_episode] = title_id
                next_episode += 1
            elif action < 0.75:
                statements.append(
                    (
                        "INSERT OR IGNORE INTO episode_languages(episode_id, language, first_seen)"
                        " VALUES (?, ?, ?)",
                        (
                            rng.choice(list(episodes)),
                            rng.choice(languages),
                            seen(rng.randint(1, 4)),
                        ),
                    )
                )
            elif action < 0.92:
                statements.append(
                    (
                        "DELETE FROM episode_languages WHERE episode_id = ? AND language = ?",
                        (rng.choice(list(episodes)), rng.choice(languages)),
                    )
                )
            else:
                gone = rng.choice(list(episodes))
                del episodes[gone]
                statements.append(("DELETE FROM episodes WHERE id = ?", (gone,)))
        await run(writer, *statements)
        await assert_in_sync(readers)
    stored = await assert_in_sync(readers)
    assert any(row[1] is not None for row in stored)  # the walk did produce releases
