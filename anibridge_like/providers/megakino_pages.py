"""Parsers of megakino-style documents (a DataLife-Engine movie/series site), pure functions.

======================================  ===================================================
document                                what is read (required parts in **bold**)
======================================  ===================================================
``/sitemap.xml`` (sitemap index)        **``<sitemapindex>``** with **``<sitemap><loc>``**
                                        children (a plain ``<urlset>`` is accepted too)
child sitemap                           **``<urlset>``**; ``<url><loc>`` entries of the form
                                        ``/films/<id>-<slug>.html`` or
                                        ``/serials/<id>-<slug>.html`` (other URLs are skipped)
title page (film or serial)             **``h1`` title**; year (``.pmovie__year``), aliases
                                        (``.pmovie__alt li``), English title
                                        (``.pmovie__subtitle``), IMDb link; a film's
                                        **player block** ``.pmovie__player`` with
                                        ``[data-language-label]`` tabs; a serial's
                                        **``#seasons``** with ``.season[data-season]`` >
                                        ``.episode[data-episode]`` items (titles, languages)
======================================  ===================================================

Locations are reduced to their path: the site hops between mirror domains and its sitemaps may
name any of them, while requests always go to the configured base URL. A missing required part
raises ``invalid_data`` naming it; a document cut off in transit raises ``invalid_data`` with
``retry`` set (the next fetch may be whole).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import FILM_SEASON, Language, TitleKind
from anibridge_like.providers.language_labels import language_from_label

_TITLE_PATH = re.compile(r"^/(films|serials)/(\d+)-([^/?#]+?)\.html$")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_IMDB = re.compile(r"\b(tt\d{5,10})\b")
_CLOSED_ROOT = re.compile(r"</(?:\w+:)?(?:urlset|sitemapindex)>\s*$")


def invalid(document: str, missing: str) -> PluginError:
    return PluginError(
        ErrorCode.INVALID_DATA, f"megakino {document}: missing {missing} (layout changed?)"
    )


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
    kind: TitleKind
    path: str


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
    kind: TitleKind = "movie" if match.group(1) == "films" else "series"
    return SitemapEntry(int(match.group(2)), match.group(3), kind, path)


def parse_sitemap(xml: str, document: str) -> Sitemap:
    """A sitemap index (child paths) or a urlset (title entries), by its root element."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
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


# ---- title page ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PageEpisode:
    season: int
    number: int
    titles: dict[str, str]
    languages: frozenset[Language]


@dataclass(frozen=True, slots=True)
class TitlePageInfo:
    title: str
    year: int | None
    aliases: tuple[str, ...]
    english_title: str | None
    episodes: list[PageEpisode]
    external_ids: dict[str, str]
    unknown_languages: tuple[str, ...]


def _text(node: LexborNode | None) -> str:
    return " ".join(node.text().split()) if node is not None else ""


class _Languages:
    def __init__(self) -> None:
        self.unknown: dict[str, None] = {}

    def of(self, node: LexborNode) -> frozenset[Language]:
        found: set[Language] = set()
        for tab in node.css("[data-language-label], [data-language-id]"):
            label = tab.attributes.get("data-language-label")
            language_id = tab.attributes.get("data-language-id")
            language = language_from_label(label, language_id)
            if language is None:
                self.unknown.setdefault(f"{label or ''}#{language_id or ''}", None)
            else:
                found.add(language)
        return frozenset(found)


def parse_title_page(html: str, path: str, kind: TitleKind) -> TitlePageInfo:
    """A film or serial page: title, year, aliases, ids and its episodes (a film: one, under
    ``FILM_SEASON``)."""
    document = f"title page {path!r}"
    if "</html>" not in html[-4096:].lower():
        raise truncated(document)
    tree = LexborHTMLParser(html)
    title = _text(tree.css_first("h1[itemprop=name]")) or _text(tree.css_first("h1"))
    if not title:
        raise invalid(document, "h1 title")
    year = None
    found_year = _YEAR.search(_text(tree.css_first(".pmovie__year")))
    if found_year:
        year = int(found_year.group(1))
    english = _text(tree.css_first(".pmovie__subtitle")) or None
    aliases = tuple(dict.fromkeys(a for a in map(_text, tree.css(".pmovie__alt li")) if a))
    external: dict[str, str] = {}
    for anchor in tree.css("a[href*='imdb.com/title/']"):
        imdb = _IMDB.search(anchor.attributes.get("href") or "")
        if imdb:
            external["imdb"] = imdb.group(1)
            break
    languages = _Languages()
    if kind == "movie":
        player = tree.css_first(".pmovie__player")
        if player is None:
            raise invalid(document, "film player block .pmovie__player")
        titles = {"de": title} | ({"en": english} if english else {})
        episodes = [PageEpisode(FILM_SEASON, 1, titles, languages.of(player))]
    else:
        episodes = _serial_episodes(tree, document, languages)
    return TitlePageInfo(
        title, year, aliases, english, episodes, external, tuple(languages.unknown)
    )


def _serial_episodes(
    tree: LexborHTMLParser, document: str, languages: _Languages
) -> list[PageEpisode]:
    block = tree.css_first("#seasons")
    if block is None:
        raise invalid(document, "season block #seasons")
    episodes: dict[tuple[int, int], PageEpisode] = {}
    for season_node in block.css(".season[data-season]"):
        raw_season = (season_node.attributes.get("data-season") or "").strip()
        if raw_season == "filme":
            season = FILM_SEASON
        elif raw_season.lstrip("-").isdigit():
            season = int(raw_season)
        else:
            continue
        for item in season_node.css(".episode[data-episode]"):
            raw_number = (item.attributes.get("data-episode") or "").strip()
            if not raw_number.isdigit():
                continue
            titles: dict[str, str] = {}
            for lang in ("de", "en"):
                name = _text(item.css_first(f".ep-title[lang={lang}]"))
                if name:
                    titles[lang] = name
            key = (season, int(raw_number))
            episodes.setdefault(key, PageEpisode(key[0], key[1], titles, languages.of(item)))
    if not episodes:
        raise invalid(document, "episodes .season[data-season] .episode[data-episode]")
    return [episodes[k] for k in sorted(episodes)]


# ---- search results -----------------------------------------------------------------------
def parse_search_results(html: str, document: str) -> list[SitemapEntry]:
    """Title links of a DLE search answer (``#dle-content``; no results is an empty list)."""
    if "</html>" not in html[-4096:].lower():
        raise truncated(document)
    tree = LexborHTMLParser(html)
    content = tree.css_first("#dle-content")
    if content is None:
        raise invalid(document, "search results #dle-content")
    found: dict[int, SitemapEntry] = {}
    for anchor in content.css("a[href]"):
        entry = title_entry(anchor.attributes.get("href") or "")
        if entry is not None:
            found.setdefault(entry.site_id, entry)
    return list(found.values())
