"""Matching cases for the catalogue discrepancies of issue 15, one group per cause (pure
functions; the end-to-end counterpart is ``test_mapping_quality.py``)."""

from __future__ import annotations

import pytest

from anibridge_like.catalog.match_titles import FILM, FINAL, LATER
from anibridge_like.catalog.matching import (
    Candidate,
    Query,
    SiteEpisode,
    map_episodes,
    match_title,
    resolve_hint,
    title_key,
)
from anibridge_like.plugins.metadata import MetaEpisode


def show(
    id: str,
    name: str,
    year: int,
    *,
    anilist: tuple[str, ...] = (),
    imdb: str | None = None,
) -> Candidate:
    ids = {"anilist": anilist[0]} if anilist else {}
    if imdb:
        ids["imdb"] = imdb
    lists = {"anilist": anilist} if anilist else {}
    return Candidate(id, (name,), year, "series", ids, id_lists=lists)


# ---- 1. twins ----------------------------------------------------------------------------------


def test_twins_sharing_the_explicit_id_are_a_conflict() -> None:
    query = Query(("Furimi Labyrinth",), 1995, "series", {"anilist": "700"})
    a = show("5000", "Furimi Labyrinth", 1995, anilist=("700",))
    b = show("9000", "Furimi Labyrinth", 1995, anilist=("700",))
    outcome = match_title(query, [a, b])
    assert outcome.status == "conflict", outcome.reason
    assert "indistinguishable" in outcome.reason


def test_twins_found_by_name_alone_are_a_conflict() -> None:
    query = Query(("Furimi Labyrinth",), 1995)
    outcome = match_title(
        query, [show("5000", "Furimi Labyrinth", 1995), show("9000", "Furimi Labyrinth", 1995)]
    )
    assert outcome.status == "conflict"


def test_a_shared_id_with_a_clearly_better_name_or_more_ids_is_not_a_conflict() -> None:
    query = Query(("Furimi Labyrinth",), 1995, "series", {"anilist": "700", "imdb": "tt1"})
    right = show("5000", "Furimi Labyrinth", 1995, anilist=("700",), imdb="tt1")
    other = show("9000", "Furimi Labyrinth", 1995, anilist=("700",))
    assert match_title(query, [other, right]).best == right
    query = Query(("Furimi Labyrinth",), 1995, "series", {"anilist": "700"})
    unrelated = show("9000", "Completely Different Title", 1970, anilist=("700",))
    outcome = match_title(
        query, [unrelated, show("5000", "Furimi Labyrinth", 1995, anilist=("700",))]
    )
    assert (outcome.status, outcome.best and outcome.best.id) == ("confirmed", "5000")


# ---- 2. one AniList id per cour ---------------------------------------------------------------


@pytest.mark.parametrize(("anilist", "season"), [("21", None), ("22", 2), ("23", 3)])
def test_an_explicit_id_of_a_later_cour_carries_its_season(
    anilist: str, season: int | None
) -> None:
    query = Query(("Nesoha Orchard: Kanketsu-hen",), 2001, "series", {"anilist": anilist})
    cand = show("5000", "Nesoha Orchard", 2000, anilist=("21", "22", "23"))
    outcome = match_title(query, [cand])
    assert outcome.status == "confirmed"
    assert outcome.season_hint == season


# ---- 3. sequel forms ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Mob Story - 2. Staffel", ("mob story", 2)),
        ("Mob Story - Staffel 3", ("mob story", 3)),
        ("Mob Story II", ("mob story", 2)),
        ("Mob Story III", ("mob story", 3)),
        ("Mob Story Final Season", ("mob story", FINAL)),
        ("Mob Story: re", ("mob story", LATER)),
        ("Mob Story 2nd Season", ("mob story", 2)),
        ("Mob Story Season 2", ("mob story", 2)),
        ("Mob Story Part 2", ("mob story", 2)),
        ("Mob Story – The Movie: Rising", ("mob story", FILM)),
        ("Mob Story", ("mob story", None)),
    ],
)
def test_sequel_and_film_forms_give_the_base_name_and_a_hint(
    raw: str, key: tuple[str, int | None]
) -> None:
    assert title_key(raw) == key


@pytest.mark.parametrize("form", ["{} - 2. Staffel", "{} II", "{} Season 2", "{} Part 2"])
def test_a_sequel_page_maps_to_its_show_with_the_season(form: str) -> None:
    outcome = match_title(Query((form.format("Mob Story"),), 2019), [show("1", "Mob Story", 2018)])
    assert (outcome.status, outcome.season_hint) == ("confirmed", 2)


def test_a_show_named_like_the_sequel_wins_over_the_season_reading() -> None:
    query = Query(("Mob Story II",), 2019)
    outcome = match_title(query, [show("1", "Mob Story", 2010), show("2", "Mob Story II", 2019)])
    assert outcome.best is not None and outcome.best.id == "2"
    query = Query(("Mob Story",), 2019)  # and the original is not its sequel
    outcome = match_title(query, [show("2", "Mob Story II", 2019)])
    assert outcome.status not in ("confirmed", "high")


