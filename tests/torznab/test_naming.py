"""Release titles against a table of what Sonarr/Radarr parse; info-hash, magnet, pubDate."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import pytest

from anibridge_like.plugins.provider import Language
from anibridge_like.torznab.naming import (
    Hit,
    build_release,
    clean_name,
    info_hash,
    parse_magnet,
    rfc822,
)
from tests.torznab.conftest import GLOBAL_KEY
from tests.torznab.sonarr_parse import parse
from tests.torznab.xmlutil import items

# ---- the model of Sonarr's parser agrees with Sonarr's own fixtures ---------------------------
SONARR_FIXTURES = [
    (
        "[Dae-P9] Anime Series - 05 - S01E05 - Marrying by Contesting (BD 1080p HEVC FLAC AAC) "
        "[Dual Audio] [5BCD56B8]",
        {"title": "Anime Series", "absolute": 5, "season": 1, "episode": 5},
    ),
    (
        "[Kaleido-subs] Animation - 12 (S01E12) - (WEB 1080p HEVC x265 10-bit E-AC3 2.0) "
        "[1ADD8F6D]",
        {
            "title": "Animation",
            "absolute": 12,
            "season": 1,
            "episode": 12,
            "quality": "WEBDL-1080p",
        },
    ),
    (
        "[SubsPlease] Anime Title 300-nen, With Even More Title - 01 (1080p) [8DE44442]",
        {"title": "Anime Title 300-nen, With Even More Title", "absolute": 1},
    ),
    (
        "Series.Title.S01E01.German.DL.1080p.BluRay.x264-RlsGrp",
        {"title": "Series Title", "season": 1, "episode": 1, "language": "German"},
    ),
    (
        "Series.Title.2023.S01E01.GERMAN.1080P.WEB-DL.H264-RlsGrp",
        {"title": "Series Title 2023", "language": "German", "quality": "WEBDL-1080p"},
    ),
    (
        "SeriesTitle.E1135.Lasst.den.Mond.am.Himmel.stehen.GERMAN.1080p.WEBRip.x264-Group",
        {"absolute": 1135, "language": "German"},
    ),
    # the trap GerSub avoids: "German Sub" reads as German audio
    ("Show Name S01E05 German Sub 1080p WEB-DL x264-GROUP", {"language": "German"}),
    ("Show.Name.S01E05.Japanese.GerSub.1080p.WEB-DL.x264-GROUP", {"language": "Japanese"}),
    (
        "Movie.Title.2019.German.DL.1080p.WEB.x264-GROUP",
        {"title": "Movie Title", "year": 2019, "language": "German", "quality": "WEBDL-1080p"},
    ),
]


@pytest.mark.parametrize(("release", "expected"), SONARR_FIXTURES)
def test_parser_model_agrees_with_sonarr_fixtures(
    release: str, expected: dict[str, object]
) -> None:
    parsed = parse(release)
    assert parsed is not None
    for key, value in expected.items():
        assert getattr(parsed, key) == value, (key, parsed)


# ---- our titles, as Sonarr/Radarr read them -----------------------------------------------------
def hit(**overrides: object) -> Hit:
    base: dict[str, object] = dict(
        site="aniworld", slug="s", kind="series", name="Attack on Titan", year=2013,
        season=1, number=5, show_season=1, show_episode=5, absolute=5,
        language=Language.GERMAN_DUB, first_seen="2026-11-20T18:00:00+00:00",
    )  # fmt: skip
    base.update(overrides)
    return Hit(**base)  # type: ignore[arg-type]


TABLE = [
    # (hit, anime library?, expected parse)
    (hit(), True,
     dict(title="Attack on Titan", absolute=5, season=1, episode=5, language="German",
          quality="WEBDL-1080p", group="ANIWORLD")),
    (hit(language=Language.GERMAN_SUB), True,
     dict(title="Attack on Titan", absolute=5, season=1, episode=5, language="Japanese")),
    (hit(language=Language.ENGLISH_SUB), True, dict(absolute=5, language="Japanese")),
    (hit(language=Language.JAPANESE), True, dict(absolute=5, language="Japanese")),
    (hit(absolute=1071, show_season=21, show_episode=80, name="One Piece"), True,
     dict(title="One Piece", absolute=1071, season=21, episode=80)),
    (hit(name="Shingeki no Kyojin - The Final Season [Part 2]", absolute=88,
         show_season=4, show_episode=29), True,
     dict(title="Shingeki no Kyojin The Final Season Part 2", absolute=88, season=4, episode=29)),
    # specials and unnumbered anime fall back to the standard form
    (hit(show_season=0, show_episode=1, absolute=None), True,
     dict(title="Attack on Titan", season=0, episode=1, language="German")),
    (hit(site="sto", name="Breaking Things", absolute=None, show_episode=4), False,
     dict(title="Breaking Things", season=1, episode=4, language="German",
          quality="WEBDL-1080p", group="STO")),
    (hit(site="sto", name="Breaking Things", language=Language.ENGLISH_DUB), False,
     dict(season=1, episode=5, language="English")),
    # German subtitles on a non-anime show: not German; the client assumes the original audio
    (hit(site="sto", name="Dark Things", language=Language.GERMAN_SUB), False,
     dict(title="Dark Things", season=1, episode=5, language="Unknown")),
    (hit(site="sto", name="Who Killed the Dragon?", show_season=2, show_episode=11), False,
     dict(title="Who Killed the Dragon", season=2, episode=11)),
    (hit(site="sto", name="Blade Runner 2049", show_season=1, show_episode=1), False,
     dict(title="Blade Runner 2049", season=1, episode=1)),
    (hit(site="megakino", kind="movie", name="The Matrix", year=1999, season=-1, number=1,
         show_season=-1, show_episode=1, absolute=None), False,
     dict(title="The Matrix", year=1999, language="German", quality="WEBDL-1080p")),
]  # fmt: skip


@pytest.mark.parametrize(("the_hit", "anime", "expected"), TABLE)
def test_release_titles_parse_as_sonarr_reads_them(
    the_hit: Hit, anime: bool, expected: dict[str, object]
) -> None:
    release = build_release(the_hit, anime, (5070, 5000))
    parsed = parse(release.title, release.language)
    assert parsed is not None, release.title
    for key, value in expected.items():
        assert getattr(parsed, key) == value, (key, release.title, parsed)
    assert "German Sub" not in release.title


async def test_served_items_parse_to_the_canonical_numbering(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/torznab/anime/api?t=tvsearch&tvdbid=1001&apikey={GLOBAL_KEY}")
    found = items(response)
    assert [(p.absolute, p.season, p.episode) for p in (parse(i.title) for i in found) if p] == [
        (14, 1, 14),
        (13, 1, 13),
    ]
    for item in found:
        parsed = parse(item.title, item.attr("language"))
        assert parsed is not None
        assert parsed.title == "The Dragon's Garden"
        assert parsed.language == "Japanese"
        assert item.attr("subs") == "German"


def test_clean_name_keeps_names_readable() -> None:
    assert clean_name("Dragon & Garden – Part II") == "Dragon & Garden Part II"
    assert clean_name("Café: Nocturne!") == "Café Nocturne!"
    assert clean_name("???") == "Untitled"


def test_info_hash_is_stable_hex_and_distinct_across_sites_and_languages() -> None:
    a = info_hash("aniworld", "slug", 1, 2, "de_dub")
    assert a == info_hash("aniworld", "slug", 1, 2, "de_dub")
    assert len(a) == 40 and a == a.lower() and int(a, 16) >= 0
    others = {
        info_hash("sto", "slug", 1, 2, "de_dub"),
        info_hash("aniworld", "slug", 1, 2, "de_sub"),
        info_hash("aniworld", "slug", 2, 1, "de_dub"),
        info_hash("aniworld", "slug", 12, 1, "de_dub"),
    }
    assert a not in others and len(others) == 4


def test_magnet_identifies_the_episode_for_a_download_client() -> None:
    release = build_release(hit(site="aniworld", slug="a&b c", season=2, number=3), True, (5070,))
    target = parse_magnet(release.magnet)
    assert target.infohash == release.infohash
    assert (target.site, target.slug, target.season, target.number) == ("aniworld", "a&b c", 2, 3)
    assert target.language is Language.GERMAN_DUB
    with pytest.raises(ValueError):
        parse_magnet("magnet:?xt=urn:btih:abc")


@pytest.mark.parametrize(
    "iso",
    ["2026-11-22T09:30:00+00:00", "2024-02-29T23:59:59Z", "2026-03-29T01:30:00+02:00",
     "2025-01-01 00:00:00"],
)  # fmt: skip
def test_pub_date_is_rfc822_with_the_right_weekday(iso: str) -> None:
    text = rfc822(iso)
    parsed = parsedate_to_datetime(text)
    expected = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if expected.tzinfo is None:
        expected = expected.replace(tzinfo=UTC)
    assert parsed == expected
    assert text.startswith(expected.astimezone(UTC).strftime("%a, "))
    assert text.endswith("+0000")


def test_unparseable_first_seen_still_gives_a_pub_date() -> None:
    assert rfc822("not a date").startswith("Thu, 01 Jan 1970")
