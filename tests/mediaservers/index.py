"""A small hand-built index (titles, episodes, languages, canonical mappings) written straight
through the writer, so inventory and gap tests know exactly what the index holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from anibridge_like.storage.writer import Writer

NOW = "2026-12-03T00:00:00.000Z"


@dataclass(frozen=True)
class IndexedTitle:
    site: str
    slug: str
    title: str
    kind: str  # series | movie
    year: int
    ids: dict[str, object]  # tvdb_id / tmdb_id / imdb_id
    episodes: Sequence[tuple[int, int, int | None, Sequence[str]]]
    """(tvdb season, episode, absolute, languages)"""
    aliases: Sequence[str] = ()


async def add_titles(writer: Writer, titles: Sequence[IndexedTitle]) -> None:
    async def unit(conn: aiosqlite.Connection) -> None:
        for t in titles:
            cur = await conn.execute(
                "INSERT INTO titles(site, slug, title, kind, year, generation, first_seen,"
                " updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                (t.site, t.slug, t.title, t.kind, t.year, NOW, NOW),
            )
            title_id = cur.lastrowid
            for alias in t.aliases:
                await conn.execute(
                    "INSERT INTO title_aliases(title_id, alias) VALUES (?, ?)", (title_id, alias)
                )
            await conn.execute(
                "INSERT INTO series_mappings(title_id, status, tvdb_id, tmdb_id, imdb_id,"
                " canonical_title, canonical_year, updated_at)"
                " VALUES (?, 'confirmed', ?, ?, ?, ?, ?, ?)",
                (
                    title_id,
                    t.ids.get("tvdb_id"),
                    t.ids.get("tmdb_id"),
                    t.ids.get("imdb_id"),
                    t.title,
                    t.year,
                    NOW,
                ),
            )
            for season, number, absolute, languages in t.episodes:
                kind = "film" if season == -1 else "episode"
                cur = await conn.execute(
                    "INSERT INTO episodes(title_id, season, number, absolute, kind, first_seen)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (title_id, season, number, absolute, kind, NOW),
                )
                episode_id = cur.lastrowid
                await conn.executemany(
                    "INSERT INTO episode_languages(episode_id, language, first_seen)"
                    " VALUES (?, ?, ?)",
                    [(episode_id, lang, NOW) for lang in languages],
                )
                if season >= 0:
                    await conn.execute(
                        "INSERT INTO episode_mappings(episode_id, title_id, tvdb_season,"
                        " tvdb_episode, absolute, status, method)"
                        " VALUES (?, ?, ?, ?, ?, 'confirmed', 'direct')",
                        (episode_id, title_id, season, number, absolute),
                    )

    await writer.run(unit)


def _langs(n: int) -> list[str]:
    out = []
    if n <= 28:
        out.append("de_dub")
    if n <= 30:
        out.append("de_sub")
    out.append("en_sub")
    return out


TITAN = IndexedTitle(
    "aniworld",
    "attack-on-titan",
    "Attack on Titan",
    "series",
    2013,
    {"tvdb_id": 267440, "imdb_id": "tt2560140"},
    [(1, n, n, _langs(n)) for n in range(1, 33)],
)
"""32 episodes: German Dub 1–28, German Sub 1–30, English Sub (not a library language) all."""

FRIEREN = IndexedTitle(
    "aniworld",
    "frieren",
    "Frieren: Beyond Journey's End",
    "series",
    2023,
    {"tvdb_id": 424536},
    [(1, n, n, ["de_sub"]) for n in range(1, 11)],
    aliases=("Sousou no Frieren",),
)
MATRIX = IndexedTitle(
    "megakino",
    "the-matrix",
    "The Matrix",
    "movie",
    1999,
    {"tmdb_id": 603, "imdb_id": "tt0133093"},
    [(-1, 1, None, ["de_dub"])],
)
