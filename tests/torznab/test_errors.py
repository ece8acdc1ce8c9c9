"""Every Newznab error code, readiness (503), the 900 boundary and per-library key isolation."""

from __future__ import annotations

import aiosqlite
import httpx
import pytest

from tests.torznab.conftest import GLOBAL_KEY, AppFactory, Catalog, Show, default_catalog
from tests.torznab.xmlutil import error, items

KEY = f"apikey={GLOBAL_KEY}"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("t=caps&apikey=wrong", 100),
        ("t=search", 100),  # a key is set: missing counts as bad
        ("t=search&apikey=", 100),
        (KEY, 200),
        (f"t=&{KEY}", 200),
        (f"t=tvsearch&season=abc&{KEY}", 201),
        (f"t=tvsearch&season=-1&{KEY}", 201),
        (f"t=tvsearch&ep=x5&{KEY}", 201),
        (f"t=tvsearch&tvdbid=12ab&{KEY}", 201),
        (f"t=movie&imdbid=tt12x&{KEY}", 201),
        (f"t=search&limit=abc&{KEY}", 201),
        (f"t=search&offset=-5&{KEY}", 201),
        (f"t=search&cat=5000,abc&{KEY}", 201),
        (f"t=frobnicate&{KEY}", 202),
        (f"t=music&{KEY}", 203),
        (f"t=book&{KEY}", 203),
    ],
)
async def test_errors_answer_http_200_with_the_newznab_code(
    client: httpx.AsyncClient, query: str, code: int
) -> None:
    response = await client.get(f"/torznab/api?{query}")
    assert response.status_code == 200
    assert error(response)[0] == code


async def test_bad_key_description_is_the_exact_credentials_text(client: httpx.AsyncClient) -> None:
    response = await client.get("/torznab/api?t=caps&apikey=nope")
    assert error(response) == (100, "Incorrect user credentials")


async def test_function_of_another_library_kind_is_not_available(
    client: httpx.AsyncClient,
) -> None:
    movie_on_anime = await client.get(f"/torznab/anime/api?t=movie&q=x&{KEY}")
    tv_on_movies = await client.get(f"/torznab/movies/api?t=tvsearch&{KEY}")
    assert error(movie_on_anime)[0] == 203
    assert error(tv_on_movies)[0] == 203


async def test_unknown_library_is_an_incorrect_parameter(client: httpx.AsyncClient) -> None:
    assert error(await client.get(f"/torznab/nope/api?t=caps&{KEY}"))[0] == 201
    assert error(await client.get("/torznab/nope/api?t=caps&apikey=bad"))[0] == 100


async def test_library_key_opens_only_its_library(client: httpx.AsyncClient) -> None:
    own = await client.get("/torznab/anime/api?t=search&apikey=anime-key")
    assert items(own)
    other = await client.get("/torznab/movies/api?t=search&apikey=anime-key")
    assert error(other)[0] == 100
    everything = items(await client.get("/torznab/api?t=search&limit=100&apikey=anime-key"))
    assert everything
    assert all(i.attr("category") == "5070" for i in everything)
    assert not any("MEGAKINO" in i.title or "-STO" in i.title for i in everything)
    caps = await client.get("/torznab/api?t=caps&apikey=anime-key")
    assert 'id="2000"' not in caps.text and 'id="5070"' in caps.text


async def test_global_key_sees_every_library(client: httpx.AsyncClient) -> None:
    found = items(await client.get(f"/torznab/api?t=search&limit=100&{KEY}"))
    sites = {i.guid.split(":")[1] for i in found}
    assert sites == {"aniworld", "sto", "megakino"}


async def test_without_any_key_set_the_open_libraries_need_none(make_client: AppFactory) -> None:
    client = await make_client(api_key=None)
    assert items(await client.get("/torznab/series/api?t=search"))
    # the anime library keeps its own key even when no global key is set
    assert error(await client.get("/torznab/anime/api?t=search"))[0] == 100
    assert items(await client.get("/torznab/anime/api?t=search&apikey=anime-key"))
    open_feed = items(await client.get("/torznab/api?t=search&limit=100"))
    assert open_feed and not any("ANIWORLD" in i.title for i in open_feed)