def test_a_movie_sequel_is_not_the_first_movie() -> None:
    query = Query(("Who Killed the Heart? II",), 2007, "movie")
    cand = Candidate("1", ("Who Killed the Heart?",), 2002, "movie")
    assert match_title(query, [cand]).status not in ("confirmed", "high")


def tv(seasons: list[int], first_year: int = 2010) -> list[MetaEpisode]:
    out, absolute = [], 0
    for s, count in enumerate(seasons, start=1):
        for n in range(1, count + 1):
            absolute += 1
            date = f"{first_year + s - 1}-04-{n:02d}"
            out.append(MetaEpisode(s, n, absolute, date, {"en": f"Chapter {s}-{n} W{absolute}"}))
    return out


def test_resolve_hint_finds_final_and_later_seasons_by_year() -> None:
    meta = tv([10, 10, 10, 10])
    assert resolve_hint(FINAL, meta, None) == 4
    assert resolve_hint(LATER, meta, 2012) == 3
    assert resolve_hint(LATER, meta, 1990) == 2
    assert resolve_hint(FILM, meta, 2012) is None
    assert resolve_hint(3, meta, None) == 3


def test_a_site_already_numbering_the_sequel_season_is_not_shifted_again() -> None:
    meta = tv([10, 10])
    site = [SiteEpisode(n, 2, n, None, "episode", {}) for n in range(1, 11)]
    result = map_episodes(site, meta, season_hint=2)
    assert {(m.tvdb_season, m.tvdb_episode) for m in result} == {(2, n) for n in range(1, 11)}


# ---- 4. TVDB disambiguation suffixes -----------------------------------------------------------


@pytest.mark.parametrize("suffixed", ["Kazeri Vessel (2023)", "Kazeri Vessel (2023) (JP)"])
def test_a_disambiguation_suffix_does_not_lose_to_an_older_plain_name(suffixed: str) -> None:
    query = Query(("Kazeri Vessel",), 2023)
    outcome = match_title(query, [show("1", "Kazeri Vessel", 2015), show("2", suffixed, 2023)])
    assert (outcome.status, outcome.best and outcome.best.id) == ("confirmed", "2")


# ---- 7. film pages -------------------------------------------------------------------------------


def test_a_film_page_maps_to_its_series_and_the_film_to_the_special() -> None:
    query = Query(("Rokuku Ember – The Movie: Hatoto",), 2012)
    outcome = match_title(query, [show("1", "Rokuku Ember", 2011)])
    assert outcome.status == "confirmed" and outcome.season_hint == FILM
    meta = [
        *tv([12], 2011),
        MetaEpisode(0, 1, None, None, {"en": "Rokuku Ember – Recap"}),
        MetaEpisode(0, 2, None, None, {"en": "Rokuku Ember – The Movie: Hatoto"}),
    ]
    film = SiteEpisode(1, -1, 1, None, "film", {"en": "Rokuku Ember – The Movie: Hatoto"})
    [m] = map_episodes([film], meta, season_hint=outcome.season_hint, year=2012)
    assert (m.tvdb_season, m.tvdb_episode, m.status) == (0, 2, "confirmed")


# ---- 8. a special inside a run -----------------------------------------------------------------


def _run_with_special(
    at: int, *, wrong: frozenset[int] = frozenset()
) -> tuple[list[SiteEpisode], list[MetaEpisode], dict[int, tuple[int, int]]]:
    meta = [*tv([12]), MetaEpisode(0, 1, None, None, {"en": "Recap: Memories of Summer"})]
    site, want = [], {}
    for n in range(1, 14):
        tvdb = (1, n) if n <= at else (0, 1) if n == at + 1 else (1, n - 1)
        title = next(m.titles["en"] for m in meta if (m.season, m.number) == tvdb)
        site.append(
            SiteEpisode(n, 1, n, None, "episode", {"en": "Folge X" if n in wrong else title})
        )
        want[n] = tvdb
    return site, meta, want


@pytest.mark.parametrize("at", [3, 6, 9])
def test_a_special_inside_a_run_shifts_the_later_episodes_back(at: int) -> None:
    site, meta, want = _run_with_special(at)
    result = map_episodes(site, meta)
    assert {m.key: (m.tvdb_season, m.tvdb_episode) for m in result} == want
    assert all(m.status == "confirmed" for m in result)


def test_low_agreement_keeps_the_episodes_that_agree() -> None:
    wrong = frozenset({2, 5, 9, 13})
    site, meta, want = _run_with_special(6, wrong=wrong)
    result = {m.key: m for m in map_episodes(site, meta)}
    for n, m in result.items():
        if m.status in ("confirmed", "high"):
            assert (m.tvdb_season, m.tvdb_episode) == want[n], (n, m)
    served = {n for n, m in result.items() if m.status in ("confirmed", "high")}
    assert served >= set(range(1, 14)) - {13}  # a disagreeing last episode is not vouched for
    assert all(result[n].status == "confirmed" for n in set(range(1, 14)) - wrong)
