"""Reading what a file tree says about its media: Sonarr / Radarr / Jellyfin naming.

- id tags in folder or file names: ``{tvdb-123}``, ``[tvdbid-123]``, ``{tmdb-603}``,
  ``[tmdbid-603]``, ``{imdb-tt0133093}``, ``[imdbid-tt0133093]``, ``{anilist-16498}``
- ``Title (2013)`` → title and year
- season folders ``Season 01`` / ``Staffel 1`` / ``Specials`` (→ season 0)
- episode files ``S01E05``, multi-episode ``S01E05E06`` / ``S01E05-E06`` / ``S01E05-06``,
  ``1x05``, and absolute-numbered anime files (``Show - 005 - Title``, ``[Group] Show - 05
  [1080p]``)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VIDEO_EXTENSIONS = frozenset(
    {".mkv", ".mp4", ".avi", ".m4v", ".mov", ".wmv", ".ts", ".m2ts", ".webm", ".strm", ".mpg"}
)

_ID_TAG = re.compile(r"[\[{](tvdb|tmdb|imdb|anilist)(?:id)?[-=]\s*(tt\d+|\d+)[\]}]", re.IGNORECASE)
_YEAR = re.compile(r"\((\d{4})\)")
_BRACKETS = re.compile(r"\[[^\]]*\]|\{[^}]*\}")
_SEASON_DIR = re.compile(r"^(?:season|staffel|series)[\s._-]*(\d{1,4})$", re.IGNORECASE)
_SXXEYY = re.compile(
    r"\bS(\d{1,4})[\s._-]?E(\d{1,4})((?:[-\s._]?E\d{1,4})*)(?:-(\d{1,4}))?\b", re.I
)
_MORE_E = re.compile(r"E(\d{1,4})", re.IGNORECASE)
_NXNN = re.compile(r"\b(\d{1,2})x(\d{1,4})\b")
_ABSOLUTE = re.compile(r"(?:^|\s)-\s+(\d{1,4})(?:v\d)?(?:\s|$|-|\[|\()")
_ABSOLUTE_EP = re.compile(r"\b(?:E|EP|Episode)[\s._]?(\d{1,4})\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FolderInfo:
    title: str
    year: int | None
    ids: dict[str, str]


@dataclass(frozen=True, slots=True)
class EpisodeNumbers:
    season: int | None
    episode: int | None
    episode_end: int | None
    absolute: int | None


def parse_ids(name: str) -> dict[str, str]:
    """The id tags in ``name`` (first of each namespace wins; IMDb keeps ``tt``)."""
    ids: dict[str, str] = {}
    for ns, value in _ID_TAG.findall(name):
        key = ns.lower()
        if key == "imdb" and not value.startswith("tt"):
            continue
        if key != "imdb" and not value.isdigit():
            continue
        ids.setdefault(key, value)
    return ids


def parse_folder(name: str) -> FolderInfo:
    """``Attack on Titan (2013) {tvdb-267440}`` → title, year, ids."""
    ids = parse_ids(name)
    year_match = _YEAR.search(name)
    year = int(year_match.group(1)) if year_match else None
    title = _BRACKETS.sub(" ", name)
    if year_match:
        title = title.replace(year_match.group(0), " ")
    title = re.sub(r"[._]+", " ", title)
    return FolderInfo(title=" ".join(title.split()).strip(" -"), year=year, ids=ids)


def season_of_folder(name: str) -> int | None:
    """``Season 01`` → 1, ``Specials`` → 0, anything else → None."""
    if name.strip().lower() == "specials":
        return 0
    match = _SEASON_DIR.match(name.strip())
    return int(match.group(1)) if match else None


def parse_episode(stem: str, folder_season: int | None) -> EpisodeNumbers | None:
    """Season/episode (and the last episode of a multi-episode file) or an absolute number;
    ``None`` when the name carries no episode number (a movie)."""
    match = _SXXEYY.search(stem)
    if match:
        first = int(match.group(2))
        extra = [int(x) for x in _MORE_E.findall(match.group(3) or "")]
        if match.group(4):
            extra.append(int(match.group(4)))
        last = max([first, *extra])
        return EpisodeNumbers(int(match.group(1)), first, last if last > first else None, None)
    match = _NXNN.search(stem)
    if match:
        return EpisodeNumbers(int(match.group(1)), int(match.group(2)), None, None)
    cleaned = _BRACKETS.sub(" ", stem)
    cleaned = _YEAR.sub(" ", cleaned)
    match = _ABSOLUTE.search(cleaned) or _ABSOLUTE_EP.search(cleaned)
    if match:
        # Sonarr's anime naming: the absolute number is the canonical one; a season folder
        # around it is kept so a plain "Show - 05" in "Season 02" can still be placed.
        return EpisodeNumbers(folder_season, None, None, int(match.group(1)))
    return None
