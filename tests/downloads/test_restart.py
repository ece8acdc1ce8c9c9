"""A daemon stopped in the middle of a download: the next start (a new app on the same data dir)
still reports every download in ``torrents/info`` and continues the partial file with a Range
request instead of starting over."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from anibridge_like.downloads.service import DownloadService
from tests.downloads.conftest import Sites, daemon_settings, running_daemon
from tests.downloads.test_grab import LINKED, listing, read

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_restart_mid_download_resumes_and_reports_everything(
    sites: Sites, tmp_path: Path
) -> None:
    settings = daemon_settings(tmp_path)
    hs = sites.hosters
    hs.chunk_delay, hs.media_size = 0.05, 512 * 1024
    try:
        async with running_daemon(sites, settings) as world:
            magnets = [m for m in await world.magnets("series") if m["ab_lang"] in LINKED]
            slow, foreign = magnets[0], "magnet:?xt=urn:btih:" + "de" * 20 + "&dn=elsewhere"
            sonarr = world.sonarr("restart")
            await sonarr.add(foreign)
            await sonarr.add(slow["uri"])
            service: DownloadService = world.app.state.ctx.services["downloads"]
            deadline = time.monotonic() + 30
            while (live := service.live(slow["hash"])) is None or live.downloaded < 64 * 1024:
                assert time.monotonic() < deadline, "download did not start"
                await asyncio.sleep(0.05)
        # the daemon is stopped: a partial file stays behind, nothing is complete
        assert listing(settings.resolved_download_dir / "restart" / ".incomplete")
        ranges_before = len(hs.range_requests)
        hs.chunk_delay = 0.0
        async with running_daemon(sites, settings) as world:
            sonarr = world.sonarr("restart")
            states = {i["hash"]: i["state"] for i in await sonarr.items()}
            assert states["de" * 20] == "error" and slow["hash"] in states
            item = await sonarr.wait(slow["hash"])
    finally:
        hs.chunk_delay, hs.media_size = 0.0, 96 * 1024
    assert item["state"] == "pausedUP"
    assert len(hs.range_requests) > ranges_before  # continued, not started over
    assert len(read(str(item["content_path"])) or b"") == 512 * 1024
