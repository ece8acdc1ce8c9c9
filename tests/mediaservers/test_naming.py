"""What the media servers read from names and ids: Sonarr / Radarr / Jellyfin file naming,
Plex agent guids."""

from __future__ import annotations

import pytest

from anibridge_like.mediaservers.naming import (
    EpisodeNumbers,
    parse_episode,
    parse_folder,
    parse_ids,
    season_of_folder,
)


@pytest.mark.parametrize(
    ("stem", "season", "expected"),
    [
        ("Show - S01E05 - Title WEBDL-1080p", None, EpisodeNumbers(1, 5, None, None)),
        ("Show.S02E03.German.DL.1080p", None, EpisodeNumbers(2, 3, None, None)),
        ("Show - S01E05E06 - Double", None, EpisodeNumbers(1, 5, 6, None)),
        ("Show - S01E05-E06", None, EpisodeNumbers(1, 5, 6, None)),
        ("Show - S01E05-06", None, EpisodeNumbers(1, 5, 6, None)),
        ("Show 1x07", None, EpisodeNumbers(1, 7, None, None)),
        ("[SubsPlease] Frieren - 05 (1080p) [ABCD1234]", None, EpisodeNumbers(None, None, None, 5)),
        ("Frieren - 028 - The Hero's Party", None, EpisodeNumbers(None, None, None, 28)),
        ("Show - 012v2 [720p]", None, EpisodeNumbers(None, None, None, 12)),
        ("Show - 05", 2, EpisodeNumbers(2, None, None, 5)),
        ("The Matrix (1999) Bluray-1080p", None, None),
        ("Blade Runner 2049 (2017)", None, None),
    ],
)
def test_episode_numbers(stem: str, season: int | None, expected: EpisodeNumbers | None) -> None:
    assert parse_episode(stem, season) == expected


def test_id_tags_in_sonarr_radarr_and_jellyfin_styles() -> None:
    assert parse_ids("Show (2013) {tvdb-267440}") == {"tvdb": "267440"}
    assert parse_ids("Show (2013) [tvdbid-267440]") == {"tvdb": "267440"}
    assert parse_ids("Movie (1999) {tmdb-603} [imdbid-tt0133093]") == {
        "tmdb": "603",
        "imdb": "tt0133093",
    }
    assert parse_ids("Movie {imdb-tt0133093}") == {"imdb": "tt0133093"}
    assert parse_ids("Anime [anilistid-16498]") == {"anilist": "16498"}
    assert parse_ids("Movie {imdb-0133093} {tvdb-abc}") == {}


def test_folder_title_year_and_ids() -> None:
    info = parse_folder("Attack on Titan (2013) {tvdb-267440} [imdbid-tt2560140]")
    assert (info.title, info.year) == ("Attack on Titan", 2013)
    assert info.ids == {"tvdb": "267440", "imdb": "tt2560140"}
    assert parse_folder("Blade Runner 2049 (2017)").title == "Blade Runner 2049"


def test_season_folders() -> None:
    assert season_of_folder("Season 01") == 1
    assert season_of_folder("Staffel 3") == 3
    assert season_of_folder("Specials") == 0
    assert season_of_folder("Extras") is None


def test_plex_ids_from_new_and_legacy_agents() -> None:
    import xml.etree.ElementTree as ET

    from anibridge_like.mediaservers.plex import _guids

    new = ET.fromstring(
        '<Directory guid="plex://show/5d9c" ><Guid id="tvdb://267440"/>'
        '<Guid id="imdb://tt2560140"/><Guid id="tmdb://1429"/></Directory>'
    )
    assert _guids(new) == {"tvdb": "267440", "imdb": "tt2560140", "tmdb": "1429"}
    legacy = ET.fromstring('<Directory guid="com.plexapp.agents.thetvdb://267440?lang=en"/>')
    assert _guids(legacy) == {"tvdb": "267440"}
    movie = ET.fromstring('<Video guid="com.plexapp.agents.imdb://tt0133093?lang=de"/>')
    assert _guids(movie) == {"imdb": "tt0133093"}
