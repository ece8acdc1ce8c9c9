"""AniWorld-style fake site: alphabet page, series pages and season pages rendered from a
:class:`GeneratedCatalog`, in the real site's structure.

=====================================  =========================================================
path                                   page
=====================================  =========================================================
``/animes-alphabet``                   ``#seriesContainer`` with one ``h3`` per letter section and
                                       ``li > a[href=/anime/stream/<slug>]`` carrying
                                       ``data-alternative-title`` (aliases, comma separated);
                                       streamed in chunks, never built as one string
``/anime/stream/<slug>``               title, aliases, start year, IMDb link, the season nav
                                       (``#stream``) and the first season's episode table
``/anime/stream/<slug>/staffel-<n>``   one season (``staffel-0`` = specials)
``/anime/stream/<slug>/filme``         the films
=====================================  =========================================================

Episode rows are ``tr[itemtype="http://schema.org/Episode"]`` with ``meta[itemprop=episodeNumber]``
(film rows omit it, as optional parts may be missing), ``td.seasonEpisodeTitle`` with the German
title in ``strong`` and the English one in ``span``, and ``td.editFunctions img.flag`` language
flags. The ``layout`` fault renders a redesigned markup; ``drop_titles`` thins the listing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator, Iterable
from html import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from anibridge_like.demo.catalog import GenEpisode, GeneratedCatalog, GenTitle
from anibridge_like.demo.faults import FaultController, RenderFaults, render_faults
from anibridge_like.demo.sites import site_app
from anibridge_like.demo.sites.hoster_links import aniworld_hoster_list, aniworld_redirect
from anibridge_like.plugins.provider import FILM_SEASON, SPECIAL_SEASON, Language

FLAG_FILES: dict[Language, tuple[str, str]] = {
    Language.GERMAN_DUB: ("german.svg", "Deutsch/German"),
    Language.GERMAN_SUB: ("japanese-german.svg", "Mit deutschem Untertitel"),
    Language.ENGLISH_SUB: ("japanese-english.svg", "Mit englischem Untertitel"),
    Language.ENGLISH_DUB: ("english.svg", "Englisch"),
    Language.JAPANESE: ("japanese.svg", "Japanisch"),
}
_LANG_ORDER = list(FLAG_FILES)
_HOSTERS = ("VOE", "Filemoon", "Vidmoly", "Streamtape", "Doodstream")
_CHUNK_TITLES = 256


def section_of(title: str) -> str:
    """Letter section of a title on the alphabet page: ``A``–``Z``, ``0-9`` or ``#``."""
    folded = unicodedata.normalize("NFKD", title[:4]).encode("ascii", "ignore").decode("ascii")
    first = folded[:1].upper()
    if first.isalpha():
        return first
    if first.isdigit():
        return "0-9"
    return "#"


def _section_sort_key(section: str) -> tuple[int, str]:
    return (1, section) if len(section) == 1 and section.isalpha() else (0, section)


def alphabet_order(catalog: GeneratedCatalog) -> list[tuple[str, list[int]]]:
    """The catalog's titles grouped into letter sections, in page order."""
    keyed: list[tuple[tuple[int, str], str, str, int]] = []
    for i in range(len(catalog)):
        slug, title, _aliases, _kind, _year = catalog.headline(i)
        section = section_of(title)
        keyed.append((_section_sort_key(section), title.casefold(), slug, i))
    keyed.sort()
    out: list[tuple[str, list[int]]] = []
    for key, _title, _slug, i in keyed:
        section = key[1]
        if not out or out[-1][0] != section:
            out.append((section, []))
        out[-1][1].append(i)
    return out


def _head(title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="de">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)} | AniWorld.to - Animes gratis online ansehen</title>\n"
        '<link rel="stylesheet" href="/public/css/style.css">\n</head>\n<body>\n'
        '<header class="main-header"><nav><a href="/" class="logo">AniWorld</a>'
        '<ul class="primary-navigation"><li><a href="/animes">Animes</a></li>'
        '<li><a href="/animes-alphabet">A-Z</a></li><li><a href="/beliebte-animes">Beliebt</a>'
        "</li></ul></nav></header>\n"
    )


_FOOT = (
    '<footer class="main-footer"><div class="container"><p>AniWorld.to &copy; 2026</p>'
    '<a href="/support">Support</a></div></footer>\n</body>\n</html>\n'
)


# ---- alphabet page ----------------------------------------------------------------------
def _alphabet_entry(catalog: GeneratedCatalog, i: int, layout: bool) -> str:
    slug, title, aliases, _kind, _year = catalog.headline(i)
    alt = escape(", ".join(aliases))
    name = escape(title)
    if layout:
        return f'<a class="entry" href="/anime/watch/{slug}" data-alt="{alt}">{name}</a>\n'
    return (
        f'<li><a href="/anime/stream/{slug}" data-alternative-title="{alt}" '
        f'title="{name} Stream anschauen">{name}</a></li>\n'
    )


