"""Sonarr/Radarr grab a release from our Torznab answer and end with the file (or ``.strm``) at the
``content_path`` they read: anime, series and a movie, with hoster fallback, HLS and progressive
media, failures with a message, delete with files, and a restart in the middle of a download."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from anibridge_like.demo.hosters import SEGMENTS, hls_bytes, media_bytes
from anibridge_like.downloads.service import DownloadService
from anibridge_like.torznab.naming import info_hash
from tests.downloads.conftest import STRM_CATEGORY, World
from tests.downloads.sonarr_client import AuthFailed

pytestmark = pytest.mark.asyncio(loop_scope="module")
LINKED = {"de_dub", "de_sub", "en_sub", "en_dub"}


def read(path: Path | str) -> bytes | None:
    """The file's bytes, None when it does not exist (sync: tests call it between awaits)."""
    path = Path(path)
    return path.read_bytes() if path.is_file() else None


def listing(folder: Path, pattern: str = "*") -> list[Path]:
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


def _expected(world: World, path: Path) -> set[bytes]:
    size = world.sites.hosters.media_size
    keys = {key for _hoster, key in world.sites.hosters.embeds}
    return {media_bytes(k, size) for k in keys} | {hls_bytes(k, size) for k in keys}


async def _grab(world: World, magnet: dict[str, str], category: str) -> dict[str, object]:
    sonarr = world.sonarr(category)
    assert await sonarr.probe() == "2.9.3"
    await sonarr.add(magnet["uri"])
    return await sonarr.wait(magnet["hash"])


@pytest.mark.parametrize(
    ("library", "category", "folder"),
    [("anime", "sonarr-anime", "sonarr-anime"), ("series", "tv-mapped", "tv")],
)
async def test_sonarr_grab_ends_with_the_file_at_content_path(
    world: World, library: str, category: str, folder: str
) -> None:
    magnet = next(m for m in await world.magnets(library) if m["ab_lang"] in LINKED)
    item = await _grab(world, magnet, category)
    assert item["state"] == "pausedUP", item
    content = Path(str(item["content_path"]))
    root = world.settings.resolved_download_dir
    assert content.parent == root / folder == Path(str(item["save_path"]))
    assert content.name.startswith(magnet["title"][:40].replace("/", " "))
    data = read(content)
    assert data is not None and data in _expected(world, content)
    assert item["progress"] == 1.0 and item["size"] == len(data)
    assert not listing(root / folder / ".incomplete", f"{magnet['hash']}.*")


async def test_a_completed_download_asks_the_media_server_of_its_library_to_rescan(
    world: World,
) -> None:
    """The Jellyfin bound to ``anime`` (``trigger_scan: true``) is asked after an anime download,
    not after a series one; a slow server holds no download worker (the request is bounded)."""
    service: DownloadService = world.app.state.ctx.services["downloads"]
    jellyfin = world.sites.jellyfin
    await service.followers_done()
    before = len(jellyfin.scans)
    # releases no other test of the module grabs (an added hash is not downloaded twice)
    series = [m for m in await world.magnets("series") if m["ab_lang"] in LINKED][4]
    assert (await _grab(world, series, "tv-sonarr"))["state"] == "pausedUP"
    await service.followers_done()
    assert len(jellyfin.scans) == before  # no server is bound to the series library
    anime = [m for m in await world.magnets("anime") if m["ab_lang"] in LINKED][8:11]
    assert (await _grab(world, anime[0], "sonarr-anime"))["state"] == "pausedUP"
    await service.followers_done()
    assert len(jellyfin.scans) == before + 1
    # a server slower than the bound: the next download completes meanwhile, the request is
    # given up after media_trigger_timeout_seconds and logged
    settings = world.app.state.ctx.settings
    world.app.state.ctx.settings = settings.model_copy(
        update={"media_trigger_timeout_seconds": 0.5}
    )
    jellyfin.faults.scan_delay = 30.0
    try:
        assert (await _grab(world, anime[1], "sonarr-anime"))["state"] == "pausedUP"
        assert (await _grab(world, anime[2], "sonarr-anime"))["state"] == "pausedUP"
        started = time.monotonic()
        await service.followers_done()
        assert time.monotonic() - started < 30.0  # bounded, not the server's 30 s
        assert len(jellyfin.scans) == before + 1
    finally:
        jellyfin.faults.scan_delay = 0.0
        world.app.state.ctx.settings = settings


