"""The naming-case table and episode-mapping cases for :mod:`anibridge_like.catalog.matching`."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anibridge_like.catalog.matching import (
    Candidate,
    CandidateIndex,
    Query,
    SiteEpisode,
    classify,
    fold,
    map_episodes,
    match_title,
    normalize,
    rank,
    title_key,
)
from anibridge_like.plugins.metadata import MetaEpisode


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The Walking Dead", "walking dead"),
        ("Die Simpsons", "simpsons"),
        ("Pokémon", "pokemon"),
        ("Yū Yū Hakusho", "yu yu hakusho"),
        ("Re:ZERO -Starting Life in Another World-", "re zero starting life in another world"),
        ("Tom & Jerry", "tom and jerry"),
        ("The Witch's Heart", "witchs heart"),
        ("Die Straße", "strasse"),
        ("Black Dragon II", "black dragon"),
        ("Name (2023)", "name"),
        ("Name (2020) (JP)", "name"),
        ("Mob - 2. Staffel", "mob"),
        ("Haikyu!! 2nd Season", "haikyu"),
        ("Vinland Saga Staffel 2", "vinland saga"),
        ("Kaguya-sama: Love is War Season 3", "kaguya sama love is war"),
        ("Mushoku Tensei S2", "mushoku tensei"),
        ("Spy x Family Second Season", "spy x family"),
        ("The", "the"),
        ("Ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ("  Café   Noir  ", "cafe noir"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("Haikyu!! 2nd Season", 2),
        ("Vinland Saga Staffel 2", 2),
        ("Overlord III", 3),
        ("Mob - 2. Staffel", 2),
        ("Mob - Staffel 3", 3),
        ("Mob Part 2", 2),
        ("Mob Season 2", 2),
        ("Spy x Family Second Season", 2),
        ("Attack on Titan", None),
        ("Season 2", None),
    ],
)
def test_title_key_returns_the_season_hint(raw: str, hint: int | None) -> None:
    assert title_key(raw)[1] == hint


@given(st.text(max_size=40))
def test_normalize_is_idempotent_and_ascii_lowercase(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert once == once.lower()
    assert "  " not in once


def C(id: str, *names: str, year: int | None = None, kind: str = "series", **ids: str) -> Candidate:
    return Candidate(id, names, year, kind, ids)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    aliases: tuple[str, ...]
    year: int | None
    candidates: tuple[Candidate, ...]
    status: str
    best: str | None
    kind: str = "series"
    explicit: tuple[tuple[str, str], ...] = ()
    hint: int | None = None


AOT = C("267440", "Attack on Titan", "Shingeki no Kyojin", year=2013, imdb="tt2560140")
DOCTOR_1963 = C("76107", "Doctor Who", year=1963)
DOCTOR_2005 = C("78804", "Doctor Who", year=2005)
KINGDOM_KR = C("350908", "Kingdom", year=2019)
KINGDOM_JP = C("348981", "Kingdom", year=2019)

CASES = [
    Case("english exact", "Attack on Titan", (), 2013, (AOT,), "confirmed", "267440"),
    Case(
        "german title, english alias",
        "Angriff der Titanen",
        ("Attack on Titan",),
        2013,
        (AOT,),
        "confirmed",
        "267440",
    ),
    Case(
        "german title is a TVDB alternative",
        "Haus des Geldes",
        (),
        2017,
        (C("327417", "Money Heist", "La casa de papel", "Haus des Geldes", year=2017),),
        "confirmed",
        "327417",
    ),
    Case(
        "romaji alias",
        "Angriff auf Titan",
        ("Shingeki no Kyojin",),
        2013,
        (AOT,),
        "confirmed",
        "267440",
    ),
    Case(
        "missing leading The",
        "Walking Dead",
        (),
        2010,
        (C("153021", "The Walking Dead", year=2010),),
        "confirmed",
        "153021",
    ),
    Case(
        "german article vs english article",
        "Die Simpsons",
        (),
        1989,
        (C("71663", "The Simpsons", year=1989),),
        "confirmed",
        "71663",
    ),
    Case(
        "diacritics", "Pokemon", (), 1997, (C("76703", "Pokémon", year=1997),), "confirmed", "76703"
    ),
    Case(
        "macrons",
        "Yu Yu Hakusho",
        (),
        1992,
        (C("76665", "Yū Yū Hakusho", year=1992),),
        "confirmed",
        "76665",
    ),
    Case(
        "punctuation",
        "Re:Zero - Starting Life in Another World",
        (),
        2016,
        (C("305089", "Re:ZERO -Starting Life in Another World-", year=2016),),
        "confirmed",
        "305089",
    ),
    Case(
        "unicode multiplication sign",
        "Hunter x Hunter (2011)",
        (),
        2011,
        (C("252322", "Hunter × Hunter (2011)", year=2011),),
        "high",
        "252322",
    ),
    Case(
        "season suffix gives a hint",
        "Haikyu!! 2nd Season",
        (),
        2014,
        (C("278157", "Haikyu!!", year=2014),),
        "confirmed",
        "278157",
        hint=2,
    ),
    Case(
        "staffel suffix",
        "Vinland Saga Staffel 2",
        (),
        2019,
        (C("359274", "Vinland Saga", year=2019),),
        "confirmed",
        "359274",
        hint=2,
    ),
    Case(
        "a roman sequel is a later season of the original",
        "Black Dragon II",
        (),
        2010,
        (C("1", "Black Dragon", year=2008),),
        "confirmed",
        "1",
    ),
    Case(
        "sequel picks the sequel",
        "Black Dragon II",
        (),
        2010,
        (C("1", "Black Dragon", year=2008), C("2", "Black Dragon 2", year=2010)),
        "confirmed",
        "2",
    ),
    Case(
        "same name, year decides",
        "Doctor Who",
        (),
        2005,
        (DOCTOR_1963, DOCTOR_2005),
        "confirmed",
        "78804",
    ),
    Case(
        "same name, old year decides",
        "Doctor Who",
        (),
        1963,
        (DOCTOR_2005, DOCTOR_1963),
        "confirmed",
        "76107",
    ),
    Case(
        "same name, no year: conflict",
        "Doctor Who",
        (),
        None,
        (DOCTOR_1963, DOCTOR_2005),
        "conflict",
        "76107",
    ),
    Case(
        "same name, same year: conflict",
        "Kingdom",
        (),
        2019,
        (KINGDOM_KR, KINGDOM_JP),
        "conflict",
        "348981",
    ),
    Case(
        "year off by one is high",
        "Dark",
        (),
        2018,
        (C("334824", "Dark", year=2017),),
        "high",
        "334824",
    ),
    Case(
        "year far off is another show",
        "Dark",
        (),
        2021,
        (C("334824", "Dark", year=2017),),
        "unmatched",
        None,
    ),
    Case(
        "prefix of a longer name is low",
        "Dragon Ball",
        (),
        2015,
        (C("295068", "Dragon Ball Super", year=2015),),
        "low",
        "295068",
    ),
    Case("different show", "Completely Different", (), 2013, (AOT,), "unmatched", None),
    Case(
        "similar words, other show",
        "Black Dragon",
        (),
        2001,
        (C("9", "Black Garden", year=1999),),
        "unmatched",
        None,
    ),
    Case("no candidates", "Anything", (), 2000, (), "unmatched", None),
    Case(
        "explicit id wins over names",
        "Die Chroniken",
        (),
        2013,
        (C("5", "Die Chroniken", year=2013), AOT),
        "confirmed",
        "267440",
        explicit=(("imdb", "2560140"),),
    ),
    Case(
        "movie kind beats series kind",
        "Your Name",
        (),
        2016,
        (C("s", "Your Name", year=2016), C("m", "Your Name", year=2016, kind="movie")),
        "confirmed",
        "m",
        kind="movie",
    ),
    Case(
        "series candidate for a movie is low",
        "Your Name",
        (),
        2016,
        (C("s", "Your Name", year=2016),),
        "low",
        "s",
        kind="movie",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_naming_cases(case: Case) -> None:
    query = Query(
        (case.title, *case.aliases),
        case.year,
        case.kind,  # type: ignore[arg-type]
        dict(case.explicit),
    )
    outcome = match_title(query, case.candidates)
    assert outcome.status == case.status, outcome.reason
    assert (outcome.best.id if outcome.best else None) == case.best
    assert outcome.reason
    if case.hint is not None:
        assert outcome.season_hint == case.hint
    # the same outcome from the index used for large candidate sets
    indexed = CandidateIndex(case.candidates).match(query)
    assert (indexed.status, indexed.best) == (outcome.status, outcome.best)


def test_rank_orders_best_first_and_keeps_one_row_per_id() -> None:
    ranked = rank(Query(("Doctor Who",), 2005), [DOCTOR_1963, DOCTOR_2005, DOCTOR_2005])
    assert [s.candidate.id for s in ranked] == ["78804", "76107"]
    assert ranked[0].score > ranked[1].score


def test_classify_keeps_the_runner_up_for_inspection() -> None:
    outcome = classify(rank(Query(("Kingdom",), 2019), [KINGDOM_KR, KINGDOM_JP]))
    assert outcome.status == "conflict"
    assert outcome.runner_up is not None and outcome.runner_up.candidate.id == "350908"
    assert "350908" in outcome.reason and "348981" in outcome.reason


# ---- episodes --------------------------------------------------------------------------------


def tv(seasons: list[int], *, specials: int = 0, films: tuple[int, ...] = ()) -> list[MetaEpisode]:
    out: list[MetaEpisode] = []
    absolute = 0
    for s, count in enumerate(seasons, start=1):
        for e in range(1, count + 1):
            absolute += 1
            out.append(MetaEpisode(s, e, absolute, None, {"en": f"Chapter {s}-{e} Word{absolute}"}))
    for n in range(1, specials + 1):
        out.append(MetaEpisode(0, n, None, None, {"en": f"Special Story {n} Extra{n}"}))
    for n in films:
        out.append(MetaEpisode(0, n, None, None, {"en": f"The Movie {n}: Rising{n}"}))
    return out


def site_from(meta: list[MetaEpisode], layout: str, *, titles: bool = True) -> list[SiteEpisode]:
    """Site episodes of a TVDB list under a site numbering layout (keys = absolute number)."""
    regular = [m for m in meta if m.season >= 1]
    out: list[SiteEpisode] = []
    season_sizes: dict[int, int] = {}
    for m in regular:
        season_sizes[m.season] = season_sizes.get(m.season, 0) + 1
    site_season, offset = 0, 0
    for m in regular:
        assert m.absolute is not None
        if layout == "same":
            s, n = m.season, m.number
        elif layout == "continuous":
            s, n = 1, m.absolute
        else:  # split: every TVDB season of ≥ 12 becomes two site seasons
            size = season_sizes[m.season]
            half = size // 2 if size >= 12 else size
            if m.number == 1:
                site_season += 1
                offset = 0
            if m.number == half + 1 and half != size:
                site_season += 1
                offset = half
            s, n = site_season, m.number - offset
        out.append(SiteEpisode(m.absolute, s, n, None, "episode", dict(m.titles) if titles else {}))
    return out


def truth(meta: list[MetaEpisode]) -> dict[int, tuple[int, int]]:
    return {m.absolute: (m.season, m.number) for m in meta if m.absolute is not None}


@pytest.mark.parametrize("layout", ["same", "continuous", "split"])
@pytest.mark.parametrize("titles", [True, False])
def test_regular_episodes_map_to_tvdb_numbering(layout: str, titles: bool) -> None:
    meta = tv([12, 24, 13])
    site = site_from(meta, layout, titles=titles)
    result = map_episodes(site, meta)
    assert {m.key: (m.tvdb_season, m.tvdb_episode) for m in result} == truth(meta)
    assert all(m.absolute == m.key for m in result)
    assert all(m.status in ("confirmed", "high") for m in result)
    assert {m.method for m in result} == {"direct" if layout == "same" else "absolute"}


def test_site_behind_tvdb_in_its_last_season_maps_direct_and_confirmed() -> None:
    meta = tv([12, 12])
    site = site_from(meta, "same")[:-3]
    result = map_episodes(site, meta)
    assert len(result) == 21 and all(m.status == "confirmed" for m in result)


def test_site_ahead_of_tvdb_leaves_the_extra_episodes_unmapped() -> None:
    meta = tv([12])
    site = [SiteEpisode(n, 1, n, None, "episode", {}) for n in range(1, 15)]
    result = map_episodes(site, meta)
    assert sorted(m.key for m in result) == list(range(1, 13))


def test_season_hint_shifts_a_sequel_listing_onto_its_tvdb_season() -> None:
    meta = tv([12, 10])
    site = [SiteEpisode(100 + n, 1, n, None, "episode", {}) for n in range(1, 11)]
    result = map_episodes(site, meta, season_hint=2)
    assert {(m.tvdb_season, m.tvdb_episode) for m in result} == {(2, n) for n in range(1, 11)}
    assert {m.absolute for m in result} == set(range(13, 23))


def test_episode_titles_decide_when_both_numberings_fit() -> None:
    meta = tv([12, 12])
    # the site skipped S1E11-12 but numbers S2 as TVDB does; titles show direct is right
    site = [
        SiteEpisode(k, m.season, m.number, None, "episode", dict(m.titles))
        for k, m in enumerate(meta, start=1)
        if not (m.season == 1 and m.number > 10)
    ]
    result = map_episodes(site, meta)
    assert all(m.method == "direct" for m in result)
    assert {(m.tvdb_season, m.tvdb_episode) for m in result} == {(s.season, s.number) for s in site}


def test_specials_map_by_title_into_season_zero_and_never_onto_regulars() -> None:
    meta = tv([12], specials=3)
    site = (
        site_from(meta, "same")
        + [
            SiteEpisode(900 + n, 0, n, None, "special", {"en": f"Special Story {n} Extra{n}"})
            for n in (3, 1)
        ]
        + [SiteEpisode(999, 0, 7, None, "special", {"en": "Chapter 1-1 Word1"})]
    )
    result = {m.key: m for m in map_episodes(site, meta)}
    assert (result[903].tvdb_season, result[903].tvdb_episode) == (0, 3)
    assert (result[901].tvdb_season, result[901].tvdb_episode) == (0, 1)
    assert result[901].method == "title" and result[901].status == "confirmed"
    assert 999 not in result  # same title as S01E01, but specials only map into season 0
    assert (result[1].tvdb_season, result[1].tvdb_episode) == (1, 1)


def test_untitled_special_keeps_its_number_as_low() -> None:
    meta = tv([6], specials=2)
    site = [SiteEpisode(50, 0, 2, None, "special", {})]
    (m,) = map_episodes(site, meta)
    assert (m.tvdb_season, m.tvdb_episode, m.status) == (0, 2, "low")


def test_films_map_only_where_tvdb_has_them() -> None:
    meta = tv([12], specials=1, films=(101,))
    site = [
        *site_from(meta, "same"),
        SiteEpisode(801, -1, 1, None, "film", {"en": "The Movie 101: Rising101", "de": "Film"}),
        SiteEpisode(802, -1, 2, None, "film", {"en": "Completely Other Film", "de": "Anders"}),
    ]
    result = {m.key: m for m in map_episodes(site, meta)}
    assert (result[801].tvdb_season, result[801].tvdb_episode) == (0, 101)
    assert 802 not in result


def test_near_equal_title_candidates_are_a_conflict() -> None:
    meta = [
        MetaEpisode(1, 1, 1, None, {"en": "Pilot"}),
        MetaEpisode(0, 1, None, None, {"en": "Recap Episode Part One"}),
        MetaEpisode(0, 2, None, None, {"en": "Recap Episode Part Ones"}),
    ]
    site = [
        SiteEpisode(1, 1, 1, None, "episode", {"en": "Pilot"}),
        SiteEpisode(2, 0, 5, None, "special", {"en": "Recap Episode Part On"}),
    ]
    result = {m.key: m for m in map_episodes(site, meta)}
    assert result[2].status == "conflict"
    assert result[1].status == "confirmed"


def test_each_tvdb_slot_is_claimed_once() -> None:
    meta = tv([3], specials=1)
    site = [SiteEpisode(k, 0, k, None, "special", {"en": "Special Story 1 Extra1"}) for k in (1, 2)]
    result = map_episodes(site, meta)
    assert [(m.key, m.tvdb_episode) for m in result if m.status != "conflict"] == [(1, 1)]


def test_override_scheme_and_season_map_are_followed() -> None:
    meta = tv([12, 12])
    site = [SiteEpisode(n, 1, n, None, "episode", {}) for n in range(1, 13)]
    pinned = map_episodes(site, meta, scheme="direct", season_map={1: 2})
    assert {(m.tvdb_season, m.tvdb_episode) for m in pinned} == {(2, n) for n in range(1, 13)}
    assert all(m.status == "confirmed" for m in pinned)
    forced = map_episodes(site_from(meta, "continuous"), meta, scheme="absolute")
    assert {m.key: (m.tvdb_season, m.tvdb_episode) for m in forced} == truth(meta)


def test_wrong_titles_downgrade_a_structural_match() -> None:
    meta = tv([12])
    site = [
        SiteEpisode(n, 1, n, None, "episode", {"en": f"Unrelated {n} Zebra"}) for n in range(1, 13)
    ]
    result = map_episodes(site, meta)
    assert all(m.status in ("high", "low") for m in result)
