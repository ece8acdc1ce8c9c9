"""The generic host: any embed page that plays its media with HTML5 ``<video>``.

It reads, in this order: ``video > source[src]`` (an HLS ``type`` — ``application/x-mpegURL``,
``application/vnd.apple.mpegurl`` — or a ``.m3u8`` path means HLS), ``video[src]``, and finally
an absolute ``.m3u8``/``.mp4`` URL inside the page's scripts (players such as JW Player and
Video.js set the source from a config object). Relative URLs resolve against the embed page.

This is what yt-dlp's generic extractor looks for as well (``yt_dlp/extractor/generic.py`` →
``InfoExtractor._parse_html5_media_entries`` in ``yt_dlp/extractor/common.py``): HTML5 media
elements and their ``source`` children, with the MIME type deciding HLS vs. progressive.

Failures map to the contract's codes: 404/410 or a page without media → ``not_found``; a captcha
or anti-bot page → ``blocked`` (never circumvented); 429 → ``rate_limited``; other HTTP errors
and network failures → ``upstream``/``timeout``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field
from selectolax.lexbor import LexborHTMLParser

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.host import HostCapabilities, MediaProtocol, MediaSource

_HLS_TYPES = ("mpegurl",)
_SCRIPT_MEDIA = re.compile(
    r"""["'](https?://[^"'\s]+?\.(?:m3u8|mp4|mkv|webm)(?:\?[^"'\s]*)?)["']"""
)
_CHALLENGE = re.compile(r"g-recaptcha|h-captcha|cf-challenge|captcha-form", re.IGNORECASE)
_EXTS = {".mp4": "mp4", ".mkv": "mkv", ".webm": "webm", ".m4v": "mp4"}


class GenericHostConfig(BaseModel):
    """Instance config of the generic host."""

    model_config = ConfigDict(extra="forbid")

    max_page_bytes: int = Field(
        2_000_000, ge=1024, description="Largest embed page read (bigger ones are refused)."
    )
    referer: bool = Field(
        True, description="Send the embed page as Referer on media requests (most hosters check)."
    )


def _protocol(url: str, mime: str) -> MediaProtocol:
    if any(t in mime.lower() for t in _HLS_TYPES) or urlsplit(url).path.endswith(".m3u8"):
        return "hls"
    return "progressive"


def _ext(url: str, protocol: MediaProtocol) -> str:
    if protocol == "hls":
        return "ts"  # native HLS download concatenates MPEG-TS segments
    path = urlsplit(url).path.lower()
    return next((ext for suffix, ext in _EXTS.items() if path.endswith(suffix)), "mp4")


def find_media(html: str, page_url: str) -> tuple[str, MediaProtocol] | None:
    """The media URL an embed page plays, with its protocol (``None`` if it has none)."""
    tree = LexborHTMLParser(html)
    for video in tree.css("video"):
        for source in video.css("source"):
            src = (source.attributes.get("src") or "").strip()
            if src:
                url = urljoin(page_url, src)
                return url, _protocol(url, source.attributes.get("type") or "")
        src = (video.attributes.get("src") or "").strip()
        if src:
            url = urljoin(page_url, src)
            return url, _protocol(url, video.attributes.get("type") or "")
    for script in tree.css("script"):
        found = _SCRIPT_MEDIA.search(script.text() or "")
        if found:
            return found.group(1), _protocol(found.group(1), "")
    return None


class GenericHost:
    """Resolves HTML5-video embed pages (see the module docstring)."""

    capabilities: ClassVar[HostCapabilities] = HostCapabilities(hosters=None)
    config_model: ClassVar[type[GenericHostConfig]] = GenericHostConfig

    def __init__(
        self, config: GenericHostConfig | Mapping[str, Any], client: httpx.AsyncClient
    ) -> None:
        self.config = (
            config
            if isinstance(config, GenericHostConfig)
            else GenericHostConfig.model_validate(config)
        )
        self._client = client

    async def resolve(self, embed_url: str) -> MediaSource:
        try:
            response = await self._client.get(embed_url, follow_redirects=True)
        except httpx.TimeoutException as exc:
            raise PluginError(ErrorCode.TIMEOUT, f"embed page {embed_url}: {exc!r}") from exc
        except httpx.HTTPError as exc:
            raise PluginError(ErrorCode.UPSTREAM, f"embed page {embed_url}: {exc!r}") from exc
        status = response.status_code
        if status in (404, 410):
            raise PluginError(ErrorCode.NOT_FOUND, f"embed page {embed_url}: HTTP {status}")
        if status == 429:
            raise PluginError(ErrorCode.RATE_LIMITED, f"embed page {embed_url}: HTTP 429")
        if status >= 400:
            raise PluginError(ErrorCode.UPSTREAM, f"embed page {embed_url}: HTTP {status}")
        if len(response.content) > self.config.max_page_bytes:
            raise PluginError(ErrorCode.INVALID_DATA, f"embed page {embed_url} is too large")
        html = response.text
        if _CHALLENGE.search(html):
            raise PluginError(ErrorCode.BLOCKED, f"embed page {embed_url} asks for a captcha")
        page_url = str(response.url)
        found = find_media(html, page_url)
        if found is None:
            raise PluginError(
                ErrorCode.NOT_FOUND, f"embed page {embed_url} has no <video>/<source> media"
            )
        url, protocol = found
        headers = {"Referer": page_url} if self.config.referer else {}
        return MediaSource(url=url, protocol=protocol, headers=headers, ext=_ext(url, protocol))
