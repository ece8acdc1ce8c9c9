"""A small model of how Sonarr/Radarr read a release title (no .NET here to run the real parser).

It follows the rules written up in ``torznab-clients.md`` §6 (Parser.cs / LanguageParser.cs /
QualityParser.cs): anime titles ``[Group] Title - 005 - S01E05`` / ``- 12 (S01E12)`` carry an
absolute number (and the standard numbering); standard titles ``Title S01E05``; movies
``Title 2019``. Language: everything before an ``SxxEyy`` token is cut off (not for absolute-
numbered titles), then ``german\\b``/``ger.dub`` → German, ``english`` → English, ``japanese`` →
Japanese, else Unknown; an indexer ``language`` attribute replaces what the title says. Quality:
``WEB-DL``/``WEBDL``/``WEB`` next to a resolution → WEBDL-<res>.

``test_naming.py`` first checks this model against Sonarr's own fixture titles, then uses it on
our titles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ANIME = re.compile(
    r"^\[(?P<group>[^\]]+)\][-_. ]?(?P<title>.+?)\s+-\s+(?P<absolute>\d{2,4})"
    r"(?:[-_. ]+\(?S(?P<season>\d{1,2})E(?P<episode>\d{2,3})\)?)?(?![\dp])",
    re.IGNORECASE,
)
_STANDARD = re.compile(
    r"^(?P<title>.+?)[-_. ]+S(?P<season>\d{1,4})E(?P<episode>\d{2,3})(?!\d)", re.IGNORECASE
)
_ABSOLUTE_E = re.compile(r"^(?P<title>.+?)[-_. ]+E(?P<absolute>\d{2,4})(?!\d)[-_. ]", re.IGNORECASE)
_MOVIE = re.compile(r"^(?P<title>.+?)[-_. (]+(?P<year>(?:19|20)\d{2})(?![\dp])")
_GERMAN = re.compile(r"german\b|\bger[-_. ]dub\b|videomann", re.IGNORECASE)
_RESOLUTION = re.compile(r"\b(480|540|576|720|1080|2160)p\b", re.IGNORECASE)
_WEBDL = re.compile(r"\bWEB[-_. ]?DL\b|\bWEB\b", re.IGNORECASE)
_GROUP_TAIL = re.compile(r"-(?P<group>[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class Parsed:
    title: str
    season: int | None = None
    episode: int | None = None
    absolute: int | None = None
    year: int | None = None
    language: str = "Unknown"
    quality: str = "Unknown"
    group: str | None = None


def _clean(title: str) -> str:
    return " ".join(title.replace(".", " ").replace("_", " ").split())


def _language(text: str) -> str:
    lower = text.lower()
    if "japanese" in lower:
        return "Japanese"
    if _GERMAN.search(text):
        return "German"
    if "english" in lower:
        return "English"
    return "Unknown"


def _quality(text: str) -> str:
    resolution = _RESOLUTION.search(text)
    if resolution is None:
        return "Unknown"
    if _WEBDL.search(text):
        source = "WEBDL"
    elif re.search(r"\bblu-?ray\b|\bBD\b", text, re.IGNORECASE):
        source = "Bluray"
    else:
        source = "HDTV"
    return f"{source}-{resolution.group(1)}p"


def parse(release: str, indexer_language: str | None = None) -> Parsed | None:
    group = None
    anime = _ANIME.match(release)
    if anime is not None:
        group = anime["group"]
        parsed = Parsed(
            title=_clean(anime["title"]),
            season=int(anime["season"]) if anime["season"] else None,
            episode=int(anime["episode"]) if anime["episode"] else None,
            absolute=int(anime["absolute"]),
            language=indexer_language or _language(release),
            quality=_quality(release),
            group=group,
        )
        return parsed
    tail = _GROUP_TAIL.search(release)
    group = tail["group"] if tail else None
    standard = _STANDARD.match(release)
    if standard is not None:
        after = release[standard.end() :]
        return Parsed(
            title=_clean(standard["title"]),
            season=int(standard["season"]),
            episode=int(standard["episode"]),
            language=indexer_language or _language(after),
            quality=_quality(release),
            group=group,
        )
    absolute = _ABSOLUTE_E.match(release)
    if absolute is not None:
        return Parsed(
            title=_clean(absolute["title"]),
            absolute=int(absolute["absolute"]),
            language=indexer_language or _language(release),
            quality=_quality(release),
            group=group,
        )
    movie = _MOVIE.match(release)
    if movie is not None:
        return Parsed(
            title=_clean(movie["title"]),
            year=int(movie["year"]),
            language=indexer_language or _language(release[movie.end() :]),
            quality=_quality(release),
            group=group,
        )
    return None