async def test_catalog_not_ready_is_503_with_retry_after(make_client: AppFactory) -> None:
    catalog = default_catalog()
    client = await make_client(Catalog(shows=catalog.shows, ready=("sto",), pending=("aw",)))
    response = await client.get(f"/torznab/anime/api?t=tvsearch&{KEY}")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert error(response)[0] == 900
    # caps never wait for the catalog, and a ready library answers
    assert (await client.get(f"/torznab/anime/api?t=caps&{KEY}")).status_code == 200
    assert items(await client.get(f"/torznab/series/api?t=search&{KEY}"))
    # the all-libraries endpoint serves what is ready
    assert items(await client.get(f"/torznab/api?t=search&{KEY}"))


async def test_library_without_any_instance_state_is_not_ready(make_client: AppFactory) -> None:
    client = await make_client(Catalog(shows=[Show("sto", "x", "X", [])]))
    response = await client.get(f"/torznab/api?t=search&{KEY}")
    assert response.status_code == 503
    assert "Retry-After" in response.headers


async def test_unexpected_failure_is_logged_and_answered_900(make_client: AppFactory) -> None:
    client = await make_client()
    app = client.app  # type: ignore[attr-defined]

    async def break_schema(conn: aiosqlite.Connection) -> None:
        await conn.execute("ALTER TABLE episode_languages RENAME TO episode_languages_moved")

    await app.state.ctx.writer.run(break_schema)
    response = await client.get(f"/torznab/api?t=search&{KEY}")
    assert response.status_code == 200
    assert error(response) == (900, "Unknown error")


async def test_listing_without_releases_is_not_ready_until_a_release_or_the_details_are_in(
    make_client: AppFactory,
) -> None:
    """Radarr's Test (``t=movie``, no query) right after the title listing: no release yet, so
    503 + Retry-After (not an empty feed that fails the Test) until one is indexed."""
    listed_only = [Show("megakino", "the-matrix", "Matrix", [], kind="movie", year=1999)]
    client = await make_client(Catalog(shows=listed_only, ready=("mk", "aw", "sto")))
    response = await client.get(f"/torznab/movies/api?t=movie&cat=2000,2040&{KEY}")
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    assert "still being indexed" in error(response)[1]

    async def one_release(conn: aiosqlite.Connection) -> None:
        cursor = await conn.execute(
            "INSERT INTO episodes(title_id, season, number, kind, first_seen)"
            " SELECT id, -1, 1, 'film', '2026-11-20T12:00:00+00:00' FROM titles"
        )
        await conn.execute(
            "INSERT INTO episode_languages(episode_id, language, first_seen)"
            " VALUES (?, 'de_dub', '2026-11-20T12:00:00+00:00')",
            (cursor.lastrowid,),
        )

    await client.app.state.ctx.writer.run(one_release)  # type: ignore[attr-defined]
    assert len(items(await client.get(f"/torznab/movies/api?t=movie&{KEY}"))) == 1


async def test_completed_details_with_no_release_answer_an_empty_feed(
    make_client: AppFactory,
) -> None:
    client = await make_client(Catalog(shows=[], ready=("mk",)))

    async def details_done(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "INSERT INTO stage_state(instance, stage, status, ready_at)"
            " VALUES ('mk', 'detail', 'ready', '2026-11-20T12:00:00+00:00')"
        )

    assert (await client.get(f"/torznab/movies/api?t=movie&{KEY}")).status_code == 503
    await client.app.state.ctx.writer.run(details_done)  # type: ignore[attr-defined]
    assert items(await client.get(f"/torznab/movies/api?t=movie&{KEY}")) == []
