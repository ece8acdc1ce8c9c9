"""The host contract: what a video-hoster plugin offers the download service and ``/stream``.

A streaming site's episode page links its hosters ("VOE", "Filemoon", …) through redirect URLs
that land on the hoster's *embed page*. A host plugin turns such an embed page into a media
source a downloader (yt-dlp) or a media player can fetch::

    media = await host.resolve(embed_url)       # MediaSource(url, protocol, headers, ext)

Like every plugin a host is **stateless**, constructed as ``Impl(config, client)`` with a shared
:class:`httpx.AsyncClient`, never touches the database and raises only
:class:`~anibridge_like.plugins.errors.PluginError` (``not_found`` when the page has no media,
``upstream``/``timeout`` for the hoster failing, ``blocked`` for a captcha or an anti-bot page —
host plugins never circumvent those, nor DRM).

Which plugin handles which hoster is data: :attr:`HostCapabilities.hosters` lists the hoster
names it knows (case-insensitive); ``None`` declares a generic host that may try any embed page.
The core prefers a plugin naming the hoster over a generic one and never looks at plugin names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

import httpx

MediaProtocol = Literal["progressive", "hls"]


@dataclass(frozen=True, slots=True)
class HostCapabilities:
    """What a host plugin can do, declared as data."""

    hosters: frozenset[str] | None
    """Hoster names (casefolded) this plugin resolves; ``None`` = any embed page (generic)."""
    protocols: frozenset[MediaProtocol] = frozenset({"progressive", "hls"})
    """Kinds of media sources it returns."""

    def handles(self, hoster: str) -> bool:
        return self.hosters is None or hoster.casefold() in self.hosters


@dataclass(frozen=True, slots=True)
class MediaSource:
    """A fetchable media source behind an embed page."""

    url: str
    protocol: MediaProtocol
    headers: Mapping[str, str] = field(default_factory=dict)
    """Headers the hoster wants on media requests (e.g. ``Referer``)."""
    ext: str = "mp4"
    """File extension of the downloaded media."""


@dataclass(frozen=True, slots=True)
class HosterLink:
    """One hoster offer on an episode page, for one language variant."""

    hoster: str
    """Hoster name as the site prints it."""
    url: str
    """Absolute URL that leads to the embed page (often a redirect of the site's)."""
    language: str
    """:class:`~anibridge_like.plugins.provider.Language` value."""


@runtime_checkable
class Host(Protocol):
    """A host plugin instance. Construct with ``Impl(config, client)``."""

    capabilities: ClassVar[HostCapabilities]

    async def resolve(self, embed_url: str) -> MediaSource:
        """The media behind ``embed_url`` (redirects already followed by the caller or here)."""
        ...


class HostFactory(Protocol):
    capabilities: ClassVar[HostCapabilities]
    config_model: ClassVar[type[Any]]

    def __call__(self, config: Mapping[str, Any], client: httpx.AsyncClient) -> Host: ...