async def _alphabet_chunks(
    catalog: GeneratedCatalog, order: list[tuple[str, list[int]]], faults: RenderFaults
) -> AsyncIterator[str]:
    yield _head("Animes von A-Z")
    if faults.layout:
        yield '<main class="catalog"><div id="catalogList" class="grid">\n'
    else:
        yield (
            '<div class="container"><section class="seriesListSection">'
            '<h2>Alle Animes von A-Z</h2>\n<div id="seriesContainer" class="row">\n'
        )
    for section, indices in order:
        kept = [i for i in indices if faults.keeps(i)]
        if not kept:
            continue
        if faults.layout:
            yield f'<div class="letterBlock"><h4>{escape(section)}</h4>\n'
        else:
            yield (
                f'<div class="genre"><div class="seriesGenreList"><h3>{escape(section)}</h3><ul>\n'
            )
        for start in range(0, len(kept), _CHUNK_TITLES):
            batch = kept[start : start + _CHUNK_TITLES]
            yield "".join(_alphabet_entry(catalog, i, faults.layout) for i in batch)
        yield "</div>\n" if faults.layout else "</ul></div></div>\n"
    yield "</div></main>\n" if faults.layout else "</div></section></div>\n"
    yield _FOOT


# ---- series and season pages -----------------------------------------------------------
def _season_path(slug: str, season: int) -> str:
    return (
        f"/anime/stream/{slug}/filme"
        if season == FILM_SEASON
        else (f"/anime/stream/{slug}/staffel-{season}")
    )


def _episode_path(slug: str, ep: GenEpisode) -> str:
    if ep.season == FILM_SEASON:
        return f"/anime/stream/{slug}/filme/film-{ep.number}"
    return f"/anime/stream/{slug}/staffel-{ep.season}/episode-{ep.number}"


def seasons_of(title: GenTitle) -> list[int]:
    """Site seasons in nav order: films, specials, then 1..n."""
    present = {ep.season for ep in title.episodes}
    return sorted(present, key=lambda s: (s > 0, s))


def _default_season(title: GenTitle) -> int:
    seasons = seasons_of(title)
    positive = [s for s in seasons if s > 0]
    return positive[0] if positive else seasons[0]


def _season_nav(title: GenTitle, active: int, layout: bool) -> str:
    items: list[str] = []
    for season in seasons_of(title):
        if season == FILM_SEASON:
            label, hint = "Filme", "Alle Filme"
        elif season == SPECIAL_SEASON:
            label, hint = "Specials", "Specials"
        else:
            label, hint = str(season), f"Staffel {season}"
        cls = ' class="active"' if season == active else ""
        path = _season_path(title.slug, season)
        items.append(f'<li><a{cls} href="{path}" title="{hint}">{label}</a></li>')
    if layout:
        return f'<nav class="seasonTabs">{"".join(items)}</nav>\n'
    return (
        '<div class="hosterSiteDirectNav" id="stream"><ul>'
        f"<li><span><strong>Staffeln:</strong></span></li>{''.join(items)}</ul></div>\n"
    )


def _episode_row(title: GenTitle, ep: GenEpisode, layout: bool) -> str:
    path = _episode_path(title.slug, ep)
    de = escape(ep.titles.get("de", ""))
    en = escape(ep.titles.get("en", ""))
    label = f"Film {ep.number}" if ep.season == FILM_SEASON else f"Folge {ep.number}"
    hosters = "".join(
        f'<i class="icon {h}" title="Hoster {h}"></i>'
        for h in _HOSTERS[: 1 + (title.seed + ep.number) % 3]
    )
    flags = "".join(
        f'<img class="flag" src="/public/img/{FLAG_FILES[lang][0]}" alt="Flagge" '
        f'title="{FLAG_FILES[lang][1]}">'
        for lang in _LANG_ORDER
        if lang in ep.languages
    )
    if layout:
        return (
            f'<div class="episode-card" data-number="{ep.number}"><a href="{path}">{label}</a>'
            f'<p class="name">{de} / {en}</p><div class="langs">{flags}</div></div>\n'
        )
    meta = (
        "" if ep.season == FILM_SEASON else f'<meta itemprop="episodeNumber" content="{ep.number}">'
    )
    en_part = f" - <span>{en}</span>" if en else ""
    return (
        f'<tr data-episode-id="{title.site_id * 100_000 + (ep.season + 1) * 1000 + ep.number}" '
        f'data-episode-season-id="{ep.number}" itemscope itemprop="episode" '
        'itemtype="http://schema.org/Episode">\n'
        f'<td class="season{ep.season}EpisodeID">{meta}'
        f'<a itemprop="url" href="{path}">{label}</a></td>\n'
        f'<td class="seasonEpisodeTitle"><a href="{path}"><strong>{de}</strong>{en_part}</a></td>\n'
        f'<td><a href="{path}">{hosters}</a></td>\n'
        f'<td class="editFunctions"><a href="{path}">{flags}</a></td>\n</tr>\n'
    )


