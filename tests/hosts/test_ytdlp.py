"""The yt-dlp fetch against the fake hosters on loopback: progressive and HLS media land complete
at the target, a ``.part`` left behind is continued with a Range request, and a cancel stops
the transfer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from anibridge_like.demo.hosters import HosterState, build_app, hls_bytes, media_bytes
from anibridge_like.downloads.ytdlp import Cancelled, Live, MediaError, fetch_media
from anibridge_like.plugins.host import MediaSource
from tests.fakes.sites import serve_app

SIZE = 200_000


@pytest.fixture(scope="module")
def hosters() -> Iterator[tuple[str, HosterState]]:
    state = HosterState(media_size=SIZE)
    with serve_app(build_app(state)) as url:
        yield url, state


def _fetch(media: MediaSource, target: Path, live: Live | None = None) -> int:
    return fetch_media(
        media, target, live or Live(), timeout=5, rate_limit=None, context={"test": True}
    )


def test_progressive_media_lands_complete(hosters: tuple[str, HosterState], tmp_path: Path) -> None:
    url, _ = hosters
    live = Live()
    size = _fetch(MediaSource(f"{url}/voe/media/a1.mp4", "progressive"), tmp_path / "a.mp4", live)
    assert size == SIZE and (tmp_path / "a.mp4").read_bytes() == media_bytes("a1", SIZE)
    assert live.downloaded == SIZE and live.dirty


def test_hls_segments_are_concatenated(hosters: tuple[str, HosterState], tmp_path: Path) -> None:
    url, _ = hosters
    media = MediaSource(f"{url}/filemoon/hls/h1/index.m3u8", "hls", ext="ts")
    _fetch(media, tmp_path / "h.ts")
    assert (tmp_path / "h.ts").read_bytes() == hls_bytes("h1", SIZE)


def test_a_partial_file_is_continued_with_range(
    hosters: tuple[str, HosterState], tmp_path: Path
) -> None:
    url, state = hosters
    (tmp_path / "r.mp4.part").write_bytes(media_bytes("r1", SIZE)[:70_000])
    before = len(state.range_requests)
    _fetch(MediaSource(f"{url}/voe/media/r1.mp4", "progressive"), tmp_path / "r.mp4")
    assert (tmp_path / "r.mp4").read_bytes() == media_bytes("r1", SIZE)
    assert state.range_requests[before:] == ["bytes=70000-"]


def test_cancel_stops_the_transfer(hosters: tuple[str, HosterState], tmp_path: Path) -> None:
    url, state = hosters
    state.chunk_delay = 0.05
    live = Live()
    timer = threading.Timer(0.3, live.cancel.set)
    timer.start()
    try:
        with pytest.raises(Cancelled):
            _fetch(MediaSource(f"{url}/voe/media/c1.mp4", "progressive"), tmp_path / "c.mp4", live)
    finally:
        timer.cancel()
        state.chunk_delay = 0.0
    assert not (tmp_path / "c.mp4").exists()


def test_a_missing_file_is_a_media_error(hosters: tuple[str, HosterState], tmp_path: Path) -> None:
    url, _ = hosters
    with pytest.raises(MediaError):
        _fetch(MediaSource(f"{url}/voe/nothing/x.mp4", "progressive"), tmp_path / "x.mp4")
