"""Fake s.to-style site (Serienstream "v2" layout) rendering a :class:`GeneratedCatalog`.

==========================================  ====================================================
path                                        page
==========================================  ====================================================
``/serien?by=alpha``                        every series, grouped by letter, in
                                            ``#seriesContainer``; anchors ``/serie/<slug>`` with
                                            ``data-alternative-title`` (streamed in chunks)
``/serie/<slug>``                           title, year, aliases, IMDb link, season links
``/serie/<slug>/staffel-N``                 episode rows: ``/serie/<slug>/staffel-N/episode-M``
                                            with German (``strong``) / English (``span``) titles
``/serie/<slug>/filme``                     film rows ``/serie/<slug>/filme/film-M``
``…/episode-M``, ``…/film-M``               player buttons ``[data-play-url]`` per host and
                                            language (``data-language-label``/``-id``)
==========================================  ====================================================

Faults (:mod:`anibridge_like.demo.faults`) apply through the middleware; the ``layout`` fault
renders a redesigned site ("v3": ``/show/<slug>`` anchors, ``/season/N/ep/M`` links,
``data-lang`` buttons) that a v2 parser must reject, and ``drop_titles`` thins the listing.
Some episode pages also carry a host button in a language outside the vocabulary
("Französisch"), which parsers must skip.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from html import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from anibridge_like.demo.catalog import GenEpisode, GeneratedCatalog, GenTitle
from anibridge_like.demo.faults import FaultController, render_faults
from anibridge_like.demo.sites import site_app
from anibridge_like.demo.sites.hoster_links import redirect_to
from anibridge_like.plugins.provider import FILM_SEASON, SPECIAL_SEASON, Language

LANGUAGE_BUTTONS: dict[Language, tuple[str, str]] = {
    Language.GERMAN_DUB: ("Deutsch", "1"),
    Language.ENGLISH_DUB: ("Englisch", "2"),
    Language.GERMAN_SUB: ("Englisch, Untertitel Deutsch", "3"),
    Language.ENGLISH_SUB: ("Japanisch, Untertitel Englisch", "4"),
    Language.JAPANESE: ("Japanisch", "5"),
}
UNKNOWN_LANGUAGE = ("Französisch", "9")
HOSTS = ("VOE", "Doodstream", "Vidoza")
_CHUNK_TITLES = 500


def _e(text: str) -> str:
    return escape(text, quote=True)


def _digest(*parts: object) -> int:
    raw = ":".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=4).digest(), "big")


def offers_unknown_language(slug: str, season: int, number: int) -> bool:
    """Whether this episode page also shows a host in a language outside the vocabulary."""
    return _digest(slug) % 5 == 0 and _digest(slug, season, number) % 29 == 0


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8">'
        f"<title>{_e(title)} | S.to - Serien online schauen</title>"
        '<meta name="csrf-token" content="fake-token"></head><body>'
        '<header class="site-header"><a class="logo" href="/">S.to</a><nav>'
        '<a href="/serien?by=alpha">Serien A-Z</a><a href="/serien?by=genre">Genres</a>'
        "</nav></header>"
        f"{body}"
        '<footer class="site-footer"><p>S.to &copy; 2026</p></footer></body></html>'
    )


def letter_of(title: str) -> str:
    first = title[:1].upper()
    return first if "A" <= first <= "Z" else "0-9"


def episodes_by_season(title: GenTitle) -> dict[int, list[GenEpisode]]:
    seasons: dict[int, list[GenEpisode]] = {}
    for ep in title.episodes:
        seasons.setdefault(ep.season, []).append(ep)
    for eps in seasons.values():
        eps.sort(key=lambda ep: ep.number)
    return seasons


def _season_path(slug: str, season: int, layout: bool) -> str:
    if layout:
        return f"/serie/{slug}/season/{season}"
    return f"/serie/{slug}/filme" if season == FILM_SEASON else f"/serie/{slug}/staffel-{season}"


def _episode_path(slug: str, season: int, number: int, layout: bool) -> str:
    if layout:
        return f"/serie/{slug}/season/{season}/ep/{number}"
    if season == FILM_SEASON:
        return f"/serie/{slug}/filme/film-{number}"
    return f"/serie/{slug}/staffel-{season}/episode-{number}"


def _season_label(season: int) -> str:
    if season == FILM_SEASON:
        return "Filme"
    return "Specials" if season == SPECIAL_SEASON else f"Staffel {season}"


class StoSite:
    """Page renderers over one catalog (pure functions of the catalog and the render faults)."""

    def __init__(self, catalog: GeneratedCatalog) -> None:
        self.catalog = catalog
        self._alpha: list[int] | None = None
        self.redirects: dict[str, str] = {}
        """``/r?t=<token>`` → hoster, for the tokens episode pages rendered."""

    def alpha_order(self) -> list[int]:
        if self._alpha is None:
            heads = [(self.catalog.headline(i)[1].casefold(), i) for i in range(len(self.catalog))]
            self._alpha = [i for _, i in sorted(heads)]
        return self._alpha

    # ---- listing ------------------------------------------------------------------------
    def listing_chunks(self, layout: bool, keep: Callable[[int], bool]) -> Iterator[str]:
        head, _, tail = _page("Alle Serien", "\x00").partition("\x00")
        container = '<div id="catalog-list">' if layout else '<div id="seriesContainer">'
        yield head + '<main class="catalog-page"><h1>Alle Serien von A-Z</h1>'
        yield (
            '<nav class="catalog-letters">'
            + "".join(
                f'<a href="/katalog/{c}">{c}</a>' for c in [*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0-9"]
            )
            + "</nav>"
            + container
        )
        current: str | None = None
        parts: list[str] = []
        for n, i in enumerate(self.alpha_order()):
            if not keep(i):
                continue
            slug, title, aliases, _kind, _year = self.catalog.headline(i)
            letter = letter_of(title)
            if letter != current:
                if current is not None:
                    parts.append("</ul></div>")
                parts.append(
                    f'<div class="letter-group" data-letter="{letter}"><h2>{letter}</h2><ul>'
                )
                current = letter
            href = f"/show/{slug}" if layout else f"/serie/{slug}"
            alt = f' data-alternative-title="{_e(", ".join(aliases))}"' if aliases else ""
            parts.append(
                f'<li><a href="{href}"{alt} title="{_e(title)} Stream">{_e(title)}</a></li>'
            )
            if n % _CHUNK_TITLES == _CHUNK_TITLES - 1:
                yield "".join(parts)
                parts = []
        if current is not None:
            parts.append("</ul></div>")
        parts.append("</div></main>")
        yield "".join(parts) + tail

    # ---- series page --------------------------------------------------------------------
    def series_page(self, title: GenTitle, layout: bool) -> str:
        seasons = sorted(episodes_by_season(title), key=lambda s: (s != FILM_SEASON, s))
        nav = "".join(
            f'<li><a href="{_season_path(title.slug, s, layout)}" data-season="{s}">'
            f"{_season_label(s)}</a></li>"
            for s in seasons
        )
        heading = (
            f'<div class="headline">{_e(title.title)}</div>'
            if layout
            else f'<h1 class="series-title"><span>{_e(title.title)}</span></h1>'
        )
        meta = [
            f'<span class="series-year" itemprop="startDate"><a href="/jahr/{title.year}">'
            f"{title.year}</a></span>"
        ]
        if title.aliases:
            meta.append(
                f'<div class="series-alternative" data-alternative-title='
                f'"{_e(", ".join(title.aliases))}">{_e(" · ".join(title.aliases))}</div>'
            )
        if title.imdb_id:
            meta.append(
                f'<a class="imdb-link" href="https://www.imdb.com/title/{title.imdb_id}/"'
                f' target="_blank" rel="noopener">IMDb</a>'
            )
        body = (
            f'<main class="series-page" data-series-slug="{_e(title.slug)}">'
            f'<section class="series-hero">{heading}<div class="series-meta">{"".join(meta)}</div>'
            f'<p class="series-description">{_e(title.canonical_title)} – eine Serie.</p></section>'
            f'<nav class="season-nav" id="stream"><ul>{nav}</ul></nav></main>'
        )
        return _page(title.title, body)

    # ---- season page --------------------------------------------------------------------
    def season_page(self, title: GenTitle, season: int, layout: bool) -> str | None:
        episodes = episodes_by_season(title).get(season)
        if not episodes:
            return None
        rows: list[str] = []
        for ep in episodes:
            path = _episode_path(title.slug, season, ep.number, layout)
            names = ""
            if "de" in ep.titles:
                names += f"<strong>{_e(ep.titles['de'])}</strong>"
            if "en" in ep.titles:
                names += f" <span>{_e(ep.titles['en'])}</span>"
            rows.append(
                f'<tr class="episode-row" data-season="{season}" data-episode="{ep.number}">'
                f'<td class="episode-number"><a href="{path}">Folge {ep.number}</a></td>'
                f'<td class="episode-title"><a href="{path}">{names}</a></td></tr>'
            )
        body = (
            f'<main class="season-page"><h1 class="series-title"><span>{_e(title.title)}</span>'
            f"</h1><h2>{_season_label(season)}</h2>"
            '<table class="episode-table"><thead><tr><th>#</th><th>Titel</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></main>"
        )
        return _page(f"{title.title} {_season_label(season)}", body)

    # ---- episode page -------------------------------------------------------------------
    def episode_page(self, title: GenTitle, season: int, number: int, layout: bool) -> str | None:
        ep = next(
            (e for e in episodes_by_season(title).get(season, []) if e.number == number), None
        )
        if ep is None:
            return None
        variants = [LANGUAGE_BUTTONS[lang] for lang in sorted(ep.languages)]
        if offers_unknown_language(title.slug, season, number):
            variants.append(UNKNOWN_LANGUAGE)
        buttons: list[str] = []
        for label, lang_id in variants:
            for h, host in enumerate(HOSTS[: 1 + _digest(title.slug, number, label) % 3]):
                token = f"{_digest(title.slug, season, number, label, h):08x}"
                self.redirects[token] = host
                if layout:
                    buttons.append(
                        f'<a class="stream" data-stream="/r?t={token}" '
                        f'data-lang="{lang_id}">{host}</a>'
                    )
                else:
                    buttons.append(
                        f'<button class="link-box" data-link-id="{int(token, 16) % 10**8}" '
                        f'data-play-url="/r?t={token}" data-provider-name="{host}" '
                        f'data-language-label="{_e(label)}" data-language-id="{lang_id}">'
                        f"{host}</button>"
                    )
        names = "".join(f'<span lang="{k}">{_e(v)}</span>' for k, v in sorted(ep.titles.items()))
        first = "/r?t=" + f"{_digest(title.slug, season, number, 'main'):08x}"
        body = (
            f'<main class="episode-page" data-episode-id="{_digest(title.slug, season, number)}">'
            f'<h1 class="series-title"><span>{_e(title.title)}</span></h1>'
            f'<h2 class="episode-title">{names}</h2>'
            f'<div class="player"><iframe src="{first}" allowfullscreen></iframe></div>'
            f'<div class="stream-links" id="episode-links">{"".join(buttons)}</div></main>'
        )
        return _page(f"{title.title} S{season}E{number}", body)


def build_app(catalog: GeneratedCatalog, faults: FaultController | None = None) -> Starlette:
    """The fake s.to site for ``catalog``, applying ``faults`` (a fresh controller when None)."""
    controller = faults or FaultController()
    site = StoSite(catalog)

    def lookup(request: Request) -> GenTitle | None:
        return catalog.by_slug(request.path_params["slug"])

    async def listing(request: Request) -> Response:
        rf = render_faults(request.scope)
        chunks = site.listing_chunks(rf.layout, rf.keeps)
        return StreamingResponse(chunks, media_type="text/html; charset=utf-8")

    async def series(request: Request) -> Response:
        title = lookup(request)
        if title is None:
            return _not_found()
        return HTMLResponse(site.series_page(title, render_faults(request.scope).layout))

    async def season(request: Request) -> Response:
        title = lookup(request)
        number = request.path_params.get("season", FILM_SEASON)
        html = (
            None
            if title is None
            else site.season_page(title, number, render_faults(request.scope).layout)
        )
        return _not_found() if html is None else HTMLResponse(html)

    async def episode(request: Request) -> Response:
        title = lookup(request)
        params = request.path_params
        html = (
            None
            if title is None
            else site.episode_page(
                title,
                params.get("season", FILM_SEASON),
                params["number"],
                render_faults(request.scope).layout,
            )
        )
        return _not_found() if html is None else HTMLResponse(html)

    async def redirect(request: Request) -> Response:
        token = request.query_params.get("t", "")
        return redirect_to(request, site.redirects.get(token), token)

    routes = [
        Route("/r", redirect),
        Route("/serien", listing),
        Route("/serie/{slug}", series),
        Route("/serie/{slug}/staffel-{season:int}", season),
        Route("/serie/{slug}/filme", season),
        Route("/serie/{slug}/staffel-{season:int}/episode-{number:int}", episode),
        Route("/serie/{slug}/filme/film-{number:int}", episode),
    ]
    return site_app(routes, catalog, controller)


def _not_found() -> Response:
    return HTMLResponse(_page("Nicht gefunden", "<main><h1>404</h1></main>"), status_code=404)