def _episode_table(title: GenTitle, season: int, layout: bool) -> str:
    rows = "".join(_episode_row(title, ep, layout) for ep in title.episodes if ep.season == season)
    if layout:
        return f'<section class="episodes" data-season="{season}">\n{rows}</section>\n'
    return (
        f'<table class="seasonEpisodesList" data-season-id="{season}">\n'
        "<thead><tr><th>Folge</th><th>Titel</th><th>Hoster</th><th>Sprache</th></tr></thead>\n"
        f'<tbody id="season{season}">\n{rows}</tbody>\n</table>\n'
    )


def _series_header(title: GenTitle, layout: bool) -> str:
    name = escape(title.title)
    alt = escape(", ".join(title.aliases))
    if layout:
        return f'<div class="titleBox"><h2 class="name">{name}</h2><em>{title.year}</em></div>\n'
    imdb = (
        f'<a class="imdb-link" href="https://www.imdb.com/title/{title.imdb_id}/" '
        f'data-imdb="{title.imdb_id}" target="_blank" rel="noopener">IMDb</a>'
        if title.imdb_id
        else ""
    )
    return (
        '<div class="series-title">'
        f'<h1 itemprop="name" title="Animes Stream: {name}" data-alternativetitles="{alt}">'
        f"<span>{name}</span></h1>"
        f'<small><span itemprop="startDate"><a href="/animes/jahr/{title.year}">{title.year}'
        '</a></span> - <span itemprop="endDate"><a href="/animes/jahr">Heute</a></span></small>'
        f'</div>\n<div class="series-info">{imdb}'
        f'<p class="seri_des" itemprop="accessibilityAPI">{name}: eine Geschichte.</p></div>\n'
    )


def series_page(title: GenTitle, faults: RenderFaults) -> str:
    active = _default_season(title)
    return "".join(
        (
            _head(f"{title.title} anschauen"),
            '<div class="container">\n',
            _series_header(title, faults.layout),
            _season_nav(title, active, faults.layout),
            _episode_table(title, active, faults.layout),
            "</div>\n",
            _FOOT,
        )
    )


def season_page(title: GenTitle, season: int, faults: RenderFaults) -> str:
    return "".join(
        (
            _head(f"{title.title} Staffel {season}"),
            '<div class="container">\n',
            _series_header(title, faults.layout),
            _season_nav(title, season, faults.layout),
            _episode_table(title, season, faults.layout),
            "</div>\n",
            _FOOT,
        )
    )


def _not_found() -> Response:
    return HTMLResponse(_head("Nicht gefunden") + "<h1>404</h1>" + _FOOT, status_code=404)


def build_app(catalog: GeneratedCatalog, faults: FaultController) -> Starlette:
    """The AniWorld-style site serving ``catalog``."""
    order_cache: list[list[tuple[str, list[int]]]] = []

    def order() -> list[tuple[str, list[int]]]:
        if not order_cache:
            order_cache.append(alphabet_order(catalog))
        return order_cache[0]

    async def alphabet(request: Request) -> Response:
        chunks = _alphabet_chunks(catalog, order(), render_faults(request.scope))
        return StreamingResponse(chunks, media_type="text/html; charset=utf-8")

    def title_or_none(request: Request) -> GenTitle | None:
        return catalog.by_slug(request.path_params["slug"])

    async def series(request: Request) -> Response:
        title = title_or_none(request)
        if title is None:
            return _not_found()
        return HTMLResponse(series_page(title, render_faults(request.scope)))

    async def season(request: Request) -> Response:
        title = title_or_none(request)
        number = request.path_params.get("season", FILM_SEASON)
        if title is None or number not in seasons_of(title):
            return _not_found()
        return HTMLResponse(season_page(title, number, render_faults(request.scope)))

    async def episode(request: Request) -> Response:
        title = title_or_none(request)
        number = request.path_params.get("season", FILM_SEASON)
        ep = next(
            (
                e
                for e in (title.episodes if title else [])
                if e.season == number and e.number == request.path_params["number"]
            ),
            None,
        )
        if title is None or ep is None:
            return _not_found()
        hosters = _HOSTERS[: 1 + (title.seed + ep.number) % 3]
        return HTMLResponse(
            _head(f"{title.title} Episode {ep.number}")
            + '<div class="container">\n'
            + _series_header(title, False)
            + _season_nav(title, ep.season, False)
            + aniworld_hoster_list(hosters, title.slug, ep.season, ep.number, ep.languages)
            + "</div>\n"
            + _FOOT
        )

    routes: Iterable[Route] = (
        Route("/animes-alphabet", alphabet),
        Route("/anime/stream/{slug}", series),
        Route("/anime/stream/{slug}/staffel-{season:int}", season),
        Route("/anime/stream/{slug}/filme", season),
        Route("/anime/stream/{slug}/staffel-{season:int}/episode-{number:int}", episode),
        Route("/anime/stream/{slug}/filme/film-{number:int}", episode),
        Route("/redirect/{id:int}", aniworld_redirect(_HOSTERS)),
    )
    return site_app(list(routes), catalog, faults)
