"""Parsers of AniWorld-style pages (pure functions over HTML text; no I/O).

See :mod:`anibridge_like.providers.aniworld` for the page structure and the cursor format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import (
    FILM_SEASON,
    Episode,
    Language,
    TitleItem,
    episode_kind,
)
from anibridge_like.providers.http import challenge_marker

FLAG_LANGUAGES: dict[str, Language] = {
    "german.svg": Language.GERMAN_DUB,
    "japanese-german.svg": Language.GERMAN_SUB,
    "japanese-english.svg": Language.ENGLISH_SUB,
    "english.svg": Language.ENGLISH_DUB,
    "japanese.svg": Language.JAPANESE,
}
_SERIES_HREF = re.compile(r"(?:^|/)anime/stream/([^/?#\s]+)/?$")
_CONTAINER = re.compile(r"""id\s*=\s*["']?seriesContainer\b""")
_SEASON_HREF = re.compile(r"/(?:staffel-(\d+)|(filme))/?$")
_NUMBER_HREF = re.compile(r"/(?:episode|film)-(\d+)/?$")
_YEAR = re.compile(r"\b(\d{4})\b")
_IMDB = re.compile(r"\b(tt\d{5,})\b")
_END = re.compile(r"</html\s*>\s*$", re.IGNORECASE)


def invalid(what: str, where: str, html: str = "") -> PluginError:
    """``invalid_data`` naming the missing part, or ``blocked`` when ``html`` is a captcha page."""
    marker = challenge_marker(html)
    if marker is not None:
        return PluginError(ErrorCode.BLOCKED, f"{where}: challenge page ({marker}), {what}")
    return PluginError(ErrorCode.INVALID_DATA, f"{where}: {what}")


def section_rank(section: str) -> tuple[int, str]:
    """Page order of letter sections: non-letters first, then A–Z."""
    return (1, section) if len(section) == 1 and section.isalpha() else (0, section)


def parse_cursor(cursor: str | None) -> tuple[str, int] | None:
    if not cursor:
        return None
    section, sep, index = cursor.rpartition(":")
    if not sep or not index.isdigit():
        raise PluginError(ErrorCode.INVALID_DATA, f"bad listing cursor {cursor!r}", retry=False)
    return section, int(index)


def _item_from_anchor(node: LexborNode) -> TitleItem | None:
    match = _SERIES_HREF.search(node.attributes.get("href") or "")
    if match is None:
        return None
    title = " ".join(node.text().split())
    alt = node.attributes.get("data-alternative-title") or ""
    aliases = tuple(dict.fromkeys(a.strip() for a in alt.split(",") if a.strip()))
    return TitleItem(slug=match.group(1), title=title or match.group(1), aliases=aliases)


class AlphabetStream:
    """Incremental parser of the alphabet page (feed text chunks, then :meth:`close`).

    Emits the titles at or after ``cursor``; :attr:`cursor` is always where the next unseen title
    sits, so an interrupted read can be resumed exactly.
    """

    def __init__(self, cursor: str | None = None, where: str = "alphabet page") -> None:
        self._resume = parse_cursor(cursor)
        self._where = where
        self._buf = ""
        self._in_container = False
        self._section = ""
        self._index = 0
        self._tail = ""
        self._head = ""
        self.anchors = 0
        """Series anchors seen (skipped ones included)."""
        self.emitted = 0

    @property
    def cursor(self) -> str:
        if self._resume is not None and (
            section_rank(self._section) < section_rank(self._resume[0])
            or (self._section == self._resume[0] and self._index < self._resume[1])
        ):
            return f"{self._resume[0]}:{self._resume[1]}"
        return f"{self._section}:{self._index}"

    def feed(self, chunk: str) -> list[TitleItem]:
        if len(self._head) < 8192:
            self._head += chunk[: 8192 - len(self._head)]
        self._tail = (self._tail + chunk)[-64:]
        self._buf += chunk
        if not self._in_container:
            match = _CONTAINER.search(self._buf)
            if match is None:
                self._buf = self._buf[-64:]
                return []
            self._in_container = True
            self._buf = self._buf[match.end() :]
            self._buf = self._buf[self._buf.find(">") + 1 :]
        cut = max(self._buf.rfind("</li>") + 5, self._buf.rfind("</h3>") + 5)
        if cut < 5:
            return []
        fragment, self._buf = self._buf[:cut], self._buf[cut:]
        return self._parse(fragment)

    def close(self) -> list[TitleItem]:
        """Parse what is left; raise when the page was truncated or had no listing."""
        if not self._in_container:
            raise invalid("#seriesContainer missing (layout changed?)", self._where, self._head)
        if not _END.search(self._tail):
            raise PageTruncated()
        items = self._parse(self._buf)
        self._buf = ""
        if self.anchors == 0:
            raise invalid("no /anime/stream/<slug> anchors in #seriesContainer", self._where)
        return items

    def _parse(self, fragment: str) -> list[TitleItem]:
        if "<" not in fragment:
            return []
        out: list[TitleItem] = []
        for node in LexborHTMLParser(fragment).css("h3, li > a"):
            if node.tag == "h3":
                self._section = " ".join(node.text().split())
                self._index = 0
                continue
            item = _item_from_anchor(node)
            if item is None:
                continue
            self.anchors += 1
            index = self._index
            self._index += 1
            if self._resume is not None:
                rank, resume_rank = section_rank(self._section), section_rank(self._resume[0])
                if rank < resume_rank or (rank == resume_rank and index < self._resume[1]):
                    continue
            out.append(item)
        self.emitted += len(out)
        return out


