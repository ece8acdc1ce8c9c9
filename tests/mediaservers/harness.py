"""One harness per media-server implementation: builds the plugin against its fake (or a
folder tree written from the same content) and switches faults, so the conformance suite runs
unchanged over all of them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from anibridge_like.demo.mediaservers.content import (
    FakeEpisode,
    FakeLibrary,
    FakeMovie,
    FakeServerState,
    FakeShow,
    iter_paths,
)
from anibridge_like.demo.mediaservers.jellyfin import build_jellyfin_app
from anibridge_like.demo.mediaservers.plex import build_plex_app
from anibridge_like.plugins.registry import Registry

CLOSED_PORT_URL = "http://127.0.0.1:9"
"""Nothing listens on the discard port on a test machine: connection refused, no internet."""

CONTENT = [
    FakeLibrary(
        name="Anime",
        kind="series",
        shows=(
            FakeShow(
                "Attack on Titan",
                2013,
                {"tvdb": "267440", "imdb": "tt2560140"},
                tuple(FakeEpisode(1, n) for n in range(1, 14)),
            ),
            FakeShow(
                "Frieren",
                2023,
                {"tvdb": "424536"},
                (FakeEpisode(1, 1), FakeEpisode(1, 2, 3), FakeEpisode(1, 4)),
            ),
            FakeShow("Mushishi", 2005, {"tmdb": "26209"}, (FakeEpisode(2, 1), FakeEpisode(2, 2))),
        ),
    ),
    FakeLibrary(
        name="Movies",
        kind="movies",
        movies=(
            FakeMovie("The Matrix", 1999, {"tmdb": "603", "imdb": "tt0133093"}),
            FakeMovie("Spirited Away", 2001, {"tmdb": "129"}),
        ),
    ),
]


def expected_episodes(libraries: list[FakeLibrary], name: str) -> set[tuple[str, int, int]]:
    lib = next(x for x in libraries if x.name == name)
    return {
        (show.title, ep.season, n)
        for show in lib.shows
        for ep in show.episodes
        for n in range(ep.number, (ep.number_end or ep.number) + 1)
    }


@dataclass
class Backend:
    name: str
    implementation: str
    transport: Callable[[FakeServerState], httpx.AsyncBaseTransport | None]
    has_credentials: bool
    truncates: bool
    binding: dict[str, str] = field(default_factory=dict)

    def library_ref_name(self, name: str) -> str:
        return self.binding.get(name, name)


def write_tree(root: Path, libraries: list[FakeLibrary]) -> None:
    """The same content as files, the way Sonarr/Radarr name them (ids in folder tags)."""
    for lib in libraries:
        for show, _ep, path in iter_paths(lib):
            tags = "".join(f" {{{k}-{v}}}" for k, v in show.ids.items())
            rel = Path(path).relative_to(f"/media/{lib.name}")
            parts = list(rel.parts)
            parts[0] = f"{parts[0]}{tags}"
            target = root / lib.name / Path(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"")
        for movie in lib.movies:
            tags = "".join(f" [{k}id-{v}]" for k, v in movie.ids.items())
            folder = root / lib.name / f"{movie.title} ({movie.year}){tags}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{movie.title} ({movie.year}).mkv").write_bytes(b"")


@asynccontextmanager
async def open_plugin(
    backend: Backend,
    state: FakeServerState,
    tmp: Path,
    *,
    unreachable: bool = False,
    page_size: int = 5,
) -> AsyncIterator[Any]:
    registry = Registry()
    impl = registry.get("media_server", backend.implementation)
    if backend.implementation == "filesystem":
        write_tree(tmp, state.libraries)
        root = tmp / "missing" if unreachable else tmp
        config: dict[str, Any] = {
            "libraries": {lib.name: str(root / lib.name) for lib in state.libraries}
        }
        backend.binding = {lib.name: str(root / lib.name) for lib in state.libraries}
    else:
        url = CLOSED_PORT_URL if unreachable else "http://fake.test"
        config = {"url": url, "api_key": state.token}
    config["page_size"] = page_size
    transport = None if unreachable else backend.transport(state)
    async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
        yield impl(impl.config_model.model_validate(config), client)


BACKENDS = [
    Backend(
        "jellyfin",
        "jellyfin",
        lambda s: httpx.ASGITransport(app=build_jellyfin_app(s)),
        has_credentials=True,
        truncates=True,
    ),
    Backend(
        "plex",
        "plex",
        lambda s: httpx.ASGITransport(app=build_plex_app(s)),
        has_credentials=True,
        truncates=True,
    ),
    Backend(
        "filesystem",
        "filesystem",
        lambda s: None,
        has_credentials=False,
        truncates=False,
    ),
]
