"""What a fake media server holds: libraries of shows (with episode files) and movies, generated
deterministically at any size, and the faults a test can switch on. The wire shapes that serve
it follow the evidence cited in :mod:`.jellyfin` (Jellyfin OpenAPI) and :mod:`.plex`
(python-plexapi source)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FakeEpisode:
    season: int
    number: int
    number_end: int | None = None


@dataclass(frozen=True, slots=True)
class FakeShow:
    title: str
    year: int | None
    ids: Mapping[str, str]
    episodes: tuple[FakeEpisode, ...]


@dataclass(frozen=True, slots=True)
class FakeMovie:
    title: str
    year: int | None
    ids: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class FakeLibrary:
    name: str
    kind: str
    """``series`` or ``movies``."""
    shows: tuple[FakeShow, ...] = ()
    movies: tuple[FakeMovie, ...] = ()

    def episode_count(self) -> int:
        return sum(len(s.episodes) for s in self.shows)


@dataclass
class Faults:
    """Switches a test flips while the fake runs."""

    auth_failure: bool = False
    """Every request answers 401 (token revoked)."""
    truncate_after: int | None = None
    """Listings claim the full total but return nothing past this many entries."""
    server_error: bool = False
    """Every request answers 503."""
    scan_delay: float = 0.0
    """Seconds a scan request takes before it is answered (a slow server)."""


@dataclass
class FakeServerState:
    libraries: list[FakeLibrary]
    token: str = "secret-token"
    faults: Faults = field(default_factory=Faults)
    scans: list[str] = field(default_factory=list)
    """Library refs a scan was requested for, in order."""
    requests: int = 0


def _digest(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def generated_library(
    name: str, shows: int, episodes_per_show: int, *, seed: int = 1, seasons: int = 2
) -> FakeLibrary:
    """``shows`` deterministic shows with ``episodes_per_show`` episodes spread over ``seasons``."""
    out: list[FakeShow] = []
    per_season = max(1, -(-episodes_per_show // seasons))
    for i in range(shows):
        d = _digest(seed, name, i)
        episodes = tuple(
            FakeEpisode(season=1 + j // per_season, number=1 + j % per_season)
            for j in range(episodes_per_show)
        )
        out.append(
            FakeShow(
                title=f"Generated Show {seed}-{i}",
                year=1990 + d % 35,
                ids={"tvdb": str(900000 + (seed % 90) * 100000 + i), "imdb": f"tt{d % 10**7:07d}"},
                episodes=episodes,
            )
        )
    return FakeLibrary(name=name, kind="series", shows=tuple(out))


def library_id(library: FakeLibrary) -> str:
    """A stable 32-hex id, the shape Jellyfin uses for items."""
    return hashlib.md5(library.name.encode(), usedforsecurity=False).hexdigest()


def item_id(*parts: object) -> str:
    return hashlib.md5("|".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()


def iter_paths(library: FakeLibrary) -> Iterator[tuple[FakeShow, FakeEpisode, str]]:
    for show in library.shows:
        folder = f"/media/{library.name}/{show.title} ({show.year})"
        for ep in show.episodes:
            tag = f"S{ep.season:02d}E{ep.number:02d}"
            if ep.number_end:
                tag += f"-E{ep.number_end:02d}"
            yield show, ep, f"{folder}/Season {ep.season:02d}/{show.title} - {tag}.mkv"