class PageTruncated(Exception):
    """The alphabet page ended before ``</html>``."""


def parse_alphabet(html: str, cursor: str | None = None) -> list[TitleItem]:
    """Parse a whole alphabet page at once (the non-streaming path; same rules)."""
    stream = AlphabetStream(cursor)
    items = stream.feed(html)
    try:
        items += stream.close()
    except PageTruncated:
        raise invalid("page truncated (no </html>)", "alphabet page") from None
    return items


@dataclass(frozen=True, slots=True)
class SeriesPage:
    title: str
    aliases: tuple[str, ...]
    year: int | None
    imdb: str | None
    seasons: dict[int, str]
    """Season number (``FILM_SEASON`` for films) → path of its page, in nav order."""
    active: int | None
    episodes: list[Episode]
    """Rows of the season table embedded in the page (the active season)."""


def _require_complete(html: str, where: str) -> None:
    if not _END.search(html[-256:]):
        error = invalid("page truncated (no </html>)", where)
        if error.code is ErrorCode.INVALID_DATA:
            error.retry = True  # cut off in transit: the next fetch may be whole
        raise error


def _season_of_href(href: str) -> int | None:
    match = _SEASON_HREF.search(href)
    if match is None:
        return None
    return FILM_SEASON if match.group(2) else int(match.group(1))


def parse_episode_table(
    tree: LexborHTMLParser, season: int, where: str, html: str = ""
) -> list[Episode]:
    table = tree.css_first("table.seasonEpisodesList")
    if table is None:
        raise invalid("table.seasonEpisodesList missing (layout changed?)", where, html)
    rows = table.css('tr[itemtype*="schema.org/Episode"]')
    if not rows and table.css("tbody tr"):
        raise invalid("episode rows lack itemtype=schema.org/Episode", where)
    episodes: list[Episode] = []
    for position, row in enumerate(rows, start=1):
        number: int | None = None
        meta = row.css_first('meta[itemprop="episodeNumber"]')
        content = (meta.attributes.get("content") or "").strip() if meta is not None else ""
        if content.isdigit():
            number = int(content)
        else:
            for link in row.css("a[href]"):
                match = _NUMBER_HREF.search(link.attributes.get("href") or "")
                if match:
                    number = int(match.group(1))
                    break
        if number is None:
            raise invalid(f"row {position}: no episodeNumber meta and no episode link", where)
        titles: dict[str, str] = {}
        cell = row.css_first("td.seasonEpisodeTitle")
        if cell is not None:
            for tag, lang in (("strong", "de"), ("span", "en")):
                node = cell.css_first(tag)
                text = " ".join(node.text().split()) if node is not None else ""
                if text:
                    titles[lang] = text
        languages: set[Language] = set()
        for img in row.css("td.editFunctions img.flag, td.editFunctions img"):
            src = (img.attributes.get("src") or "").rsplit("/", 1)[-1].split("?", 1)[0]
            if src in FLAG_LANGUAGES:
                languages.add(FLAG_LANGUAGES[src])
        episodes.append(
            Episode(
                season=season,
                number=number,
                kind=episode_kind(season),
                titles=titles,
                languages=frozenset(languages),
            )
        )
    return episodes


def parse_series_page(html: str, where: str) -> SeriesPage:
    _require_complete(html, where)
    tree = LexborHTMLParser(html)
    heading = tree.css_first(".series-title h1") or tree.css_first('h1[itemprop="name"]')
    name_node = heading.css_first("span") if heading is not None else None
    title = " ".join(name_node.text().split()) if name_node is not None else ""
    if heading is None or not title:
        raise invalid("series title (.series-title h1 span) missing", where, html)
    alt = heading.attributes.get("data-alternativetitles") or ""
    aliases = tuple(dict.fromkeys(a.strip() for a in alt.split(",") if a.strip()))
    year = None
    start = tree.css_first('[itemprop="startDate"]')
    if start is not None and (match := _YEAR.search(start.text())):
        year = int(match.group(1))
    imdb = None
    imdb_link = tree.css_first("a.imdb-link")
    if imdb_link is not None:
        raw = (imdb_link.attributes.get("data-imdb") or "") + " "
        raw += imdb_link.attributes.get("href") or ""
        if match := _IMDB.search(raw):
            imdb = match.group(1)
    nav = tree.css_first("#stream")
    if nav is None:
        raise invalid("season navigation #stream missing (layout changed?)", where, html)
    seasons: dict[int, str] = {}
    active: int | None = None
    for link in nav.css("a[href]"):
        href = link.attributes.get("href") or ""
        season = _season_of_href(href)
        if season is None or season in seasons:
            continue
        seasons[season] = href
        if "active" in (link.attributes.get("class") or "").split():
            active = season
    episodes: list[Episode] = []
    if active is not None:
        episodes = parse_episode_table(tree, active, where)
    return SeriesPage(title, aliases, year, imdb, seasons, active, episodes)


def parse_season_page(html: str, season: int, where: str) -> list[Episode]:
    _require_complete(html, where)
    return parse_episode_table(LexborHTMLParser(html), season, where, html)
