"""Parsers of s.to pages (Serienstream "v2" layout), pure functions of the HTML text.

The signals are the ones the parsers that read the live site key on (aniworld 4.x
``src/aniworld/models/s_to/{series,season,episode}.py``; AniBridge ``apps/api/app/providers/sto/
v2.py`` and ``apps/api/app/catalog/providers.py``): URL patterns first, then data attributes.

=====================================  ==================================================
page                                   what is read (required parts in **bold**)
=====================================  ==================================================
``/serien?by=alpha`` (listing)         **anchors to ``/serie/<slug>`` with the title as
                                       text** anywhere on the page (poster cards without
                                       text and commented-out entries are skipped),
                                       ``data-alternative-title`` (aliases)
``/serie/<slug>`` (series page)        **``h1`` title**, **season links**
                                       (``/serie/<slug>/staffel-N``, absolute or relative),
                                       year (``/jahr/YYYY`` link next to the title), IMDb
``/serie/<slug>/staffel-N`` (season)   **episode links** ``/serie/<slug>/staffel-N/episode-M``
                                       per row, German (``strong``) and English (``span``)
                                       titles, languages from the row's ``svg-flag-*`` flags;
                                       a season page (``link[rel=canonical]``) without any
                                       episode is an announced season (0 episodes)
``…/episode-M`` (episode page)         **player buttons** ``[data-play-url]`` with
                                       ``data-language-label`` / ``data-language-id`` (read
                                       only for rows whose season page shows no flags)
=====================================  ==================================================

A missing required part raises ``invalid_data`` naming it (a layout change must be loud, not an
empty catalog). A page that stops before ``</html>`` was truncated: a detail page raises
``invalid_data`` (with ``retry`` set: the next fetch may be whole); the listing keeps the entries
before the cut (:class:`Listing` ``complete=False``) so the provider can hand them on as
``partial``. Optional parts that are absent are simply left empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import structlog
from selectolax.lexbor import LexborHTMLParser, LexborNode

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import FILM_SEASON, Language, TitleItem
from anibridge_like.providers.language_labels import language_from_label

log = structlog.get_logger(__name__)

_HOST = r"(?:https?://[^/]+)?"
_SERIES_HREF = re.compile(_HOST + r"/serie/([^/?#]+)/?(?:[?#].*)?$")
_SEASON_HREF = re.compile(_HOST + r"/serie/([^/?#]+)/(?:staffel-(\d+)|(filme))/?(?:[?#].*)?$")
_EPISODE_HREF = re.compile(
    _HOST + r"/serie/([^/?#]+)/(?:staffel-(\d+)/episode-(\d+)|filme/film-(\d+))/?(?:[?#].*)?$"
)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_YEAR_HREF = re.compile(r"/jahr/(\d{4})/?$")
_FLAGS = {"svg-flag-german": Language.GERMAN_DUB, "svg-flag-english": Language.ENGLISH_DUB}
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_IMDB = re.compile(r"\b(tt\d{5,10})\b")


def invalid(page: str, missing: str) -> PluginError:
    return PluginError(ErrorCode.INVALID_DATA, f"s.to {page}: missing {missing} (layout changed?)")


def require_complete(html: str, page: str) -> None:
    """Raise ``invalid_data`` (retryable: the next fetch may be whole) when the document was cut
    off before ``</html>``."""
    if not is_complete(html):
        raise PluginError(
            ErrorCode.INVALID_DATA, f"s.to {page}: page truncated (no </html>)", retry=True
        )


def split_aliases(value: str | None, title: str) -> tuple[str, ...]:
    """Comma-separated ``data-alternative-title`` → distinct aliases, the title itself dropped."""
    if not value:
        return ()
    seen: dict[str, None] = {}
    for part in value.split(","):
        alias = " ".join(part.split())
        if alias and alias != title:
            seen.setdefault(alias, None)
    return tuple(seen)


def _text(node: LexborNode | None) -> str:
    return " ".join(node.text().split()) if node is not None else ""


# ---- listing ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Listing:
    items: list[TitleItem]
    complete: bool
    """False when the page stopped before ``</html>`` (an entry cut in half is not in ``items``)."""


def is_complete(html: str) -> bool:
    return "</html>" in html[-4096:].lower()


class ListingStream:
    """Incremental parser of the listing: feed text chunks as they arrive, then :meth:`close`.

    Only whole ``<li>`` entries are parsed (one small DOM per fragment), so a 100,000-title page
    never sits in memory as text or as a tree, and an entry cut off by a broken transfer is
    never emitted half-read. HTML comments are dropped before a fragment is cut (a
    commented-out entry never counts). Anchors without text (poster cards) are skipped. With
    ``after``, entries up to and including that slug are skipped (held back until :meth:`close`
    in case the slug is no longer on the page).
    """

    def __init__(self, after: str | None = None) -> None:
        self._after = after
        self._held: list[TitleItem] | None = [] if after is not None else None
        self._buf = ""
        self._tail = ""
        self._seen: set[str] = set()
        self.anchors = 0
        """Anchors to ``/serie/<slug>`` read (held back, duplicate and untitled ones included)."""
        self.untitled = 0

    def feed(self, chunk: str) -> list[TitleItem]:
        self._tail = (self._tail + chunk)[-4096:]
        self._buf += chunk
        if "<!--" in self._buf:
            self._buf = _COMMENT.sub("", self._buf)
        opened = self._buf.find("<!--")
        limit = len(self._buf) if opened < 0 else opened
        cut = self._buf.rfind("</li>", 0, limit)
        if cut < 0:
            return []
        fragment, self._buf = self._buf[: cut + 5], self._buf[cut + 5 :]
        return self._parse(fragment)

    def close(self) -> Listing:
        """The entries after the last fed chunk; raises ``invalid_data`` without a listing."""
        complete = is_complete(self._tail)
        items = self._parse(_COMMENT.sub("", self._buf)) if complete else []
        self._buf = ""
        if self._held:  # ``after`` never showed up: nothing may be skipped
            items = self._held + items
        self._held = None
        if self.anchors == self.untitled:
            where = "anchors to /serie/<slug> with a title"
            raise invalid("listing", where if complete else f"{where} (truncated)")
        return Listing(items, complete)

    def _parse(self, fragment: str) -> list[TitleItem]:
        if "/serie/" not in fragment:
            return []
        out: list[TitleItem] = []
        for anchor in LexborHTMLParser(fragment).css("a[href]"):
            match = _SERIES_HREF.match(anchor.attributes.get("href") or "")
            if match is None:
                continue
            self.anchors += 1
            slug = match.group(1)
            title = _text(anchor)
            if not title:
                self.untitled += 1  # a poster card: the list further down names it
                continue
            if slug in self._seen:
                continue
            self._seen.add(slug)
            aliases = split_aliases(anchor.attributes.get("data-alternative-title"), title)
            item = TitleItem(slug=slug, title=title, kind="series", aliases=aliases)
            if self._held is None:
                out.append(item)
            elif slug == self._after:
                self._held = None  # found: everything after it is new
            else:
                self._held.append(item)
        return out


def parse_listing(html: str, after: str | None = None) -> Listing:
    """Titles of a whole listing page in page order (slugs de-duplicated), starting after the
    entry with slug ``after`` when it is on the page (else from the start)."""
    stream = ListingStream(after)
    items = stream.feed(html)
    listing = stream.close()
    return Listing(items + listing.items, listing.complete)


# ---- series page --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SeasonLink:
    season: int
    """Site season number; ``FILM_SEASON`` for the films page."""
    path: str


@dataclass(frozen=True, slots=True)
class SeriesPage:
    title: str
    year: int | None
    aliases: tuple[str, ...]
    seasons: list[SeasonLink]
    external_ids: dict[str, str] = field(default_factory=dict)


def _header(tree: LexborHTMLParser) -> LexborNode | None:
    """The block around the ``h1`` (title, year, FSK, IMDb), excluding similar-title cards."""
    h1 = tree.css_first("h1")
    node = h1.parent if h1 is not None else None
    for _ in range(3):
        if node is None or node.css_first("a[href*='/jahr/']") is not None:
            return node
        node = node.parent
    return h1.parent if h1 is not None else None


def parse_series_page(html: str, slug: str) -> SeriesPage:
    require_complete(html, f"series page {slug!r}")
    tree = LexborHTMLParser(html)
    title = _text(tree.css_first("h1"))
    if not title:
        raise invalid(f"series page {slug!r}", "h1 title")
    seasons: dict[int, SeasonLink] = {}
    for anchor in tree.css("a[href]"):
        href = anchor.attributes.get("href") or ""
        match = _SEASON_HREF.match(href)
        if match is None or match.group(1) != slug:
            continue
        season = FILM_SEASON if match.group(3) else int(match.group(2))
        path = (
            f"/serie/{slug}/filme" if season == FILM_SEASON else f"/serie/{slug}/staffel-{season}"
        )
        seasons.setdefault(season, SeasonLink(season, path))
    if not seasons:
        raise invalid(f"series page {slug!r}", f"season links /serie/{slug}/staffel-N")
    header = _header(tree)
    year = None
    external: dict[str, str] = {}
    if header is not None:
        for anchor in header.css("a[href]"):
            href = anchor.attributes.get("href") or ""
            found = _YEAR_HREF.search(href)
            if found and year is None:
                year = int(found.group(1))
            imdb = _IMDB.search(href) if "imdb.com/title/" in href else None
            if imdb and "imdb" not in external:
                external["imdb"] = imdb.group(1)
    alt = tree.css_first("[data-alternative-title]")
    aliases = split_aliases(alt.attributes.get("data-alternative-title") if alt else None, title)
    ordered = sorted(seasons.values(), key=lambda s: (s.season == FILM_SEASON, s.season))
    return SeriesPage(title, year, aliases, ordered, external)


# ---- season page --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EpisodeLink:
    season: int
    number: int
    path: str
    titles: dict[str, str]
    languages: frozenset[Language] | None = None
    """From the row's flags; ``None`` when the row shows none (read the episode page)."""


