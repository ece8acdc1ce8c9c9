"""One definition of the canonical work key (``anibridge_like.works.keys``): the ``title_works``
view spells it, and a recommendation's work id is the ``works.key`` of its titles — a title known
only by AniList/MAL ids has no work and is not recommended."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import aiosqlite

from anibridge_like.context import AppContext
from anibridge_like.settings import Settings
from anibridge_like.storage.migrate import apply_migrations
from anibridge_like.sync.service import service_of
from anibridge_like.works.keys import work_key, work_key_sql
from anibridge_like.works.values import work_key as values_work_key
from tests.recommendations.test_merge import KEY, cand, eps
from tests.sync.support import RECS, running_app, script
from tests.torznab.conftest import Catalog, Show

ANILIST = {"frieren": 154587, "dungeon": 8888, "anime-only": 4242}


def test_work_key_precedence_and_absent_ids() -> None:
    assert work_key({"tmdb": 603, "tvdb": 81797, "imdb": "tt0133093"}) == "tvdb:81797"
    assert work_key({"tmdb": "603", "imdb": "tt0133093", "anilist": 5}) == "tmdb:603"
    assert work_key({"imdb": "tt0133093", "mal": 9}) == "imdb:tt0133093"
    assert work_key({"anilist": 5, "mal": 9}) is None
    assert work_key({"tvdb": "abc", "tmdb": None, "imdb": ""}) is None
    assert values_work_key({"tmdb": "603", "tvdb": "1"}, "movie") == "tvdb:1"


def test_the_title_works_view_is_the_same_definition(tmp_path: Path) -> None:
    apply_migrations(tmp_path / "db.sqlite")
    conn = sqlite3.connect(tmp_path / "db.sqlite")
    try:
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'title_works'").fetchone()
        assert " ".join(work_key_sql("sm").split()) in " ".join(sql.split())
    finally:
        conn.close()


def catalog() -> Catalog:
    return Catalog(
        ready=("aw", "sto", "mk"),
        shows=[
            Show("aniworld", "frieren", "Frieren", eps(2, "de_dub"),
                 mapping={"tvdb_id": 424536, "tmdb_id": 209867}),
            Show("aniworld", "dungeon", "Dungeon", eps(1, "de_dub"),
                 mapping={"tmdb_id": 888, "imdb_id": "tt0000888"}),
            Show("aniworld", "anime-only", "Anime Only", eps(1, "de_dub"), mapping={}),
        ],
    )  # fmt: skip


async def _add_anilist_ids(ctx: AppContext) -> None:
    async def unit(conn: aiosqlite.Connection) -> None:
        await conn.executemany(
            "UPDATE series_mappings SET anilist_id = ? WHERE title_id ="
            " (SELECT id FROM titles WHERE slug = ?)",
            [(aid, slug) for slug, aid in ANILIST.items()],
        )

    await ctx.writer.run(unit)


async def test_recommendation_work_ids_are_the_works_keys_of_their_titles(
    settings: Settings,
) -> None:
    plugins = [script("recs-a", "a", ["anime"], "recommendation")]
    async with running_app(settings, catalog(), plugins) as (ctx, client):
        await _add_anilist_ids(ctx)
        RECS["a"] = [cand(aid, 0.9 - i / 10, f"r{i}") for i, aid in enumerate(ANILIST.values())]
        started = await client.post("/api/v1/libraries/anime/recommendations/refresh", headers=KEY)
        assert started.status_code == 202
        await service_of(ctx).wait()
        rows = await ctx.readers.fetchall("SELECT work_id, title_ids FROM recommendations")
        assert sorted(r[0] for r in rows) == ["tmdb:888", "tvdb:424536"]
        for work, title_ids in rows:
            placeholders = ",".join("?" * len(json.loads(title_ids)))
            found = await ctx.readers.fetchall(
                f"SELECT DISTINCT work FROM title_works WHERE title_id IN ({placeholders})",
                tuple(json.loads(title_ids)),
            )
            assert [r[0] for r in found] == [work]
        got = (await client.get("/api/v1/libraries/anime/recommendations", headers=KEY)).json()
        assert [i["work_id"] for i in got["recommendations"]] == ["tvdb:424536", "tmdb:888"]


def test_media_server_resolution_uses_the_same_definition() -> None:
    from anibridge_like.mediaservers.resolve import WORK_SQL

    assert work_key_sql("sm") == WORK_SQL
