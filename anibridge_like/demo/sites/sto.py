"""Fake s.to site (Serienstream "v2", since 2026-01) rendering a :class:`GeneratedCatalog`.

Built from the parsers that read the live v2 site, not from our own parser:

* aniworld 4.x (``phoenixthrush/AniWorld-Downloader``) ``src/aniworld/models/s_to/series.py``
  (title ``<h1 class="h2 mb-1 fw-bold">`` HTML-escaped; year ``<a class="small text-muted"
  href="/jahr/YYYY">``; ``FSK`` and the IMDb link in the same ``<p>``; ``li.series-group`` facts;
  season links ``/serie/<slug>/staffel-N`` absolute or relative, ``og:url`` naming staffel-1),
  ``s_to/season.py`` (episode links ``/serie/<slug>/staffel-N/episode-M`` in
  ``tr.episode-row`` rows whose ``svg-flag-german`` / ``svg-flag-english`` flags give the
  languages without fetching episode pages), ``s_to/episode.py`` (``<h2 class="h4 mb-1">S01E01:
  German (English)</h2>``; player buttons ``data-play-url`` / ``data-provider-name`` /
  ``data-language-label`` "Deutsch" | "Englisch");
* AniBridge ``provider-catalog-index`` (``Zzackllack/AniBridge``): ``apps/api/app/providers/sto/
  v2.py`` and ``tests/unit/providers/sto/test_v2.py`` (``button[data-play-url][data-provider-name]
  [data-language-label][data-language-id]``, ids 1 German, 2 English, 3 German Sub, play URLs
  ``/r?t=<token>``), ``apps/api/app/catalog/providers.py`` ``_parse_sto_season_rows`` and its test
  (season links absolute ``https://s.to/...`` or relative, duplicated per row), and the listing
  ``STO_ALPHABET_URL=https://s.to/serien?by=alpha`` with ``/serie/<slug>`` anchors.

==========================================  ====================================================
path                                        page
==========================================  ====================================================
``/serien?by=alpha``                        nav, JSON-LD, inline script, poster cards (anchors
                                            with only an ``img``) above the list, a commented-out
                                            entry, then every series grouped by letter: ``li > a
                                            [href=/serie/<slug>]`` with the title (entities
                                            escaped) and ``data-alternative-title``; streamed
``/serie/<slug>``                           ``h1.h2`` title, ``/jahr/YYYY``, FSK, IMDb, facts,
                                            season nav (``staffel-0`` = specials), similar-title
                                            cards (other slugs, their own ``/jahr/`` links)
``/serie/<slug>/staffel-N``                 ``tr.episode-row`` rows with number, German
                                            (``strong``) / English (``span``) titles and flags; an
                                            announced season (newest, no episodes yet) has no
                                            table; "legacy" seasons have no flag column
``…/staffel-N/episode-M``                   ``h2.h4`` heading, player buttons per host/language
``/r?t=<token>``                            the site's redirect to the (fake) hoster's embed page
==========================================  ====================================================

Faults apply through the middleware; ``layout`` renders a redesigned site ("v3": ``/show/<slug>``
anchors, ``/season/N/ep/M`` links, ``data-lang`` buttons) that a v2 parser must reject, and
``drop_titles`` thins the listing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from html import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from anibridge_like.demo.catalog import GenEpisode, GeneratedCatalog, GenTitle
from anibridge_like.demo.faults import FaultController, render_faults
from anibridge_like.demo.sites import site_app
from anibridge_like.demo.sites.hoster_links import redirect_to
from anibridge_like.plugins.provider import SPECIAL_SEASON, Language

LANGUAGE_BUTTONS: dict[Language, tuple[str, str]] = {
    Language.GERMAN_DUB: ("Deutsch", "1"),
    Language.ENGLISH_DUB: ("Englisch", "2"),
    Language.GERMAN_SUB: ("Deutsch Sub", "3"),
}
FLAGS: dict[Language, tuple[str, str]] = {
    Language.GERMAN_DUB: ("svg-flag-german", "Deutsch"),
    Language.ENGLISH_DUB: ("svg-flag-english", "Englisch"),
}
HOSTS = ("VOE", "Doodstream", "Vidoza")
_CHUNK_TITLES = 500


def _e(text: str) -> str:
    return escape(text, quote=True)


def _digest(*parts: object) -> int:
    raw = ":".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=4).digest(), "big")


def has_announced_season(slug: str) -> bool:
    """Whether the series page also links the next season, announced without episodes."""
    return _digest(slug, "announced") % 8 == 0


def legacy_season(slug: str, season: int) -> bool:
    """Whether this season page is an old one without the language-flag column."""
    return _digest(slug, season, "legacy") % 9 == 0


_HEAD_SCRIPT = (
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
    "gtag('js',new Date());var SITE={base:'/',serie:'/serie/'};</script>"
)
_NAV = (
    '<nav class="navbar navbar-expand-lg"><a class="navbar-brand" href="/">S.to</a><ul>'
    '<li><a href="/serien?by=alpha">Serien A-Z</a></li><li><a href="/serien?by=genre">Genres</a>'
    '</li><li><a href="/neu">Neue Episoden</a></li><li><a href="/account/login">Login</a></li>'
    '</ul></nav><div class="ad-slot" id="ad-top"><script>/* ads */</script></div>'
)


def _page(
    title: str, body: str, *, canonical: str = "/", jsonld: Mapping[str, object] | None = None
) -> str:
    ld = json.dumps(
        jsonld or {"@context": "https://schema.org", "@type": "WebSite", "name": "S.to"}
    )
    return (
        '<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8">'
        f"<title>{_e(title)} | S.to</title>"
        f'<link rel="canonical" href="https://s.to{_e(canonical)}">'
        f'<meta property="og:url" content="https://s.to{_e(canonical)}">'
        '<meta name="csrf-token" content="fake-token">'
        f'<script type="application/ld+json">{ld}</script>{_HEAD_SCRIPT}</head><body>'
        f'{_NAV}<div class="container">{body}</div>'
        '<footer class="footer"><p>S.to &copy; 2026 · <a href="/impressum">Impressum</a></p>'
        "<script>document.querySelectorAll('.toggle-more').forEach(function(b){});</script>"
        "</footer></body></html>"
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


def season_numbers(title: GenTitle) -> list[int]:
    """The seasons the series page links (specials first), incl. an announced one."""
    seasons = sorted(episodes_by_season(title))
    regular = [s for s in seasons if s > SPECIAL_SEASON]
    if has_announced_season(title.slug) and regular:
        seasons.append(max(regular) + 1)
    return seasons


def _season_path(slug: str, season: int, layout: bool) -> str:
    return f"/serie/{slug}/season/{season}" if layout else f"/serie/{slug}/staffel-{season}"


def _episode_path(slug: str, season: int, number: int, layout: bool) -> str:
    if layout:
        return f"/serie/{slug}/season/{season}/ep/{number}"
    return f"/serie/{slug}/staffel-{season}/episode-{number}"


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
        head, _, tail = _page("Alle Serien", "\x00", canonical="/serien?by=alpha").partition("\x00")
        prefix = "/show/" if layout else "/serie/"
        order = self.alpha_order()
        posters = "".join(
            f'<div class="col"><a href="{prefix}{self.catalog.headline(i)[0]}" class="poster">'
            f'<img data-src="/media/images/channel/{i}.jpg" alt=""></a></div>'
            for i in order[:: max(1, len(order) // 6)][:6]
        )
        yield head + (
            '<h1 class="h3">Alle Serien</h1><div class="row popular-series">'
            f"{posters}</div>"
            '<div class="letters">'
            + "".join(f'<a href="#{c}">{c}</a>' for c in [*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0-9"])
            + '</div><!-- <li><a href="/serie/entfernt-alt">Entfernte Serie</a></li> -->'
            + ('<div id="catalog-list">' if layout else '<div class="series-list">')
        )
        current: str | None = None
        parts: list[str] = []
        for n, i in enumerate(order):
            if not keep(i):
                continue
            slug, title, aliases, _kind, _year = self.catalog.headline(i)
            letter = letter_of(title)
            if letter != current:
                if current is not None:
                    parts.append("</ul></div>")
                parts.append(
                    f'<div class="mb-4"><h2 id="{letter}">{letter}</h2><ul class="list-unstyled">'
                )
                current = letter
            alt = f' data-alternative-title="{_e(", ".join(aliases))}"' if aliases else ""
            parts.append(f'<li><a href="{prefix}{slug}"{alt}>{_e(title)}</a></li>')
            if n % _CHUNK_TITLES == _CHUNK_TITLES - 1:
                yield "".join(parts)
                parts = []
        if current is not None:
            parts.append("</ul></div>")
        parts.append("</div>")
        yield "".join(parts) + tail

    # ---- series page --------------------------------------------------------------------
    def _similar(self, title: GenTitle, layout: bool) -> str:
        n = len(self.catalog)
        cards = []
        for k in (1, 2, 3):
            other_slug, other, _a, _k, year = self.catalog.headline((title.index + k * 7) % n)
            if other_slug == title.slug:
                continue
            href = f"/show/{other_slug}" if layout else f"/serie/{other_slug}"
            cards.append(
                f'<div class="card"><a href="{href}"><img alt="{_e(other)}"></a>'
                f'<a href="{href}" class="card-title">{_e(other)}</a>'
                f'<a class="small text-muted" href="/jahr/{year}">{year}</a></div>'
            )
        return f'<section class="similar"><h3>Ähnliche Serien</h3>{"".join(cards)}</section>'

    def series_page(self, title: GenTitle, layout: bool) -> str:
        seasons = season_numbers(title)
        nav = "".join(
            '<li class="nav-item"><a class="nav-link" '
            f'href="{_season_path(title.slug, s, layout)}">'
            f"{'Specials' if s == SPECIAL_SEASON else s}</a></li>"
            for s in seasons
        )
        heading = (
            f'<div class="headline">{_e(title.title)}</div>'
            if layout
            else f'<h1 class="h2 mb-1 fw-bold">\n    {_e(title.title)}\n</h1>'
        )
        imdb = (
            f' • <a href="https://www.imdb.com/title/{title.imdb_id}/" target="_blank" '
            'rel="noopener noreferrer" class="small text-muted text-decoration-none">IMDb</a>'
            if title.imdb_id
            else ""
        )
        fsk = (6, 12, 16, 18)[_digest(title.slug, "fsk") % 4]
        body = (
            '<div class="row series-header"><div class="col-3 d-none d-md-block"><picture>'
            f'<img data-src="/media/images/channel/desktop/{_e(title.slug)}?format=jpg" '
            f'alt="{_e(title.title)}"></picture></div><div class="col">{heading}'
            f'<p class="small text-muted mb-2"><a class="small text-muted" href="/jahr/'
            f'{title.year}">{title.year}</a> - <span class="small text-muted">NA</span> • FSK '
            f"{fsk}{imdb}</p>"
            f'<span class="description-text">{_e(title.canonical_title)} – eine Serie.</span>'
            '<ul class="list-unstyled"><li class="series-group"><strong class="me-1">Genre:'
            '</strong><a href="/genre/drama" class="link-light">Drama</a></li></ul></div></div>'
            f'<ul class="nav nav-pills season-nav">{nav}</ul>'
            f"{self._similar(title, layout)}"
        )
        canonical = (
            f"/serie/{title.slug}/staffel-{seasons[0]}" if seasons else f"/serie/{title.slug}"
        )
        ld = {"@context": "https://schema.org", "@type": "TVSeries", "name": title.title}
        return _page(title.title, body, canonical=canonical, jsonld=ld)

    # ---- season page --------------------------------------------------------------------
    def season_page(self, title: GenTitle, season: int, layout: bool) -> str | None:
        if season not in season_numbers(title):
            return None
        episodes = episodes_by_season(title).get(season, [])
        flags = not legacy_season(title.slug, season)
        rows: list[str] = []
        for ep in episodes:
            path = _episode_path(title.slug, season, ep.number, layout)
            href = f"https://s.to{path}" if ep.number % 2 else path
            names = ""
            if "de" in ep.titles:
                names += f'<strong class="episode-title-ger">{_e(ep.titles["de"])}</strong>'
            if "en" in ep.titles:
                names += f' <span class="episode-title-eng">{_e(ep.titles["en"])}</span>'
            cell = ""
            if flags:
                cell = (
                    '<td class="episode-language-cell">'
                    + "".join(
                        f'<svg class="{FLAGS[lang][0]}" width="22" height="15"><title>'
                        f"{FLAGS[lang][1]}</title></svg>"
                        for lang in sorted(ep.languages)
                        if lang in FLAGS
                    )
                    + "</td>"
                )
            rows.append(
                f'<tr class="episode-row" onclick="window.location=\'{path}\'">'
                f'<th class="episode-number-cell"><a href="{href}">{ep.number}</a></th>'
                f'<td class="episode-title-cell"><a href="{href}">{names}</a></td>'
                f'<td class="episode-hoster-cell"><i class="icon VOE" title="VOE"></i></td>'
                f"{cell}</tr>"
            )
        label = "Specials" if season == SPECIAL_SEASON else f"Staffel {season}"
        table = (
            '<table class="table episode-table"><tbody>' + "".join(rows) + "</tbody></table>"
            if rows
            else '<div class="alert alert-info">Für diese Staffel sind noch keine Episoden '
            "verfügbar.</div>"
        )
        body = (
            f'<h1 class="h2 mb-1 fw-bold">{_e(title.title)}</h1><h2 class="h4">{label}</h2>'
            f"{table}{self._similar(title, layout)}"
        )
        return _page(
            f"{title.title} {label}", body, canonical=_season_path(title.slug, season, False)
        )

    # ---- episode page -------------------------------------------------------------------
    def episode_page(self, title: GenTitle, season: int, number: int, layout: bool) -> str | None:
        ep = next(
            (e for e in episodes_by_season(title).get(season, []) if e.number == number), None
        )
        if ep is None:
            return None
        buttons: list[str] = []
        for lang in sorted(ep.languages):
            label, lang_id = LANGUAGE_BUTTONS[lang]
            for h, host in enumerate(HOSTS[: 1 + _digest(title.slug, number, label) % 3]):
                token = f"{_digest(title.slug, season, number, label, h):08x}"
                self.redirects[token] = host
                if layout:
                    buttons.append(
                        f'<a class="stream" data-stream="/r?t={token}" data-lang="{lang_id}">'
                        f"{host}</a>"
                    )
                else:
                    buttons.append(
                        f'<button class="link-box" data-play-url="/r?t={token}" '
                        f'data-provider-name="{host}" data-language-label="{_e(label)}" '
                        f'data-language-id="{lang_id}">{host}</button>'
                    )
        de, en = ep.titles.get("de", ""), ep.titles.get("en", "")
        heading = f"S{season:02d}E{number:02d}: {_e(de)}" + (f" ({_e(en)})" if en else "")
        first = "/r?t=" + f"{_digest(title.slug, season, number, 'main'):08x}"
        body = (
            f'<h1 class="h2 mb-1 fw-bold">{_e(title.title)}</h1>'
            f'<h2 class="h4 mb-1">{heading} </h2>'
            f'<div class="player"><iframe src="{first}" allowfullscreen></iframe></div>'
            f'<div id="episode-links">{"".join(buttons)}</div>'
        )
        return _page(
            f"{title.title} S{season}E{number}",
            body,
            canonical=_episode_path(title.slug, season, number, False),
        )


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
        layout = render_faults(request.scope).layout
        html = (
            None
            if title is None
            else site.season_page(title, request.path_params["season"], layout)
        )
        return _not_found() if html is None else HTMLResponse(html)

    async def episode(request: Request) -> Response:
        title = lookup(request)
        params = request.path_params
        layout = render_faults(request.scope).layout
        html = (
            None
            if title is None
            else site.episode_page(title, params["season"], params["number"], layout)
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
        Route("/serie/{slug}/staffel-{season:int}/episode-{number:int}", episode),
    ]
    return site_app(routes, catalog, controller)


def _not_found() -> Response:
    return HTMLResponse(_page("Nicht gefunden", "<h1>404</h1>"), status_code=404)
