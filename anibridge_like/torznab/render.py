"""XML rendering with escaped string templates (≈10× faster than an element tree).

Every interpolated value goes through :func:`esc` (text) or :func:`attr` (attribute values), which
also drop the characters XML 1.0 forbids, so the output is always well-formed; the tests parse it.
Feeds are ``<rss>`` without a default namespace, ``torznab:attr`` in the Torznab namespace.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

XML_MEDIA_TYPE = "application/xml; charset=utf-8"
RSS_MEDIA_TYPE = "application/rss+xml; charset=utf-8"
TORZNAB_NS = "http://torznab.com/schemas/2015/feed"
ATOM_NS = "http://www.w3.org/2005/Atom"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
MAGNET_TYPE = "application/x-bittorrent;x-scheme-handler/magnet"

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NEEDS_TEXT = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NEEDS_ATTR = re.compile('[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')


def esc(value: object) -> str:
    """Escape text content (and drop characters XML 1.0 forbids)."""
    text = str(value)
    if _NEEDS_TEXT.search(text) is None:
        return text
    text = _INVALID_XML.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr(value: object) -> str:
    """Escape a double-quoted attribute value (also valid as text content)."""
    text = str(value)
    if _NEEDS_ATTR.search(text) is None:
        return text
    text = _INVALID_XML.sub("", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        text.replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def render_error(code: int, description: str) -> str:
    return f'{DECLARATION}<error code="{code}" description="{attr(description)}"/>\n'


@dataclass(frozen=True, slots=True)
class Release:
    """One item of a feed: an (episode or movie, language variant) available in the index."""

    title: str
    guid: str
    pub_date: str
    """RFC 822 with English names and a numeric offset."""
    size: int
    infohash: str
    magnet: str
    categories: tuple[int, ...]
    seeders: int
    leechers: int
    language: str | None
    """English language name of the audio, or None when only the series' original language
    (unknown to the index) would be right."""
    subs: str | None
    tvdbid: int | None = None
    imdbid: str | None = None
    tmdbid: int | None = None


@lru_cache(maxsize=256)
def _category_parts(categories: tuple[int, ...]) -> tuple[str, str]:
    """``<category>`` elements and ``torznab:attr`` category attributes of a categories tuple
    (the same few tuples on every item of a library)."""
    return (
        "".join(f"<category>{c}</category>" for c in categories),
        "".join(f'<torznab:attr name="category" value="{c}"/>' for c in categories),
    )


def _item(r: Release) -> str:
    magnet = attr(r.magnet)
    elements, attributes = _category_parts(r.categories)
    ids = ""
    if r.tvdbid is not None:
        ids += f'<torznab:attr name="tvdbid" value="{r.tvdbid}"/>'
    if r.imdbid is not None:
        imdbid = attr(r.imdbid)
        ids += (
            f'<torznab:attr name="imdb" value="{imdbid[2:]}"/>'
            f'<torznab:attr name="imdbid" value="{imdbid}"/>'
        )
    if r.tmdbid is not None:
        ids += f'<torznab:attr name="tmdbid" value="{r.tmdbid}"/>'
    if r.language is not None:
        ids += f'<torznab:attr name="language" value="{attr(r.language)}"/>'
    if r.subs is not None:
        ids += f'<torznab:attr name="subs" value="{attr(r.subs)}"/>'
    return (
        f"<item><title>{esc(r.title)}</title>"
        f'<guid isPermaLink="false">{esc(r.guid)}</guid>'
        f"<pubDate>{r.pub_date}</pubDate><size>{r.size}</size><link>{magnet}</link>"
        f'{elements}<enclosure url="{magnet}" length="{r.size}" type="{MAGNET_TYPE}"/>'
        f'{attributes}<torznab:attr name="size" value="{r.size}"/>'
        f'<torznab:attr name="seeders" value="{r.seeders}"/>'
        f'<torznab:attr name="leechers" value="{r.leechers}"/>'
        f'<torznab:attr name="peers" value="{r.seeders + r.leechers}"/>'
        f'<torznab:attr name="infohash" value="{r.infohash}"/>'
        f'<torznab:attr name="magneturl" value="{magnet}"/>{ids}'
        '<torznab:attr name="downloadvolumefactor" value="1"/>'
        '<torznab:attr name="uploadvolumefactor" value="1"/></item>'
    )


def render_feed(title: str, link: str, releases: Iterable[Release]) -> str:
    items = "\n".join(_item(r) for r in releases)
    return (
        f'{DECLARATION}<rss version="2.0" xmlns:atom="{ATOM_NS}" xmlns:torznab="{TORZNAB_NS}">\n'
        f"<channel>\n<title>{esc(title)}</title>\n"
        f"<description>{esc(title)} (Torznab feed of the local index)</description>\n"
        f"<link>{esc(link)}</link>\n"
        f'<atom:link href="{attr(link)}" rel="self" type="application/rss+xml"/>\n'
        f"{items}\n</channel>\n</rss>\n"
    )
