"""Search semantics: which libraries, which ids, which text, in which order of attempts.

- ``t=search`` serves series and movie libraries, ``t=tvsearch`` series/anime ones, ``t=movie``
  movie ones (203 when the request can see no library of that kind); ``cat=`` narrows libraries.
- Ids (tvdbid, imdbid, tmdbid) identify the series together: the highest-priority id that
  resolves in scope wins (tvdb > imdb > tmdb), they are not an AND filter. ``q`` holding only a
  number is then an absolute episode (Sonarr anime). An id that resolves nothing falls back to a
  text search on ``q`` when there is one. ``rid``/``tvmazeid`` alone find nothing.
- Text is folded (accents, case, apostrophes, ``&``/``and``, leading "The") and matched per word as
  an FTS5 prefix. A trailing number is tried first as an absolute episode (``Title 05``) or, for
  movies, a year (``Title 2019``), then as part of the title; a trailing ``S01E05`` sets the
  numbering.
- No q and no ids: the newest releases (the clients' Test button and RSS sync).
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass

import aiosqlite

from anibridge_like.storage.database import run_sync
from anibridge_like.sync.priority import wanted_titles
from anibridge_like.torznab import feed
from anibridge_like.torznab.access import Library
from anibridge_like.torznab.caps import category_matches, served_categories, with_parents
from anibridge_like.torznab.errors import CatalogNotReady, NewznabCode, NewznabError
from anibridge_like.torznab.naming import Hit, build_release
from anibridge_like.torznab.params import Params
from anibridge_like.torznab.query import LOOSE, Query, allowed_for, fetch_scope
from anibridge_like.torznab.render import Release
from anibridge_like.torznab.sources import id_titles, rss_titles, text_titles
from anibridge_like.torznab.textmatch import LATIN_DIACRITICS

_STOP_WORDS = frozenset({"the", "and", "a", "an"})
_DROP = str.maketrans({"'": None, "’": None, "`": None, "´": None, ".": None})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SXXEYY = re.compile(r"s(\d{1,4})(?:e(\d{1,5}))?")
MAX_WORDS = 8
MIN_PREFIX = 3


def fold_words(text: str) -> list[str]:
    """Words of a title or query as the index compares them."""
    decomposed = unicodedata.normalize("NFKD", text.replace("&", " and "))
    # only the marks the index's tokenizer removes (remove_diacritics): the kana voicing
    # marks are part of the letter there (ダ stays ダ), so they stay here too
    stripped = unicodedata.normalize("NFC", LATIN_DIACRITICS.sub("", decomposed))
    return _WORD.findall(stripped.casefold().translate(_DROP))


def match_expression(words: Sequence[str]) -> str | None:
    """FTS5 expression: every (non stop-) word of three letters or more as a prefix, shorter
    ones whole; ``dragons`` also finds ``dragon`` (clients drop apostrophes: "Dragon's" arrives
    as "Dragons")."""
    kept = [w for w in words if w not in _STOP_WORDS]
    if not kept:  # only stop words ("the", "a"): whole words, never a prefix scan
        return " AND ".join(f'"{w}"' for w in words[:MAX_WORDS]) or None
    parts = []
    for word in kept[:MAX_WORDS]:
        if len(word) >= 4 and word.endswith("s") and not word.isdigit():
            parts.append(f'("{word}"* OR "{word[:-1]}")')
        elif len(word) < MIN_PREFIX:
            parts.append(f'"{word}"')  # "v", "ii": whole words; as prefixes they match all
        else:
            parts.append(f'"{word}"*')
    return " AND ".join(parts) or None


@dataclass(frozen=True, slots=True)
class TextAttempt:
    match: str
    season: int | None = None
    episode: int | None = None
    absolute: int | None = None
    years: tuple[int, int] | None = None


def text_attempts(q: str, params: Params, series: bool, movies: bool) -> list[TextAttempt]:
    words = fold_words(q)
    season, episode = params.season, params.ep
    if words and season is None and episode is None:
        tail = _SXXEYY.fullmatch(words[-1])
        if tail is not None and len(words) > 1:
            words = words[:-1]
            season = int(tail.group(1))
            episode = int(tail.group(2)) if tail.group(2) else None
    attempts: list[TextAttempt] = []
    if len(words) > 1 and words[-1].isdigit() and len(words[-1]) <= 4:
        number, rest = int(words[-1]), match_expression(words[:-1])
        if rest is not None:
            if movies and len(words[-1]) == 4 and 1900 <= number <= 2099:
                attempts.append(TextAttempt(rest, season, episode, years=(number - 1, number + 1)))
            elif series and season is None and episode is None and len(words[-1]) >= 2:
                attempts.append(TextAttempt(rest, absolute=number))
    whole = match_expression(words)
    if whole is not None:
        attempts.append(TextAttempt(whole, season, episode))
    return attempts


def _kinds(t: str) -> set[str]:
    return {"tvsearch": {"series"}, "movie": {"movie"}}.get(t, {"series", "movie"})


def _releases(hits: list[tuple[Hit, int]], libraries: Sequence[Library]) -> list[Release]:
    categories = [with_parents(served_categories(lib)) for lib in libraries]
    anime = [lib.kind == "anime" for lib in libraries]
    return [build_release(hit, anime[index], categories[index]) for hit, index in hits]


def _search_rows(
    conn: sqlite3.Connection,
    libraries: Sequence[Library],
    params: Params,
    kinds: set[str],
    attempts: list[TextAttempt],
    wanted_since: str | None = None,
) -> list[tuple[Hit, int]]:
    """Every read of a request, run on the reader's thread (one hop, see ``thread.py``)."""
    scope = fetch_scope(conn, libraries)
    if not scope.ready:
        raise CatalogNotReady([lib.slug for lib in libraries])
    allowed = allowed_for(libraries, scope, kinds)
    if not allowed:
        return []
    if params.has_ids:
        q = params.q
        id_query = Query(
            allowed,
            params.limit,
            params.offset,
            tvdbid=params.tvdbid,
            imdbid=params.imdbid,
            tmdbid=params.tmdbid,
            season=params.season,
            episode=params.ep,
            absolute=int(q) if q is not None and q.isdigit() else None,
        )
        with id_titles(conn, id_query) as titles:
            by_id = feed.page(conn, id_query, titles)
        if by_id.found or not attempts:
            return by_id.hits
    elif not attempts:
        rss = Query(allowed, params.limit, params.offset, season=params.season, episode=params.ep)
        with rss_titles(conn, rss) as titles:
            if wanted_since is None:
                return feed.page(conn, rss, titles).hits
            slugs = [lib.slug for lib in libraries]
            with closing(wanted_titles(conn, slugs, wanted_since)) as wanted:
                return feed.wanted_first_page(conn, rss, titles, wanted, wanted_since).hits
    for attempt in attempts:
        query = Query(
            allowed,
            params.limit,
            params.offset,
            match=attempt.match,
            season=attempt.season,
            episode=attempt.episode,
            absolute=attempt.absolute,
            years=attempt.years,
            numbering=LOOSE,
        )
        with text_titles(conn, query) as titles:
            found = feed.page(conn, query, titles)
        if found.found:
            # a page past the end of a non-empty result stays empty: the next attempt must
            # not take over (pages of one search stay one result)
            return found.hits
    return []


async def search(
    conn: aiosqlite.Connection,
    visible: Sequence[Library],
    params: Params,
    wanted_since: str | None = None,
) -> list[Release]:
    """The page of releases a search/tvsearch/movie request answers with. With
    ``wanted_since``, the no-query feed puts newer releases of wanted titles first."""
    kinds = _kinds(params.t)
    if not any(lib.title_kind in kinds for lib in visible):
        raise NewznabError(NewznabCode.FUNCTION_NOT_AVAILABLE, f"t={params.t} in this library")
    libraries = [
        lib
        for lib in visible
        if lib.title_kind in kinds and category_matches(params.cat, served_categories(lib))
    ]
    if not libraries or params.daily:
        return []
    if params.has_foreign_ids and not params.has_ids and not params.q:
        return []
    q = params.q
    attempts: list[TextAttempt] = []
    if q is not None and not (params.has_ids and q.isdigit()):
        attempts = text_attempts(q, params, series="series" in kinds, movies="movie" in kinds)
    hits = await run_sync(conn, _search_rows, libraries, params, kinds, attempts, wanted_since)
    return _releases(hits, libraries)