def parse_season_page(html: str, slug: str, season: int) -> list[EpisodeLink]:
    """Episode rows of one season page (``season`` = the page's site season number).

    A page that is this season's page (its ``link[rel=canonical]`` names it) but lists no
    episode is an announced season and yields ``[]``; any other page without episode links
    raises ``invalid_data``.
    """
    label = "filme" if season == FILM_SEASON else season
    page = f"season page {slug!r} {label}"
    require_complete(html, page)
    tree = LexborHTMLParser(html)
    found: dict[int, EpisodeLink] = {}
    for anchor in tree.css("a[href]"):
        match = _EPISODE_HREF.match(anchor.attributes.get("href") or "")
        if match is None or match.group(1) != slug:
            continue
        if match.group(4) is not None:
            link_season, number = FILM_SEASON, int(match.group(4))
            path = f"/serie/{slug}/filme/film-{number}"
        else:
            link_season, number = int(match.group(2)), int(match.group(3))
            path = f"/serie/{slug}/staffel-{link_season}/episode-{number}"
        if link_season != season or number in found:
            continue
        row = _row(anchor)
        titles, languages = _row_titles(row), _row_flags(row)
        found[number] = EpisodeLink(season, number, path, titles, languages)
    if not found:
        canonical = tree.css_first("link[rel=canonical]")
        target = _SEASON_HREF.match((canonical.attributes.get("href") or "") if canonical else "")
        this = f"staffel-{season}" if season != FILM_SEASON else "filme"
        if target is None or target.group(1) != slug or this not in target.group(0):
            expected = "filme/film-M" if season == FILM_SEASON else f"staffel-{season}/episode-M"
            raise invalid(page, f"episode links /serie/{slug}/{expected}")
        return []
    return [found[n] for n in sorted(found)]


