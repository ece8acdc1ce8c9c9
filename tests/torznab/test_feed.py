"""Pages drawn newest-title-first (feed.py, sources.py) equal the plain feed order: every row of
the request's scope sorted by (first_seen DESC, episode_id, language), sliced by offset/limit,
preference-ordered within an episode — whichever title source and plan serves them."""

from __future__ import annotations

from typing import Any

import aiosqlite
import httpx
import pytest

from anibridge_like.torznab import sources
from tests.torznab.conftest import GLOBAL_KEY, AppFactory, Catalog, Ep, Show, ts
from tests.torznab.xmlutil import items

TIE = ts(20)
"""One bootstrap second shared by a whole site."""
ANIME = ("de_dub", "de_sub")
SERIES = ("de_dub", "de_sub", "en_dub", "en_sub", "ja")  # the seed lists none: all, enum order


def tied_catalog() -> Catalog:
    shows = [
        Show("aniworld", f"dark-tale-{n}", f"Dark Tale {n}",
             [Ep(1, e, {"de_dub": TIE, "de_sub": TIE, "en_sub": TIE}) for e in range(1, 5)])
        for n in range(1, 31)
    ]  # fmt: skip
    shows.append(
        Show("aniworld", "quiet-ocean", "Quiet Ocean",
             [Ep(1, e, {"de_sub": ts(2 + e)}) for e in range(1, 4)])
    )  # fmt: skip
    shows.extend(
        Show("sto", f"slice-{n}", f"Slice {n}",
             [Ep(1, e, {"de_dub": ts(3 + n, e), "en_dub": ts(3 + n, e + 1)})
              for e in range(1, 4)] + [Ep(2, 1, {"de_dub": TIE})])
        for n in range(1, 7)
    )  # fmt: skip
    shows.append(Show("sto", "gone-show", "Gone Show", [Ep(1, 1, {"de_dub": TIE})], gone=1))
    return Catalog(ready=("aw", "sto", "mk"), shows=shows)


async def add_late_episode(client: httpx.AsyncClient, slug: str, number: int) -> None:
    """An episode added after every other one (the largest id) to an early title, released in
    the tied second: the title's rows are no longer contiguous in feed order."""

    async def unit(conn: aiosqlite.Connection) -> None:
        cursor = await conn.execute(
            "INSERT INTO episodes(title_id, season, number, first_seen)"
            " SELECT id, 1, ?, ? FROM titles WHERE slug = ?",
            (number, TIE, slug),
        )
        await conn.executemany(
            "INSERT INTO episode_languages(episode_id, language, first_seen) VALUES (?, ?, ?)",
            [(cursor.lastrowid, language, TIE) for language in ANIME],
        )

    await client.app.state.ctx.writer.run(unit)  # type: ignore[attr-defined]


async def expected(
    client: httpx.AsyncClient,
    site: str,
    languages: tuple[str, ...],
    offset: int,
    limit: int,
    title_like: str = "%",
) -> list[str]:
    """The oracle: every row of the slice, sorted and sliced the plain way."""
    rows: list[Any] = await client.app.state.ctx.readers.fetchall(  # type: ignore[attr-defined]
        "SELECT t.slug, e.season, e.number, el.language, el.first_seen, el.episode_id"
        " FROM titles t JOIN episodes e ON e.title_id = t.id"
        " JOIN episode_languages el ON el.episode_id = e.id"
        " WHERE t.site = ? AND t.gone = 0 AND e.season >= 0 AND t.title LIKE ?",
        (site, title_like),
    )
    rows = [r for r in rows if r["language"] in languages]
    rows.sort(key=lambda r: (r["episode_id"], r["language"]))
    rows.sort(key=lambda r: r["first_seen"], reverse=True)
    page = rows[offset : offset + limit]
    page.sort(key=lambda r: (r["episode_id"], languages.index(r["language"])))
    page.sort(key=lambda r: r["first_seen"], reverse=True)
    return [f"anibridge:{site}:{r[0]}:{r[1]}:{r[2]}:{r[3]}" for r in page]


async def guids(client: httpx.AsyncClient, path: str, query: str) -> list[str]:
    return [i.guid for i in items(await client.get(f"{path}?{query}&apikey={GLOBAL_KEY}"))]


async def test_rss_of_a_small_slice_behind_a_tied_bootstrap(make_client: AppFactory) -> None:
    client = await make_client(tied_catalog())
    for offset, limit in ((0, 100), (0, 5), (5, 5), (20, 7), (24, 50), (200, 10)):
        got = await guids(
            client, "/torznab/series/api", f"t=tvsearch&offset={offset}&limit={limit}"
        )
        assert got == await expected(client, "sto", SERIES, offset, limit), (offset, limit)
    assert len(await guids(client, "/torznab/series/api", "t=tvsearch&limit=100")) == 42


async def test_rss_of_the_tied_site_pages_in_episode_order(make_client: AppFactory) -> None:
    client = await make_client(tied_catalog())
    await add_late_episode(client, "dark-tale-1", 5)
    for offset, limit in ((0, 50), (50, 50), (230, 20)):
        got = await guids(client, "/torznab/anime/api", f"t=tvsearch&offset={offset}&limit={limit}")
        assert got == await expected(client, "aniworld", ANIME, offset, limit)
    assert len(await guids(client, "/torznab/anime/api", "t=tvsearch&offset=240")) == 5


@pytest.mark.parametrize(
    ("q", "title_like", "plan"),
    [("dark", "Dark Tale %", "one-by-one"), ("quiet ocean", "Quiet Ocean", "chunks")],
)
async def test_text_pages_agree_with_the_plain_order_on_both_plans(
    make_client: AppFactory, q: str, title_like: str, plan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await make_client(tied_catalog())
    await add_late_episode(client, "dark-tale-2", 9)
    if plan == "one-by-one":  # candidates read one at a time: every tie split across reads
        monkeypatch.setattr(sources, "FIRST_CHUNK", 1)
        monkeypatch.setattr(sources, "MAX_CHUNK", 1)
    for offset, limit in ((0, 100), (0, 7), (7, 7), (63, 20), (500, 5)):
        got = await guids(
            client, "/torznab/anime/api", f"t=search&q={q}&offset={offset}&limit={limit}"
        )
        want = await expected(client, "aniworld", ANIME, offset, limit, title_like)
        assert got == want, (q, offset, limit)