async def test_radarr_grab_of_a_movie(world: World) -> None:
    movies = [
        m for m in await world.magnets("movies") if m["ab_s"] == "-1" and m["ab_lang"] != "ja"
    ]
    assert movies, "the demo index has no film releases"
    item = await _grab(world, movies[0], "radarr")
    assert item["state"] == "pausedUP", item
    content = Path(str(item["content_path"]))
    assert read(content) in _expected(world, content)


async def test_hoster_fallback_reaches_hls_after_failing_hosters(world: World) -> None:
    """Host order puts the failing hosters (deleted file, captcha, no media) first."""
    candidates = [m for m in await world.magnets("anime") if m["ab_lang"] in LINKED]
    before = world.sites.hoster_faults.count("/vidmoly/e/*")
    sonarr = world.sonarr("fallback")
    done = []
    for magnet in candidates[1:7]:
        await sonarr.add(magnet["uri"])
        done.append(await sonarr.wait(magnet["hash"]))
    rows = {
        r["hash"]: r
        for r in (await world.client.get("/api/v2/torrents/info", headers=sonarr.headers)).json()
    }
    used = {str(Path(str(i["content_path"])).suffix) for i in done}
    assert world.sites.hoster_faults.count("/vidmoly/e/*") > before  # tried and failed first
    assert ".ts" in used, f"no HLS download among {used}"
    for item in done:
        assert rows[item["hash"]]["state"] == "pausedUP"
        data = read(str(item["content_path"])) or b""
        if str(item["content_path"]).endswith(".ts"):
            assert len(data) % 188 == 0 and data[::188] == b"\x47" * (len(data) // 188)
            assert len(data) // 188 >= SEGMENTS


async def test_strm_category_writes_a_signed_stream_url_that_plays(world: World) -> None:
    # one fixed episode (the feed's order follows indexing timing): its first working hoster
    # serves progressive media behind a Referer check, which the stream proxies
    linked = [m for m in await world.magnets("anime") if m["ab_lang"] in LINKED]
    magnet = sorted(linked, key=lambda m: m["uri"])[-1]
    item = await _grab(world, magnet, STRM_CATEGORY)
    strm = Path(str(item["content_path"]))
    assert strm.suffix == ".strm" and item["state"] == "pausedUP"
    url = (read(strm) or b"").decode().strip()
    assert url.startswith("http://anibridge.test/stream/") and "apikey" not in url
    path = url.removeprefix("http://anibridge.test")
    played = await world.client.get(path)  # the hoster wants a Referer: proxied
    assert played.status_code == 200, played.status_code
    assert played.content in _expected(world, strm)
    seek = await world.client.get(path, headers={"Range": "bytes=1000-"})
    assert seek.status_code == 206 and seek.content == played.content[1000:]
    world.sites.hoster_faults.add("server_error", path="/*/media/*", status=500)
    try:
        gone = await world.client.get(path)  # the hoster's media fails now
    finally:
        world.sites.hoster_faults.clear()
    assert gone.status_code == 502 and "media request failed" in gone.text, gone.status_code
    token = url.rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert (await world.client.get(f"/stream/{forged}")).status_code == 403


async def test_bad_credentials_get_403(world: World) -> None:
    world.client.cookies.clear()  # the shared client kept earlier logins' SID
    assert (await world.client.get("/api/v2/app/webapiVersion")).status_code == 403
    bad = await world.client.post(
        "/api/v2/auth/login", data={"username": "sonarr", "password": "wrong"}
    )
    assert bad.status_code == 403 and bad.text == "Fails."
    with pytest.raises(AuthFailed):
        await world.sonarr("tv", password="wrong").items()
    listing = await world.client.get("/api/v2/torrents/info", headers={"Cookie": "SID=made-up"})
    assert listing.status_code == 403


async def test_foreign_edited_and_unknown_magnets_fail_with_a_message(world: World) -> None:
    sonarr = world.sonarr("mixed")
    foreign = "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=Some.Other.Release"
    await sonarr.add(foreign)
    item = await sonarr.wait("ab" * 20)
    assert item["state"] == "error" and "not a release of this indexer" in item["anibridge_error"]
    real = [m for m in await world.magnets("anime") if m["ab_lang"] in LINKED][-2]
    edited = real["uri"].replace(f"ab_e={real['ab_e']}", f"ab_e={int(real['ab_e']) + 50}")
    await sonarr.add(edited)
    assert "do not match its info-hash" in (await sonarr.wait(real["hash"]))["anibridge_error"]
    gone = info_hash(real["ab_site"], real["ab_slug"], 1, 999, "de_dub")
    unknown = (
        f"magnet:?xt=urn:btih:{gone}&dn=x&ab_site={real['ab_site']}&ab_slug={real['ab_slug']}"
        "&ab_s=1&ab_e=999&ab_lang=de_dub"
    )
    await sonarr.add(unknown)
    assert "is not in the index" in (await sonarr.wait(gone))["anibridge_error"]


async def test_delete_with_delete_files_removes_the_file(world: World) -> None:
    magnet = [m for m in await world.magnets("series") if m["ab_lang"] in LINKED][-1]
    sonarr = world.sonarr("to-delete")
    await sonarr.add(magnet["uri"])
    item = await sonarr.wait(magnet["hash"])
    content = Path(str(item["content_path"]))
    assert read(content)
    await sonarr.remove(magnet["hash"], delete_data=True)
    assert read(content) is None
    assert all(i["hash"] != magnet["hash"] for i in await sonarr.items())


async def test_pause_resume_and_delete_of_a_running_download(world: World) -> None:
    hs = world.sites.hosters
    magnets = [m for m in await world.magnets("series") if m["ab_lang"] in LINKED]
    first, second = magnets[1], magnets[2]
    sonarr = world.sonarr("running")
    service: DownloadService = world.app.state.ctx.services["downloads"]
    hs.chunk_delay, hs.media_size = 0.05, 512 * 1024
    writes_before = service.progress_writes
    try:
        for magnet in (first, second):
            await sonarr.add(magnet["uri"])
        deadline = time.monotonic() + 30
        while any(
            (lv := service.live(m["hash"])) is None or lv.downloaded < 160 * 1024
            for m in (first, second)
        ):
            assert time.monotonic() < deadline, "downloads did not start"
            await asyncio.sleep(0.05)
        ticks = sum(lv.ticks for m in (first, second) if (lv := service.live(m["hash"])))
        # coalesced: one writer unit per flush interval for both downloads, not one per tick
        assert service.progress_writes - writes_before < ticks / 2, (ticks, writes_before)
        await sonarr.call("POST", "/api/v2/torrents/pause", data={"hashes": first["hash"]})
        states = {i["hash"]: i for i in await sonarr.items()}
        assert states[first["hash"]]["state"] == "pausedDL"
        assert 0 < states[first["hash"]]["progress"] < 1
        await sonarr.remove(second["hash"], delete_data=True)
        folder = world.settings.resolved_download_dir / "running" / ".incomplete"
        assert not listing(folder, f"{second['hash']}.*"), "partial file of a deleted download"
        hs.chunk_delay = 0.0
        await sonarr.call("POST", "/api/v2/torrents/resume", data={"hashes": first["hash"]})
        item = await sonarr.wait(first["hash"])
    finally:
        hs.chunk_delay, hs.media_size = 0.0, 96 * 1024
    assert item["state"] == "pausedUP"
    assert len(read(str(item["content_path"])) or b"") == 512 * 1024
    assert all(i["hash"] != second["hash"] for i in await sonarr.items())


async def test_hoster_links_are_kept_for_a_while_and_reread_on_refresh(world: World) -> None:
    from anibridge_like.plugins.provider import Language
    from anibridge_like.providers.links import EpisodeRef

    links = world.app.state.ctx.services["downloads"].deps.links
    magnet = [m for m in await world.magnets("series") if m["ab_lang"] in LINKED][-2]
    ref = EpisodeRef(
        magnet["ab_site"],
        magnet["ab_slug"],
        int(magnet["ab_s"]),
        int(magnet["ab_e"]),
        Language(magnet["ab_lang"]),
    )
    faults = world.sites.site_faults["sto"]
    page = f"/serie/{ref.slug}/staffel-{ref.season}/episode-{ref.number}"
    first = await links.links(ref)
    seen = faults.count(page)
    assert first and all(link.language == ref.language.value for link in first)
    assert await links.links(ref) == first and faults.count(page) == seen  # kept
    assert await links.links(ref, refresh=True) == first and faults.count(page) == seen + 1
