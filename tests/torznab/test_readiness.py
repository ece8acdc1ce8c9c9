"""``/health/catalog`` calls a library ready exactly when its Torznab endpoint serves (the one
rule of :mod:`anibridge_like.libraries.readiness`): a bare title listing is not ready, a release
of the library's kind or the finished detail stage is."""

from __future__ import annotations

import aiosqlite
import httpx

from tests.torznab.conftest import GLOBAL_KEY, NOW, AppFactory, Catalog, Show
from tests.torznab.xmlutil import items

KEY = f"apikey={GLOBAL_KEY}"


async def _state(client: httpx.AsyncClient, slug: str) -> tuple[bool, int]:
    """(ready in /health/catalog, the Torznab status of a ``t=movie`` / ``t=search``)."""
    body = (await client.get("/health/catalog")).json()
    (library,) = [lib for lib in body["libraries"] if lib["library"] == slug]
    function = "movie" if slug == "movies" else "search"
    torznab = await client.get(f"/torznab/{slug}/api?t={function}&{KEY}")
    return library["ready"], torznab.status_code


async def test_a_listed_library_is_ready_once_a_release_is_indexed(
    make_client: AppFactory,
) -> None:
    listed_only = [Show("megakino", "the-matrix", "Matrix", [], kind="movie", year=1999)]
    client = await make_client(Catalog(shows=listed_only, ready=("mk", "aw", "sto")))
    assert await _state(client, "movies") == (False, 503)

    async def one_release(conn: aiosqlite.Connection) -> None:
        cursor = await conn.execute(
            "INSERT INTO episodes(title_id, season, number, kind, first_seen)"
            " SELECT id, -1, 1, 'film', ? FROM titles",
            (NOW,),
        )
        await conn.execute(
            "INSERT INTO episode_languages(episode_id, language, first_seen)"
            " VALUES (?, 'de_dub', ?)",
            (cursor.lastrowid, NOW),
        )

    await client.app.state.ctx.writer.run(one_release)  # type: ignore[attr-defined]
    assert await _state(client, "movies") == (True, 200)
    assert len(items(await client.get(f"/torznab/movies/api?t=movie&{KEY}"))) == 1


async def test_a_listed_library_is_ready_once_its_details_are_done(
    make_client: AppFactory,
) -> None:
    client = await make_client(Catalog(shows=[], ready=("sto",)))
    assert await _state(client, "series") == (False, 503)
    assert await _state(client, "anime") == (False, 503)  # listing not even done

    async def details_done(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "INSERT INTO stage_state(instance, stage, status, ready_at)"
            " VALUES ('sto', 'detail', 'ready', ?)",
            (NOW,),
        )

    await client.app.state.ctx.writer.run(details_done)  # type: ignore[attr-defined]
    assert await _state(client, "series") == (True, 200)
    assert await _state(client, "anime") == (False, 503)