def _row(anchor: LexborNode) -> LexborNode | None:
    row: LexborNode | None = anchor
    while row is not None and row.tag != "tr":
        row = row.parent
    return row


def _row_titles(row: LexborNode | None) -> dict[str, str]:
    if row is None:
        return {}
    titles: dict[str, str] = {}
    de = _text(row.css_first("strong"))
    en = _text(row.css_first("span"))
    if de:
        titles["de"] = de
    if en:
        titles["en"] = en
    return titles


def _row_flags(row: LexborNode | None) -> frozenset[Language] | None:
    if row is None:
        return None
    found: set[Language] = set()
    flagged = False
    for node in row.css("[class*='svg-flag-']"):
        flagged = True
        for cls in (node.attributes.get("class") or "").split():
            language = _FLAGS.get(cls)
            if language is not None:
                found.add(language)
    return frozenset(found) if flagged and found else None


# ---- episode page -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EpisodeLanguages:
    languages: frozenset[Language]
    unknown: tuple[str, ...]
    """Labels (or ids) the vocabulary does not know; logged by the caller and skipped."""


def parse_episode_page(html: str, path: str) -> EpisodeLanguages:
    """Languages offered by an episode page's player buttons."""
    require_complete(html, f"episode page {path!r}")
    tree = LexborHTMLParser(html)
    buttons = tree.css("[data-play-url]")
    if not buttons:
        raise invalid(f"episode page {path!r}", "player buttons [data-play-url]")
    languages: set[Language] = set()
    unknown: dict[str, None] = {}
    labelled = 0
    for button in buttons:
        label = button.attributes.get("data-language-label")
        language_id = button.attributes.get("data-language-id")
        if not label and not language_id:
            continue
        labelled += 1
        language = language_from_label(label, language_id)
        if language is None:
            unknown.setdefault(f"{label or ''}#{language_id or ''}", None)
        else:
            languages.add(language)
    if not labelled:
        raise invalid(f"episode page {path!r}", "data-language-label / data-language-id")
    return EpisodeLanguages(frozenset(languages), tuple(unknown))
