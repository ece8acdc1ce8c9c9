"""The inventory pull and the gap report through the real application: a filesystem library and
a fake Jellyfin (over loopback) holding part of indexed series."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from anibridge_like.app import create_app
from anibridge_like.demo.mediaservers.content import (
    FakeEpisode,
    FakeLibrary,
    FakeServerState,
    FakeShow,
)
from anibridge_like.demo.mediaservers.jellyfin import build_jellyfin_app
from anibridge_like.mediaservers.after_download import libraries_of_title, scan_after_download
from anibridge_like.mediaservers.engine import scan, trigger_scans
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import SeedError, parse_seed
from anibridge_like.settings import Settings
from tests.fakes.sites import serve_app
from tests.mediaservers.index import FRIEREN, MATRIX, TITAN, add_titles

KEY = {"X-Api-Key": "adm"}
TITAN_ID = {"tvdb": "267440"}


def _titan(last: int) -> FakeShow:
    return FakeShow(
        "Attack on Titan", 2013, TITAN_ID, tuple(FakeEpisode(1, n) for n in range(1, last + 1))
    )


def write_disk(root: Path) -> None:
    season = root / "anime" / "Attack on Titan (2013) {tvdb-267440}" / "Season 01"
    season.mkdir(parents=True)
    for n in range(1, 19):
        (season / f"Attack on Titan - S01E{n:02d} - Episode.mkv").write_bytes(b"")
    (season / "Attack on Titan - S01E19E20 - Double.mkv").write_bytes(b"")
    (season / "notes.txt").write_text("not a video")
    (season / "Attack on Titan - S01E21-sample.mkv").write_bytes(b"")
    (season.parent / "Extras").mkdir()
    (season.parent / "Extras" / "Making of S01E22.mkv").write_bytes(b"")
    (season.parent / ".@__thumb").mkdir()
    (season.parent / ".@__thumb" / "S01E23.mkv").write_bytes(b"")
    (season / "loop").symlink_to(season)  # a symlink loop is not followed
    frieren = root / "anime" / "Sousou no Frieren (2023)"
    frieren.mkdir(parents=True)
    (frieren / "[Group] Sousou no Frieren - 03 [1080p].mkv").write_bytes(b"")
    matrix = root / "movies" / "The Matrix (1999) [imdbid-tt0133093]"
    matrix.mkdir(parents=True)
    (matrix / "The Matrix (1999) Bluray-1080p.mkv").write_bytes(b"")


def seed_data(disk: Path, jellyfin_url: str) -> dict[str, Any]:
    return {
        "libraries": [
            {"slug": "anime", "kind": "anime", "languages": ["de_dub", "de_sub"]},
            {"slug": "tv", "kind": "anime", "languages": ["de_dub", "de_sub"]},
            {"slug": "movies", "kind": "movies", "languages": ["de_dub"]},
        ],
        "plugins": [
            {
                "name": "aniworld",
                "implementation": "aniworld",
                "kind": "provider",
                "libraries": ["anime", "tv"],
                "config": {"base_url": "http://127.0.0.1:9"},
            },
            {
                "name": "megakino",
                "implementation": "megakino",
                "kind": "provider",
                "libraries": ["movies"],
                "config": {"base_url": "http://127.0.0.1:9"},
            },
            {
                "name": "disk",
                "implementation": "filesystem",
                "kind": "media_server",
                "config": {
                    "libraries": {"anime": str(disk / "anime"), "movies": str(disk / "movies")}
                },
            },
            {
                "name": "jelly",
                "implementation": "jellyfin",
                "kind": "media_server",
                "config": {
                    "url": jellyfin_url,
                    "api_key_env": "TEST_JELLYFIN_KEY",
                    "libraries": {"tv": "Anime"},
                    "page_size": 7,
                    "trigger_scan": True,
                },
            },
        ],
    }


@dataclass
class World:
    client: httpx.AsyncClient
    ctx: Any
    jellyfin: FakeServerState
    disk: Path


@pytest.fixture
def jellyfin() -> Iterator[tuple[FakeServerState, str]]:
    state = FakeServerState(libraries=[FakeLibrary("Anime", "series", shows=(_titan(20),))])
    with serve_app(build_jellyfin_app(state)) as url:
        yield state, url


@pytest.fixture
async def world(
    settings: Settings,
    tmp_path: Path,
    jellyfin: tuple[FakeServerState, str],
) -> AsyncIterator[World]:
    state, url = jellyfin
    disk = tmp_path / "media"
    write_disk(disk)
    env = {"TEST_JELLYFIN_KEY": state.token}
    registry = Registry()
    seed = parse_seed(seed_data(disk, url), registry, environ=env)
    app = create_app(
        settings.model_copy(update={"admin_api_key": SecretStr("adm")}),
        seed=seed,
        registry=registry,
        environ=env,
        start_services=False,
    )
    async with app.router.lifespan_context(app):
        ctx = app.state.ctx
        await add_titles(ctx.writer, [TITAN, FRIEREN, MATRIX])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield World(client, ctx, state, disk)


async def _owned(ctx: Any, library: str, work: str, state: str = "owned") -> set[int]:
    rows = await ctx.readers.fetchall(
        "SELECT o.episode FROM media_ownership o JOIN libraries l ON l.id = o.library_id"
        " WHERE l.slug = ? AND o.work = ? AND o.state = ?",
        (library, work, state),
    )
    return {int(r[0]) for r in rows}


async def _state(ctx: Any, instance: str) -> dict[str, Any]:
    row = await ctx.readers.fetchone(
        "SELECT s.* FROM media_scan_state s JOIN plugin_instances p ON p.id = s.instance_id"
        " WHERE p.name = ?",
        (instance,),
    )
    assert row is not None
    return dict(row)


async def test_folder_scan_gap_report_lists_missing_episodes_with_languages(
    world: World,
) -> None:
    outcomes = await scan(world.ctx, instance="disk")
    assert {o.status for o in outcomes} == {"complete"}
    assert await _owned(world.ctx, "anime", "tvdb:267440") == set(range(1, 21))
    items = await world.ctx.readers.fetchone(
        "SELECT count(*) FROM media_items WHERE work = 'tvdb:267440' AND kind = 'episode'"
    )
    assert items[0] == 19  # 18 files + one double episode; no sample, extra, thumb or loop
    got = await world.client.get("/api/v1/libraries/anime/gaps", headers=KEY)
    assert got.status_code == 200, got.text
    works = {w["work"]: w for w in got.json()["works"]}
    titan = works["tvdb:267440"]
    assert titan["summary"] == (
        "owned 1–20; German Dub available 21–28; German Sub available 21–30; not available 31–32"
    )
    assert (titan["known"], titan["owned"], titan["missing"]) == (32, 20, 12)
    dub = titan["available"][0]
    assert dub["label"] == "German Dub" and dub["count"] == 8
    assert [e["episode"] for e in dub["episodes"]] == list(range(21, 29))
    assert dub["torznab"] == ["/torznab/anime/api?t=tvsearch&tvdbid=267440&season=1"]
    # Frieren: no id on disk, found by its alias; the absolute-numbered file is episode 3.
    assert works["tvdb:424536"]["owned_ranges"] == "3"
    assert works["tvdb:424536"]["summary"].startswith("owned 3; German Sub available 1–2, 4–10")
    movies = (await world.client.get("/api/v1/libraries/movies/gaps", headers=KEY)).json()
    assert [(w["work"], w["summary"]) for w in movies["works"]] == [("tmdb:603", "owned")]


async def test_gap_report_for_one_work_and_bad_requests(world: World) -> None:
    await scan(world.ctx, instance="disk")
    one = await world.client.get(
        "/api/v1/libraries/anime/gaps", params={"work": "tvdb:424536"}, headers=KEY
    )
    assert [w["work"] for w in one.json()["works"]] == ["tvdb:424536"]
    assert (await world.client.get("/api/v1/libraries/anime/gaps")).status_code == 401
    bad = await world.client.get(
        "/api/v1/libraries/anime/gaps", params={"work": "frieren"}, headers=KEY
    )
    assert bad.status_code == 400 and "tvdb:<id>" in bad.json()["error"]
    assert (await world.client.get("/api/v1/libraries/nope/gaps", headers=KEY)).status_code == 404
    assert (
        await world.client.get("/api/v1/libraries/anime/gaps?limit=x", headers=KEY)
    ).status_code == 400


async def test_truncated_listing_never_turns_owned_into_missing(world: World) -> None:
    ctx, fake = world.ctx, world.jellyfin
    [first] = await scan(ctx, instance="jelly")
    assert first.status == "complete" and first.pages > 2
    assert await _owned(ctx, "tv", "tvdb:267440") == set(range(1, 21))
    # The server now holds only 1–10 but its listing breaks off after 5 episodes.
    fake.libraries = [FakeLibrary("Anime", "series", shows=(_titan(10),))]
    fake.faults.truncate_after = 5
    [cut] = await scan(ctx, instance="jelly")
    assert cut.status == "partial" and cut.error_code == "upstream"
    assert await _owned(ctx, "tv", "tvdb:267440") == set(range(1, 21))
    state = await _state(ctx, "jelly")
    assert state["complete"] == 0 and state["cursor"] and state["connection"] == "degraded"
    assert state["next_attempt_at"] is not None
    # A complete listing does: 11–20 become missing, and so do the index's other episodes.
    fake.faults.truncate_after = None
    [done] = await scan(ctx, instance="jelly")
    assert done.status == "complete"
    assert await _owned(ctx, "tv", "tvdb:267440") == set(range(1, 11))
    assert await _owned(ctx, "tv", "tvdb:267440", "missing") == set(range(11, 33))


async def test_an_interrupted_listing_resumes_from_its_cursor(world: World) -> None:
    ctx, fake = world.ctx, world.jellyfin
    fake.faults.truncate_after = 14
    [cut] = await scan(ctx, instance="jelly")
    assert cut.status == "partial"
    generation = (await _state(ctx, "jelly"))["generation"]
    fake.faults.truncate_after = None
    [done] = await scan(ctx, instance="jelly")
    state = await _state(ctx, "jelly")
    assert done.status == "complete" and state["generation"] == generation
    assert done.pages < cut.pages + 4  # resumed, not started over
    assert await _owned(ctx, "tv", "tvdb:267440") == set(range(1, 21))


async def test_rejected_token_disconnects_and_other_servers_still_scan(world: World) -> None:
    world.jellyfin.faults.auth_failure = True
    outcomes = {(o.instance, o.library): o for o in await scan(world.ctx)}
    assert outcomes[("jelly", "tv")].status == "failed"
    assert outcomes[("jelly", "tv")].error_code == "auth"
    assert outcomes[("disk", "anime")].status == "complete"
    state = await _state(world.ctx, "jelly")
    assert state["connection"] == "disconnected" and state["next_attempt_at"] > state["finished_at"]
    assert world.jellyfin.token not in (state["last_error"] or "")
    listed = (await world.client.get("/api/v1/media-servers", headers=KEY)).json()
    health = (await world.client.get("/health/catalog")).json()
    assert listed["media_servers"] == health["media_servers"]
    by_name = {m["name"]: m for m in listed["media_servers"]}
    assert by_name["jelly"]["connection"] == "disconnected"
    assert by_name["jelly"]["libraries"][0]["last_error"].startswith("auth: HTTP 401")
    assert by_name["disk"]["connection"] == "connected"
    assert by_name["disk"]["server"]["name"] == "filesystem"
    assert {b["library"]: b["complete"] for b in by_name["disk"]["libraries"]} == {
        "anime": True,
        "movies": True,
    }


async def test_unknown_server_library_is_reported_on_the_binding(world: World) -> None:
    world.jellyfin.libraries = [FakeLibrary("Serien", "series", shows=(_titan(3),))]
    [outcome] = await scan(world.ctx, instance="jelly")
    assert outcome.status == "failed" and outcome.error_code == "not_found"
    assert "'Anime' not found (the server has: Serien)" in (outcome.error or "")


async def test_a_vanished_folder_is_degraded_and_keeps_ownership(world: World) -> None:
    await scan(world.ctx, instance="disk")
    (world.disk / "anime").rename(world.disk / "anime-unmounted")
    outcomes = await scan(world.ctx, instance="disk")
    assert {o.status for o in outcomes} == {"failed"}
    assert await _owned(world.ctx, "anime", "tvdb:267440") == set(range(1, 21))


def test_seed_bindings_to_unknown_libraries_are_errors_with_their_path(tmp_path: Path) -> None:
    data = seed_data(tmp_path, "http://127.0.0.1:9")
    data["plugins"][3]["config"]["libraries"] = {"animee": "Anime", "tv": ""}
    with pytest.raises(SeedError) as err:
        parse_seed(data, Registry(), environ={})
    paths = {issue.path: issue.message for issue in err.value.issues}
    assert paths["plugins[3].config.libraries.animee"] == "unknown library 'animee'"
    assert "plugins[3].config.libraries.tv" in paths


async def test_scan_trigger_after_a_download_asks_opted_in_servers(world: World) -> None:
    assert await trigger_scans(world.ctx, "tv") == ["jelly"]
    assert world.jellyfin.scans == ["all"]
    assert await trigger_scans(world.ctx, "anime") == []  # a folder: nothing to ask
    world.jellyfin.faults.server_error = True
    assert await trigger_scans(world.ctx, "tv") == []  # logged, never raised


async def test_a_download_s_libraries_come_from_its_site_by_the_scope_rule(world: World) -> None:
    readers = world.ctx.readers
    # aniworld's instance serves anime and tv; a series title lands in both, never in movies
    assert await libraries_of_title(readers, "aniworld", TITAN.slug) == ["anime", "tv"]
    assert await libraries_of_title(readers, "megakino", MATRIX.slug) == ["movies"]
    assert await libraries_of_title(readers, "aniworld", "not-indexed") == []
    asked = await scan_after_download(world.ctx, "aniworld", TITAN.slug, download="h")
    assert asked == {"anime": [], "tv": ["jelly"]} and world.jellyfin.scans == ["all"]
    assert await scan_after_download(world.ctx, None, None, download="foreign") == {}


async def test_scheduled_scans_wait_out_the_backoff_and_manual_ones_do_not(world: World) -> None:
    world.jellyfin.faults.server_error = True
    [failed] = await scan(world.ctx, instance="jelly")
    assert failed.status == "failed" and failed.error_code == "upstream"
    world.jellyfin.faults.server_error = False
    requests = world.jellyfin.requests
    [skipped] = await scan(world.ctx, instance="jelly", force=False)
    assert skipped.status == "skipped" and "backing off until" in (skipped.error or "")
    assert world.jellyfin.requests == requests  # the server was not asked
    [manual] = await scan(world.ctx, instance="jelly")
    assert manual.status == "complete"
    assert (await _state(world.ctx, "jelly"))["next_attempt_at"] is None


async def test_a_disabled_server_no_longer_counts_as_owning(world: World) -> None:
    await scan(world.ctx, instance="disk")
    gaps = "/api/v1/libraries/anime/gaps"
    assert (await world.client.get(gaps, headers=KEY)).json()["total"] == 2
    await world.ctx.writer.execute("UPDATE plugin_instances SET enabled = 0 WHERE name = 'disk'")
    assert (await world.client.get(gaps, headers=KEY)).json()["total"] == 0
