"""The media-server conformance suite: the same tests over every implementation and its fake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from anibridge_like.demo.mediaservers.content import (
    FakeEpisode,
    FakeLibrary,
    FakeServerState,
    FakeShow,
)
from anibridge_like.mediaservers.inventory import pull
from anibridge_like.mediaservers.store import Binding
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.media_server import (
    ItemPage,
    MediaServer,
    ScanStatus,
    ScanTrigger,
    ServerItem,
)
from anibridge_like.plugins.registry import Registry
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer
from tests.mediaservers.harness import BACKENDS, CONTENT, Backend, expected_episodes, open_plugin
from tests.mediaservers.index import TITAN, add_titles

MAX_PAGES = 200


@pytest.fixture(params=BACKENDS, ids=[b.name for b in BACKENDS])
def backend(request: pytest.FixtureRequest) -> Backend:
    param: Backend = request.param
    return param


def _state() -> FakeServerState:
    return FakeServerState(libraries=list(CONTENT))


async def _ref(plugin: Any, backend: Backend, name: str) -> str:
    libraries = await plugin.list_libraries()
    wanted = backend.library_ref_name(name)
    match = [lib for lib in libraries if wanted in (lib.name, lib.ref)]
    assert len(match) == 1, (name, libraries)
    return str(match[0].ref)


async def _all_pages(plugin: Any, ref: str) -> list[ItemPage]:
    pages: list[ItemPage] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page = await plugin.list_items(ref, cursor)
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            return pages
    raise AssertionError("listing did not end")


def _episodes(items: list[ServerItem]) -> set[tuple[str, int, int]]:
    out = set()
    for item in items:
        if item.kind == "episode":
            assert item.season is not None and item.episode is not None, item
            for n in range(item.episode, (item.episode_end or item.episode) + 1):
                out.add((item.title, item.season, n))
    return out


def _series_ids(items: list[ServerItem]) -> dict[str, dict[str, str]]:
    """Ids per series title: an episode's own, or those of the series item of its series_key
    (listed before it)."""
    by_key: dict[str, dict[str, str]] = {}
    out: dict[str, dict[str, str]] = {}
    for item in items:
        if item.kind == "series":
            by_key[item.series_key] = dict(item.provider_ids)
        elif item.kind == "episode":
            ids = dict(item.provider_ids) or by_key.get(item.series_key)
            assert ids, f"episode {item} has no series ids before it"
            out.setdefault(item.title, ids)
    return out


def test_implementation_follows_the_contract(backend: Backend) -> None:
    impl = Registry().get("media_server", backend.implementation)
    assert isinstance(impl.__new__(impl), MediaServer)
    declared = impl.capabilities.optional
    assert ("trigger_scan" in declared) == isinstance(impl.__new__(impl), ScanTrigger)
    assert ("scan_status" in declared) == isinstance(impl.__new__(impl), ScanStatus)


async def test_check_connection_names_the_server(backend: Backend, tmp_path: Path) -> None:
    async with open_plugin(backend, _state(), tmp_path) as plugin:
        status = await plugin.check_connection()
    assert status.name and status.version


async def test_paged_listing_returns_every_episode_once_with_series_ids(
    backend: Backend, tmp_path: Path
) -> None:
    async with open_plugin(backend, _state(), tmp_path, page_size=4) as plugin:
        pages = await _all_pages(plugin, await _ref(plugin, backend, "Anime"))
    assert len(pages) > 2
    items = [i for p in pages for i in p.items]
    assert len({i.server_id for i in items}) == len(items)
    assert _episodes(items) == expected_episodes(CONTENT, "Anime")
    ids = _series_ids(items)
    assert ids["Attack on Titan"]["tvdb"] == "267440"
    assert ids["Attack on Titan"]["imdb"] == "tt2560140"
    assert ids["Frieren"] == {"tvdb": "424536"}
    assert ids["Mushishi"] == {"tmdb": "26209"}
    assert all(i.path for i in items if i.kind == "episode")


async def test_movies_carry_title_year_and_ids(backend: Backend, tmp_path: Path) -> None:
    async with open_plugin(backend, _state(), tmp_path) as plugin:
        pages = await _all_pages(plugin, await _ref(plugin, backend, "Movies"))
    movies = {i.title: i for p in pages for i in p.items if i.kind == "movie"}
    assert set(movies) == {"The Matrix", "Spirited Away"}
    assert movies["The Matrix"].year == 1999
    assert dict(movies["The Matrix"].provider_ids) == {"tmdb": "603", "imdb": "tt0133093"}
    assert movies["Spirited Away"].path.endswith(".mkv")


async def test_listing_resumes_from_a_cursor(backend: Backend, tmp_path: Path) -> None:
    async with open_plugin(backend, _state(), tmp_path, page_size=3) as plugin:
        ref = await _ref(plugin, backend, "Anime")
        pages = await _all_pages(plugin, ref)
        resumed = await plugin.list_items(ref, pages[2].next_cursor)
    assert resumed == pages[3]


async def test_rejected_credentials_raise_auth(backend: Backend, tmp_path: Path) -> None:
    if not backend.has_credentials:
        pytest.skip(f"{backend.name} has no credentials to reject")
    state = _state()
    async with open_plugin(backend, state, tmp_path) as plugin:
        ref = await _ref(plugin, backend, "Anime")
        state.faults.auth_failure = True
        for call in (plugin.check_connection(), plugin.list_items(ref, None)):
            with pytest.raises(PluginError) as err:
                await call
            assert err.value.code is ErrorCode.AUTH
            assert state.token not in str(err.value)


async def test_unreachable_server_raises_upstream(backend: Backend, tmp_path: Path) -> None:
    async with open_plugin(backend, _state(), tmp_path, unreachable=True) as plugin:
        with pytest.raises(PluginError) as err:
            await plugin.check_connection()
    assert err.value.code in (ErrorCode.UPSTREAM, ErrorCode.TIMEOUT)
    assert err.value.retry


async def test_truncated_listing_raises_instead_of_ending_short(
    backend: Backend, tmp_path: Path
) -> None:
    if not backend.truncates:
        pytest.skip(f"{backend.name} lists a local folder: no server can cut it short")
    state = _state()
    state.faults.truncate_after = 2
    async with open_plugin(backend, state, tmp_path, page_size=2) as plugin:
        with pytest.raises(PluginError) as err:
            await _all_pages(plugin, await _ref(plugin, backend, "Anime"))
    assert err.value.code is ErrorCode.UPSTREAM


async def test_scan_trigger_where_declared(backend: Backend, tmp_path: Path) -> None:
    state = _state()
    async with open_plugin(backend, state, tmp_path) as plugin:
        if "trigger_scan" not in plugin.capabilities.optional:
            pytest.skip(f"{backend.name} declares no trigger_scan")
        ref = await _ref(plugin, backend, "Anime")
        await plugin.trigger_scan(ref)
        assert state.scans
        if "scan_status" in plugin.capabilities.optional:
            assert await plugin.scan_status(ref) is True


async def test_truncated_listing_never_turns_owned_into_missing(
    backend: Backend, tmp_path: Path, writer: Writer, readers: ReaderPool
) -> None:
    if not backend.truncates:
        pytest.skip(f"{backend.name} lists a local folder: no server can cut it short")
    await add_titles(writer, [TITAN])
    await writer.execute("INSERT INTO libraries(slug, name, kind) VALUES ('anime', 'A', 'anime')")
    await writer.execute(
        "INSERT INTO plugin_instances(name, implementation, kind)"
        " VALUES ('srv', ?, 'media_server')",
        (backend.implementation,),
    )
    state = _state()
    async with open_plugin(backend, state, tmp_path, page_size=3) as plugin:
        binding = Binding(1, "srv", 1, "anime", "anime", backend.library_ref_name("Anime"))
        status = await plugin.check_connection()
        assert (await pull(writer, readers, plugin, binding, status)).status == "complete"
        owned = await _owned_titan(readers)
        assert owned == set(range(1, 14))
        shorter = FakeShow("Attack on Titan", 2013, {"tvdb": "267440"}, (FakeEpisode(1, 1),))
        state.libraries = [FakeLibrary("Anime", "series", shows=(shorter,)), CONTENT[1]]
        state.faults.truncate_after = 0
        cut = await pull(writer, readers, plugin, binding, status)
        assert cut.status in ("partial", "failed") and cut.error_code == "upstream"
        assert await _owned_titan(readers) == owned


async def _owned_titan(readers: ReaderPool) -> set[int]:
    rows = await readers.fetchall(
        "SELECT episode FROM media_ownership WHERE work = 'tvdb:267440' AND state = 'owned'"
    )
    return {int(r[0]) for r in rows}
