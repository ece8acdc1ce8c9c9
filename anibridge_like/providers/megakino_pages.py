"""Parsers of megakino documents (a DataLife-Engine film/series site), pure functions.

The signals are the ones the scrapers that read the live site key on (AniBridge
``apps/api/app/providers/megakino/sitemap.py``; cloudstream ``Megakino.kt``; xStream
``megakino.py``; mediaforge megakino helpers; see :mod:`anibridge_like.demo.sites.megakino`).

======================================  ===================================================
document                                what is read (required parts in **bold**)
======================================  ===================================================
``/sitemap.xml`` (sitemap index)        **``<sitemapindex>``** with **``<sitemap><loc>``**
                                        children (a plain ``<urlset>`` is accepted too)
child sitemap (``.xml`` or ``.xml.gz``) **``<urlset>``**; ``<url><loc>`` entries of the form
                                        ``/films/<id>-<slug>.html`` or ``/serials/<id>-<slug>
                                        -<n>-staffel.html`` (``…-staffel-<n>``); ``lastmod``
                                        is optional; other URLs are skipped
film post                               **``h1``** (``.page__subcol-main``), original title
                                        (``.pmovie__original-title``), year (``/year/YYYY``
                                        link or ``itemprop=dateCreated``), **player**
                                        ``.pmovie__player``
serial season post                      **``h1`` "X - Staffel N" | "X - N. Staffel"**, the
                                        same head, **hoster selects
                                        ``select[name=pmovie__select-items]#ep<N>``** (one
                                        per episode), the season select's sibling posts
======================================  ===================================================

Locations are reduced to their path: the site hops between mirror domains and its sitemaps may
name any of them, while requests always go to the configured base URL. A missing required part
raises ``invalid_data`` naming it, a token-gate/challenge page ``blocked``; a document cut off in
transit raises ``invalid_data`` with ``retry`` set (the next fetch may be whole).
"""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import TitleKind
from anibridge_like.providers.http import challenge_marker

_TITLE_PATH = re.compile(r"^/(films|serials)/(\d+)-([^/?#]+?)\.html$")
_SEASON_SLUG = re.compile(r"^(.+?)-(?:(\d{1,3})-staffel|staffel-(\d{1,3}))$")
_SEASON_H1 = re.compile(r"^(.*?)\s*[-–]\s*(?:Staffel\s*(\d{1,3})|(\d{1,3})\.?\s*Staffel)\s*$", re.I)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_EP_ID = re.compile(r"^ep(\d{1,4})$")
_CLOSED_ROOT = re.compile(r"</(?:\w+:)?(?:urlset|sitemapindex)>\s*$")
_MAX_SITEMAP_BYTES = 64 * 1024 * 1024


def invalid(document: str, missing: str) -> PluginError:
    return PluginError(
        ErrorCode.INVALID_DATA, f"megakino {document}: missing {missing} (layout changed?)"
    )


def blocked_or_invalid(text: str, document: str, missing: str) -> PluginError:
    """``blocked`` for a token-gate/challenge page, else ``invalid_data`` naming ``missing``."""
    marker = challenge_marker(text)
    if marker is not None:
        return PluginError(
            ErrorCode.BLOCKED, f"megakino {document}: challenge/token page ({marker!r})"
        )
    return invalid(document, missing)


def sitemap_text(data: bytes, document: str) -> str:
    """The XML of a sitemap body, gunzipped when it is gzip (``.xml.gz`` children)."""
    if data[:2] != b"\x1f\x8b":
        return data.decode("utf-8", errors="replace")
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        xml = inflater.decompress(data, _MAX_SITEMAP_BYTES)
        if inflater.unconsumed_tail:
            raise invalid(document, f"a sitemap under {_MAX_SITEMAP_BYTES} bytes unpacked")
        if not inflater.eof:
            raise truncated(document)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise truncated(document) from exc
    return xml.decode("utf-8", errors="replace")


