"""Search semantics: ids via the canonical mapping, loose text, absolute numbers, RSS, paging."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import httpx
import pytest

from tests.torznab.conftest import GLOBAL_KEY, AppFactory, Catalog, Ep, Show, ts
from tests.torznab.sonarr_parse import parse
from tests.torznab.xmlutil import Item, items

KEY = f"apikey={GLOBAL_KEY}"


async def get(client: httpx.AsyncClient, path: str, query: str) -> list[Item]:
    return items(await client.get(f"{path}?{query}&{KEY}"))


def slugs(found: list[Item]) -> set[str]:
    return {i.guid.split(":")[2] for i in found}


async def test_tvsearch_by_tvdbid_season_and_episode(client: httpx.AsyncClient) -> None:
    found = await get(client, "/torznab/api", "t=tvsearch&tvdbid=267440&season=1&ep=2")
    # anime library serves de_dub then de_sub (en_sub is not among its languages)
    assert [i.title for i in found] == [
        "[ANIWORLD] Attack on Titan - 002 - S01E02 (WEB 1080p) [German Dub]",
        "[ANIWORLD] Attack on Titan - 002 - S01E02 (WEB 1080p) [Japanese GerSub]",
    ]
    assert all(i.attr("tvdbid") == "267440" for i in found)


async def test_season_without_episode_returns_the_season(client: httpx.AsyncClient) -> None:
    found = await get(client, "/torznab/api", "t=tvsearch&tvdbid=267440&season=01")
    assert {parse(i.title).episode for i in found} == {1, 2, 3}  # type: ignore[union-attr]
    assert await get(client, "/torznab/api", "t=tvsearch&tvdbid=267440&season=2") == []


async def test_site_split_seasons_answer_in_tvdb_numbering(client: httpx.AsyncClient) -> None:
    found = await get(client, "/torznab/api", "t=tvsearch&tvdbid=1001&season=1&ep=13")
    assert [i.guid for i in found] == ["anibridge:aniworld:dragons-garden:2:1:de_sub"]


async def test_anime_absolute_number_in_q(client: httpx.AsyncClient) -> None:
    found = await get(client, "/torznab/anime/api", "t=tvsearch&tvdbid=1001&q=14")
    assert [i.guid for i in found] == ["anibridge:aniworld:dragons-garden:2:2:de_sub"]
    by_title = await get(client, "/torznab/anime/api", "t=search&q=Dragons+Garden+13")
    assert [i.guid for i in by_title] == ["anibridge:aniworld:dragons-garden:2:1:de_sub"]


async def test_ids_together_identify_the_series_not_an_and_filter(
    client: httpx.AsyncClient,
) -> None:
    # a wrong imdbid next to the right tvdbid: tvdb wins
    found = await get(
        client, "/torznab/api", "t=tvsearch&tvdbid=267440&imdbid=tt0903747&season=1&ep=1"
    )
    assert slugs(found) == {"shingeki-no-kyojin"}
    # an unknown tvdbid next to a known imdbid: the imdbid identifies it
    found = await get(client, "/torznab/api", "t=tvsearch&tvdbid=99&imdbid=tt0903747&season=1&ep=1")
    assert slugs(found) == {"breaking-things"}
    # empty ids, as Sonarr sends unknown ones, are ignored
    found = await get(client, "/torznab/api", "t=tvsearch&tvdbid=4004&imdbid=&rid=&season=1&ep=3")
    assert len(found) == 2


async def test_low_mappings_serve_text_searches_only_and_conflicts_never(
    client: httpx.AsyncClient,
) -> None:
    assert await get(client, "/torznab/api", "t=tvsearch&tvdbid=2002") == []
    assert await get(client, "/torznab/api", "t=tvsearch&tvdbid=3003") == []
    low = await get(client, "/torznab/api", "t=search&q=Cafe+Nocturne")
    assert slugs(low) == {"cafe-nocturne"}
    assert low[0].attr("tvdbid") is None  # low mapping: no ids, site title
    assert low[0].title.startswith("[ANIWORLD] Café Nocturne - 001")
    # the conflict's canonical name does not find it; the site title does
    assert await get(client, "/torznab/api", "t=search&q=Conflict") == []
    assert slugs(await get(client, "/torznab/api", "t=search&q=konflikt")) == {"konflikt"}


async def test_unknown_ids_fall_back_to_q_and_foreign_ids_find_nothing(
    client: httpx.AsyncClient,
) -> None:
    found = await get(
        client, "/torznab/api", "t=tvsearch&tvdbid=77&q=Breaking+Things&season=1&ep=2"
    )
    assert slugs(found) == {"breaking-things"}
    assert await get(client, "/torznab/api", "t=tvsearch&rid=12345") == []
    assert await get(client, "/torznab/api", "t=tvsearch&tvmazeid=12345&season=1") == []
    assert await get(client, "/torznab/api", "t=tvsearch&tvdbid=77") == []


@pytest.mark.parametrize(
    ("q", "slug"),
    [
        ("attack on titan", "shingeki-no-kyojin"),  # alias
        ("Attack+Titan", "shingeki-no-kyojin"),  # cleaned, missing "on"
        ("The Dragons Garden", "dragons-garden"),  # apostrophe dropped by the client
        ("dragon's garden", "dragons-garden"),
        ("Doragon no Niwa", "dragons-garden"),
        ("cafe nocturne", "cafe-nocturne"),  # Unicode folded
        ("CAFÉ NOCTURNE", "cafe-nocturne"),
        ("Matrix", "the-matrix"),
        ("The Matrix 1999", "the-matrix"),  # year as a filter
        ("breaking thing", "breaking-things"),  # prefix
        ("ダンジョン", "ohne-mapping"),  # kana keep their voicing marks, as in the index
    ],
)
async def test_text_search_matches_loosely(client: httpx.AsyncClient, q: str, slug: str) -> None:
    found = await get(client, "/torznab/api", f"t=search&q={q}")
    assert slug in slugs(found)
    assert "verschwunden" not in slugs(found)


async def test_trailing_sxxeyy_in_q_sets_the_numbering(client: httpx.AsyncClient) -> None:
    found = await get(client, "/torznab/api", "t=search&q=Breaking+Things+S01E03")
    assert {parse(i.title).episode for i in found} == {3}  # type: ignore[union-attr]


async def test_movie_by_imdbid_with_and_without_tt_and_tmdbid(client: httpx.AsyncClient) -> None:
    for query in ("imdbid=tt0133093", "imdbid=0133093", "imdbid=133093", "tmdbid=603",
                  "tmdbid=603&imdbid=0000001"):  # fmt: skip
        found = await get(client, "/torznab/api", f"t=movie&{query}")
        assert [i.title for i in found] == ["The Matrix 1999 German Dub 1080p WEB-DL x264-MEGAKINO"]
        assert found[0].attr("imdbid") == "tt0133093" and found[0].attr("imdb") == "0133093"
        assert found[0].attr("tmdbid") == "603"


async def test_rss_without_query_returns_newest_releases(client: httpx.AsyncClient) -> None:
    for t in ("search", "tvsearch", "movie"):
        found = await get(client, "/torznab/api", f"t={t}&extended=1")
        assert found, t
        dates = [parsedate_to_datetime(i.pub_date) for i in found]
        assert dates == sorted(dates, reverse=True)
    anime = await get(client, "/torznab/anime/api", "t=tvsearch&cat=5070")
    assert {i.attr("language") for i in anime} <= {"German", "Japanese"}
    assert "verschwunden" not in slugs(anime)  # gone titles are never served
    assert not any(i.guid.endswith(":en_sub") for i in anime)  # not in the library's languages


async def test_unmapped_episodes_keep_the_site_title_and_numbering(
    client: httpx.AsyncClient,
) -> None:
    found = await get(client, "/torznab/api", "t=search&q=ohne+mapping")
    assert [i.title for i in found] == [
        "[ANIWORLD] Ohne Mapping - 001 - S01E01 (WEB 1080p) [German Dub]"
    ]
    assert found[0].attr("tvdbid") is None


async def test_categories_select_libraries(client: httpx.AsyncClient) -> None:
    anime_only = await get(client, "/torznab/api", "t=search&cat=5070&limit=100")
    assert anime_only and all(i.attrs["category"] == ["5070", "5040", "5000"] for i in anime_only)
    assert {i.guid.split(":")[1] for i in anime_only} == {"aniworld"}
    hd = await get(client, "/torznab/api", "t=tvsearch&cat=5030,5040&limit=100")
    assert {i.guid.split(":")[1] for i in hd} == {"sto", "aniworld"}  # every release is 1080p
    assert await get(client, "/torznab/series/api", "t=tvsearch&cat=5070") == []
    movies = await get(client, "/torznab/api", "t=movie&cat=2040")
    assert movies and all(i.attrs["category"] == ["2000", "2040"] for i in movies)
    assert await get(client, "/torznab/api", "t=search&cat=7000") == []


async def test_anime_library_passes_sonarrs_test_with_default_categories(
    client: httpx.AsyncClient,
) -> None:
    """Sonarr's Test and RSS sync with its defaults (Categories 5030,5040, Anime Categories
    empty) on the anime endpoint: anime releases, not an empty feed."""
    found = await get(
        client,
        "/torznab/anime/api",
        "t=tvsearch&cat=5030,5040&extended=1&offset=0&limit=100",
    )
    assert found and {i.guid.split(":")[1] for i in found} == {"aniworld"}
    assert all("5070" in i.attrs["category"] for i in found)


def paging_catalog() -> Catalog:
    eps = [Ep(1, n, {"de_dub": ts(1 + n // 24, n % 24), "en_dub": ts(1 + n // 24, n % 24)},
              n, (1, n, n, "confirmed")) for n in range(1, 131)]  # fmt: skip
    return Catalog(
        ready=("sto",),
        shows=[
            Show(
                "sto",
                "long-show",
                "Long Show",
                eps,
                mapping={"tvdb_id": 5005, "canonical_title": "Long"},
            )
        ],
    )


async def test_offset_and_limit_page_consistently(make_client: AppFactory) -> None:
    client = await make_client(paging_catalog())
    whole = await get(client, "/torznab/series/api", "t=tvsearch&tvdbid=5005&limit=100")
    assert len(whole) == 100  # clamped to caps max
    pages: list[Item] = []
    offset = 0
    while True:
        page = await get(
            client, "/torznab/series/api", f"t=tvsearch&tvdbid=5005&offset={offset}&limit=37"
        )
        pages.extend(page)
        if len(page) < 37:
            break
        offset += 37
    assert len(pages) == 260
    assert len({i.guid for i in pages}) == 260
    assert [i.guid for i in pages[:100]] == [i.guid for i in whole]
    assert await get(client, "/torznab/series/api", "t=tvsearch&tvdbid=5005&offset=260") == []
    rss = [i.guid for i in await get(client, "/torznab/series/api", "t=tvsearch&limit=1000")]
    second = [i.guid for i in await get(client, "/torznab/series/api", "t=tvsearch&offset=50")]
    default = await get(client, "/torznab/series/api", "t=tvsearch")
    assert len(default) == 50 and second == rss[50:100]
    text = [i.guid for i in await get(client, "/torznab/series/api", "t=search&q=long&offset=20")]
    assert text == rss[20:70]
