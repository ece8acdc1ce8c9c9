"""Fake video hosters for the demo and the tests: embed pages, progressive media and HLS.

One Starlette app serves every fake hoster under its own prefix (``/<hoster>/…``, hoster names
lower-cased). What each one does is fixed, so fallback can be seen:

==============  =================================================================================
hoster          embed page ``/<hoster>/e/<key>``
==============  =================================================================================
``voe``         HTML5 ``<video>`` with a ``<source type="video/mp4">`` → ``/voe/media/<key>.mp4``
``vidoza``      HTML5 ``<video src=…>`` (no ``source`` child) → ``/vidoza/media/<key>.mp4``
``filemoon``    ``<source type="application/x-mpegURL">`` → ``/filemoon/hls/<key>/index.m3u8``
``vidmoly``     404 "File was deleted" (a removed upload)
``streamtape``  a page without any media ("Video is processing")
``doodstream``  a captcha page (anti-bot; hosts must report ``blocked``, never solve it)
==============  =================================================================================

Evidence for the shapes: HTML5 media as yt-dlp's generic extractor reads it
(``yt-dlp/yt-dlp``: ``yt_dlp/extractor/common.py``, ``_parse_html5_media_entries`` — ``video``
``src`` and ``source`` children, ``type`` deciding HLS/progressive); HLS media playlists per
RFC 8216 (``#EXTM3U``, ``#EXT-X-TARGETDURATION``, ``#EXTINF``, ``#EXT-X-ENDLIST``; segments are
MPEG-TS: 188-byte packets starting with the sync byte 0x47); byte ranges per RFC 9110 §14
(``Range: bytes=N-`` → ``206`` with ``Content-Range``), which yt-dlp uses to continue a
``.part`` file. Media bytes are generated from the key (deterministic, small), not real video.

:class:`HosterState` (``app.state.hosters``) holds the knobs tests turn: ``media_size``,
``chunk_delay`` (seconds between 16 KiB chunks, to keep a download running) and the log of
``Range`` requests. :func:`media_bytes` is the expected content of a key's file.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from anibridge_like.demo.faults import FaultController, FaultMiddleware

BEHAVIOUR: dict[str, str] = {
    "voe": "source",
    "vidoza": "video_src",
    "filemoon": "hls",
    "vidmoly": "deleted",
    "streamtape": "no_media",
    "doodstream": "captcha",
}
SEGMENTS = 4
_CHUNK = 16 * 1024


@dataclass
class HosterState:
    media_size: int = 192 * 1024
    chunk_delay: float = 0.0
    range_requests: list[str] = field(default_factory=list)
    media_requests: int = 0
    embeds: list[tuple[str, str]] = field(default_factory=list)
    """``(hoster, key)`` of every embed page asked for."""


def media_bytes(key: str, size: int) -> bytes:
    """The deterministic content of ``key``'s media (``size`` bytes)."""
    seed = hashlib.sha256(key.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def segment_bytes(key: str, index: int, size: int) -> bytes:
    """An MPEG-TS-looking segment: 188-byte packets with the 0x47 sync byte."""
    packets = max(size // SEGMENTS // 188, 1)
    payload = hashlib.sha256(f"{key}:{index}".encode()).digest() * 6
    return b"".join(b"\x47" + payload[:187] for _ in range(packets))


def hls_bytes(key: str, size: int) -> bytes:
    """What a complete HLS download of ``key`` concatenates to."""
    return b"".join(segment_bytes(key, i, size) for i in range(SEGMENTS))


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body>{body}</body></html>",
        status_code=status,
    )


def build_app(state: HosterState | None = None, faults: FaultController | None = None) -> Starlette:
    hs = state or HosterState()

    async def embed(request: Request) -> Response:
        hoster = request.path_params["hoster"]
        key = request.path_params["key"]
        kind = BEHAVIOUR.get(hoster)
        hs.embeds.append((hoster, key))
        if kind is None or kind == "deleted":
            return _page("File was deleted", "<h1>File was deleted</h1>", 404)
        if kind == "no_media":
            return _page("Video", "<div class='plyr'>Video is processing, come back later.</div>")
        if kind == "captcha":
            return _page(
                "Verify", "<form class='captcha-form'><div class='g-recaptcha'></div></form>"
            )
        if kind == "hls":
            video = (
                f"<video id='player' controls><source src='/{hoster}/hls/{key}/index.m3u8' "
                "type='application/x-mpegURL'></video>"
            )
        elif kind == "video_src":
            video = f"<video controls src='/{hoster}/media/{key}.mp4'></video>"
        else:
            video = (
                f"<video controls preload='none'><source src='/{hoster}/media/{key}.mp4' "
                "type='video/mp4'></video>"
            )
        return _page(f"{hoster} {key}", video)

    async def media(request: Request) -> Response:
        key = request.path_params["key"]
        data = media_bytes(key, hs.media_size)
        hs.media_requests += 1
        start = 0
        status = 200
        headers = {"Accept-Ranges": "bytes", "Content-Type": "video/mp4"}
        wanted = request.headers.get("range", "")
        if wanted.startswith("bytes="):
            first, _, _last = wanted[6:].partition("-")
            if first.isdigit() and int(first) < len(data):
                start = int(first)
                status = 206
                hs.range_requests.append(wanted)
                headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        headers["Content-Length"] = str(len(data) - start)
        if request.method == "HEAD":
            return Response(b"", status_code=status, headers=headers)

        async def body() -> AsyncIterator[bytes]:
            for offset in range(start, len(data), _CHUNK):
                if hs.chunk_delay:
                    await asyncio.sleep(hs.chunk_delay)
                yield data[offset : offset + _CHUNK]

        return StreamingResponse(body(), status_code=status, headers=headers)

    async def playlist(request: Request) -> Response:
        key = request.path_params["key"]
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            "#EXT-X-TARGETDURATION:4",
            "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXT-X-PLAYLIST-TYPE:VOD",
        ]
        for i in range(SEGMENTS):
            lines += ["#EXTINF:4.000,", f"seg-{i}.ts"]
        lines.append("#EXT-X-ENDLIST")
        del key
        return Response("\n".join(lines) + "\n", media_type="application/vnd.apple.mpegurl")

    async def segment(request: Request) -> Response:
        hs.media_requests += 1
        data = segment_bytes(
            request.path_params["key"], request.path_params["index"], hs.media_size
        )
        if hs.chunk_delay:
            await asyncio.sleep(hs.chunk_delay)
        return Response(data, media_type="video/mp2t")

    routes = [
        Route("/{hoster}/e/{key}", embed),
        Route("/{hoster}/media/{key}.mp4", media, methods=["GET", "HEAD"]),
        Route("/{hoster}/hls/{key}/index.m3u8", playlist),
        Route("/{hoster}/hls/{key}/seg-{index:int}.ts", segment),
    ]
    app = Starlette(
        routes=routes, middleware=[Middleware(FaultMiddleware, faults=faults or FaultController())]
    )
    app.state.hosters = hs
    return app


def embed_url(base_url: str, hoster: str, key: str) -> str:
    """The fake hoster's embed page for ``key`` (``hoster`` as the site prints it)."""
    return f"{base_url.rstrip('/')}/{hoster.casefold()}/e/{key}"