def truncated(document: str) -> PluginError:
    """A document cut off before its end: ``invalid_data`` with ``retry`` set (the next fetch
    may be whole)."""
    return PluginError(
        ErrorCode.INVALID_DATA, f"megakino {document}: document truncated", retry=True
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def path_of(loc: str) -> str:
    """The path (+ query) of a sitemap location, whatever mirror host it names."""
    parts = urlsplit(loc.strip())
    return parts.path + (f"?{parts.query}" if parts.query else "")


# ---- sitemaps -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SitemapEntry:
    site_id: int
    slug: str
    """The title's slug: a serial season post's slug without its season suffix."""
    kind: TitleKind
    path: str
    season: int | None = None
    """A serial season post's season (from the URL)."""


@dataclass(frozen=True, slots=True)
class Sitemap:
    kind: Literal["index", "urlset"]
    children: list[str] = field(default_factory=list)
    """Child sitemap paths (index)."""
    entries: list[SitemapEntry] = field(default_factory=list)
    """Title URLs (urlset)."""
    skipped: int = 0
    """Locations that are not title pages (static pages, categories …)."""


def title_entry(loc: str) -> SitemapEntry | None:
    path = path_of(loc)
    match = _TITLE_PATH.match(path)
    if match is None:
        return None
    slug = match.group(3)
    if match.group(1) == "films":
        return SitemapEntry(int(match.group(2)), slug, "movie", path)
    season_match = _SEASON_SLUG.match(slug)
    season = None
    if season_match is not None:
        slug = season_match.group(1)
        season = int(season_match.group(2) or season_match.group(3))
    return SitemapEntry(int(match.group(2)), slug, "series", path, season)


def parse_sitemap(xml: str, document: str) -> Sitemap:
    """A sitemap index (child paths) or a urlset (title entries), by its root element."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        if challenge_marker(xml) is not None:
            raise blocked_or_invalid(xml, document, "XML") from exc
        if not _CLOSED_ROOT.search(xml[-256:]):
            raise truncated(document) from exc
        raise invalid(document, f"well-formed XML ({exc})") from exc
    root_tag = _local(root.tag)
    if root_tag == "sitemapindex":
        children = [
            path_of(loc.text)
            for node in root
            if _local(node.tag) == "sitemap"
            for loc in node
            if _local(loc.tag) == "loc" and loc.text and loc.text.strip()
        ]
        if not children:
            raise invalid(document, "<sitemap><loc> children")
        return Sitemap("index", children=children)
    if root_tag != "urlset":
        raise invalid(document, "<sitemapindex> or <urlset> root")
    entries: list[SitemapEntry] = []
    skipped = 0
    seen: set[int] = set()
    for node in root:
        if _local(node.tag) != "url":
            continue
        loc = next((c.text for c in node if _local(c.tag) == "loc" and c.text), None)
        entry = title_entry(loc) if loc else None
        if entry is None:
            skipped += 1
        elif entry.site_id not in seen:
            seen.add(entry.site_id)
            entries.append(entry)
    return Sitemap("urlset", entries=entries, skipped=skipped)


# ---- posts ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PostInfo:
    title: str
    """The title without a season suffix, entities decoded."""
    original_title: str | None
    year: int | None
    season: int | None
    """A serial post's season (from its ``h1``, else its URL); None for a film."""
    episodes: list[int] = field(default_factory=list)
    """A serial post's episode numbers."""
    siblings: list[str] = field(default_factory=list)
    """Paths of the serial's other season posts (its season select)."""


def _text(node: LexborNode | None) -> str:
    return " ".join(node.text().split()) if node is not None else ""


def parse_post(html: str, entry: SitemapEntry) -> PostInfo:
    """A film post or a serial season post (which one is the URL's folder)."""
    document = f"post {entry.path!r}"
    if "</html>" not in html[-4096:].lower():
        if challenge_marker(html) is not None:
            raise blocked_or_invalid(html, document, "h1")
        raise truncated(document)
    tree = LexborHTMLParser(html)
    main = tree.css_first(".page__subcol-main")
    heading = _text(main.css_first("h1") if main is not None else tree.css_first("h1"))
    if not heading:
        raise blocked_or_invalid(html, document, "h1 title (.page__subcol-main h1)")
    scope = main if main is not None else tree.root
    original = _text(scope.css_first(".pmovie__original-title") if scope is not None else None)
    year = _year(tree)
    if entry.kind == "movie":
        if tree.css_first(".pmovie__player") is None:
            raise blocked_or_invalid(html, document, "film player .pmovie__player")
        return PostInfo(heading, original or None, year, None)
    match = _SEASON_H1.match(heading)
    title = match.group(1).strip() if match else heading
    season = int(match.group(2) or match.group(3)) if match else entry.season
    if season is None:
        raise invalid(document, "season number ('X - Staffel N' title or URL)")
    episodes: set[int] = set()
    for select in tree.css("select[name='pmovie__select-items']"):
        found = _EP_ID.match((select.attributes.get("id") or "").strip())
        if found:
            episodes.add(int(found.group(1)))
    if not episodes:
        raise blocked_or_invalid(html, document, "episode hoster selects select#ep<N>")
    siblings: list[str] = []
    for option in tree.css(".pmovie__player select option[value]"):
        sibling = title_entry(option.attributes.get("value") or "")
        if sibling is not None and sibling.kind == "series" and sibling.path != entry.path:
            siblings.append(sibling.path)
    return PostInfo(title, original or None, year, season, sorted(episodes), siblings)


def _year(tree: LexborHTMLParser) -> int | None:
    box = tree.css_first(".pmovie__year")
    if box is not None:
        for anchor in box.css("a[href*='/year/']"):
            found = _YEAR.search(anchor.attributes.get("href") or "")
            if found:
                return int(found.group(1))
        spans = box.css("span")
        if len(spans) >= 2:
            found = _YEAR.search(_text(spans[1]))
            if found:
                return int(found.group(1))
    created = tree.css_first("[itemprop=dateCreated]")
    found = _YEAR.search(_text(created)) if created is not None else None
    return int(found.group(1)) if found else None


# ---- search results -----------------------------------------------------------------------
def parse_search_results(html: str, document: str) -> list[SitemapEntry]:
    """Title links of a DLE search answer (``#dle-content``; no results is an empty list)."""
    if "</html>" not in html[-4096:].lower():
        raise truncated(document)
    tree = LexborHTMLParser(html)
    content = tree.css_first("#dle-content")
    if content is None:
        raise blocked_or_invalid(html, document, "search results #dle-content")
    found: dict[int, SitemapEntry] = {}
    for anchor in content.css("a[href]"):
        entry = title_entry(anchor.attributes.get("href") or "")
        if entry is not None:
            found.setdefault(entry.site_id, entry)
    return list(found.values())
