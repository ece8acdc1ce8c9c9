"""Fake megakino-style site (a DataLife-Engine movie/series site) rendering a
:class:`GeneratedCatalog` (flavor "movies": films and serials).

==========================================  ====================================================
path                                        document
==========================================  ====================================================
``/sitemap.xml``                            sitemap index: ``/sitemaps/static.xml`` (non-title
                                            pages), ``/sitemaps/films-K.xml``,
                                            ``/sitemaps/serials-K.xml``
``/sitemaps/<films|serials>-K.xml``         urlset of ``/films/<id>-<slug>.html`` /
                                            ``/serials/<id>-<slug>.html`` (``urls_per_sitemap``
                                            per child, by id)
``/films/<id>-<slug>.html``                 film page: ``h1`` title, English title, aliases, year,
                                            IMDb link, player tabs with ``data-language-label``
``/serials/<id>-<slug>.html``               serial page: same head, ``#seasons`` with
                                            ``.season[data-season] .episode[data-episode]``
``/index.php?do=search&story=…``            DLE search: results in ``#dle-content`` (titles
                                            whose slug starts with the query's slug)
==========================================  ====================================================

Faults apply through the middleware; ``layout`` renders a redesigned site (a JSON-ish sitemap
root, ``.movie-card`` title pages without ``h1``) that parsers must reject, and ``drop_titles``
thins the child sitemaps.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Awaitable, Callable
from html import escape
from xml.sax.saxutils import escape as xml_escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from anibridge_like.demo.catalog import GeneratedCatalog, GenTitle
from anibridge_like.demo.faults import FaultController, RenderFaults, render_faults
from anibridge_like.demo.names import slugify
from anibridge_like.demo.sites import site_app
from anibridge_like.demo.sites.hoster_links import megakino_embed
from anibridge_like.plugins.provider import FILM_SEASON, SPECIAL_SEASON, Language

LANGUAGE_LABELS: dict[Language, str] = {
    Language.GERMAN_DUB: "Deutsch",
    Language.ENGLISH_DUB: "Englisch",
    Language.GERMAN_SUB: "OmU",
    Language.ENGLISH_SUB: "Englische Untertitel",
    Language.JAPANESE: "Japanisch",
}
HOSTS = ("VOE", "Streamtape", "Filemoon")
URLS_PER_SITEMAP = 500
_XML = 'application/xml; charset="utf-8"'
_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _e(text: str) -> str:
    return escape(text, quote=True)


def _digest(*parts: object) -> int:
    raw = ":".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=4).digest(), "big")


def title_path(title: GenTitle) -> str:
    folder = "films" if title.kind == "movie" else "serials"
    return f"/{folder}/{title.site_id}-{title.slug}.html"


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8">'
        f"<title>{_e(title)} - Megakino</title></head><body>"
        '<div class="wrapper"><header class="header"><a class="logo" href="/">Megakino</a>'
        '<nav><a href="/films/">Filme</a><a href="/serials/">Serien</a></nav>'
        '<form action="/index.php" method="get"><input type="hidden" name="do" value="search">'
        '<input name="story"></form></header>'
        f'<main class="content">{body}</main>'
        '<footer class="footer">Megakino &copy; 2026</footer></div></body></html>'
    )


class MegakinoSite:
    """Renderers over one catalog (pure functions of the catalog and the render faults)."""

    def __init__(self, catalog: GeneratedCatalog, urls_per_sitemap: int) -> None:
        self.catalog = catalog
        self.per = max(1, urls_per_sitemap)
        self._groups: dict[str, list[int]] | None = None
        self._sorted_slugs: list[tuple[str, int]] | None = None

    def groups(self) -> dict[str, list[int]]:
        if self._groups is None:
            groups: dict[str, list[int]] = {"films": [], "serials": []}
            for i in range(len(self.catalog)):
                kind = self.catalog.headline(i)[3]
                groups["films" if kind == "movie" else "serials"].append(i)
            self._groups = groups
        return self._groups

    def child_names(self) -> list[str]:
        names = ["static"]
        for folder, members in self.groups().items():
            count = (len(members) + self.per - 1) // self.per
            names.extend(f"{folder}-{k}" for k in range(1, count + 1))
        return names

    # ---- sitemaps -----------------------------------------------------------------------
    def sitemap_index(self, base: str, layout: bool) -> str:
        if layout:
            maps = "".join(f'<map href="{base}/sitemaps/{n}.xml"/>' for n in self.child_names())
            return f'<?xml version="1.0" encoding="UTF-8"?>\n<index>{maps}</index>'
        children = "".join(
            f"<sitemap><loc>{base}/sitemaps/{name}.xml</loc><lastmod>2026-11-01</lastmod></sitemap>"
            for name in self.child_names()
        )
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{_NS}">{children}'
            "</sitemapindex>"
        )

    def child_sitemap(self, base: str, name: str, faults: RenderFaults) -> str | None:
        locs: list[str]
        if name == "static":
            locs = [f"{base}/", f"{base}/films/", f"{base}/serials/", f"{base}/kontakt.html"]
        else:
            folder, _, number = name.rpartition("-")
            members = self.groups().get(folder)
            if members is None or not number.isdigit() or int(number) < 1:
                return None
            start = (int(number) - 1) * self.per
            chunk = members[start : start + self.per]
            if not chunk:
                return None
            locs = [f"{base}{title_path(self.catalog.title(i))}" for i in chunk if faults.keeps(i)]
        if faults.layout:
            rows = "".join(f'<item url="{xml_escape(loc)}"/>' for loc in locs)
            return f'<?xml version="1.0" encoding="UTF-8"?>\n<list>{rows}</list>'
        rows = "".join(
            f"<url><loc>{xml_escape(loc)}</loc><lastmod>2026-10-{1 + n % 28:02d}</lastmod>"
            "<changefreq>weekly</changefreq></url>"
            for n, loc in enumerate(locs)
        )
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_NS}">{rows}</urlset>'

    # ---- title pages --------------------------------------------------------------------
    def title_page(self, title: GenTitle, layout: bool, request: Request | None = None) -> str:
        if layout:
            body = (
                f'<div class="movie-card" data-id="{title.site_id}">'
                f'<div class="movie-card__name">{_e(title.title)}</div>'
                f'<div class="movie-card__meta">{title.year}</div></div>'
            )
            return _page(title.title, body)
        head = [
            f'<h1 itemprop="name">{_e(title.title)}</h1>',
            f'<div class="pmovie__subtitle" lang="en">{_e(title.canonical_title)}</div>',
        ]
        if title.aliases:
            head.append(
                '<ul class="pmovie__alt">'
                + "".join(f"<li>{_e(a)}</li>" for a in title.aliases)
                + "</ul>"
            )
        head.append(f'<div class="pmovie__year"><span>Jahr:</span> {title.year}</div>')
        head.append('<div class="pmovie__genres">Drama / Abenteuer</div>')
        if title.imdb_id:
            head.append(
                f'<a class="pmovie__imdb" href="https://www.imdb.com/title/{title.imdb_id}/">'
                "IMDb</a>"
            )
        body = "".join(head) + (
            self._player(title, request) if title.kind == "movie" else self._seasons(title)
        )
        kind = "film" if title.kind == "movie" else "serial"
        return _page(
            f"{title.title} ({title.year})",
            f'<article class="pmovie" data-id="{title.site_id}" data-kind="{kind}">'
            f"{body}</article>",
        )

    def _player(self, title: GenTitle, request: Request | None = None) -> str:
        tabs: list[str] = []
        for lang in sorted(title.languages):
            for host in HOSTS[: 1 + _digest(title.slug, lang) % len(HOSTS)]:
                embed = megakino_embed(request, host, title.slug, lang.value) if request else None
                src = f' data-src="{_e(embed)}"' if embed else ""
                tabs.append(
                    f'<span class="tabs-block__tab" data-language-label="{LANGUAGE_LABELS[lang]}"'
                    f' data-host="{host}"{src}>{LANGUAGE_LABELS[lang]} – {host}</span>'
                )
        frame = f"https://voe.example/e/{_digest(title.slug, 'film'):08x}"
        return (
            f'<div class="pmovie__player"><div class="tabs-block__select">{"".join(tabs)}</div>'
            f'<iframe data-src="{frame}" allowfullscreen></iframe></div>'
        )

    def _seasons(self, title: GenTitle) -> str:
        seasons: dict[int, list[str]] = {}
        for ep in sorted(title.episodes, key=lambda e: (e.season, e.number)):
            names = "".join(
                f'<span class="ep-title" lang="{k}">{_e(v)}</span>'
                for k, v in sorted(ep.titles.items())
            )
            langs = "".join(
                f'<i data-language-label="{LANGUAGE_LABELS[lang]}">{lang.value}</i>'
                for lang in sorted(ep.languages)
            )
            seasons.setdefault(ep.season, []).append(
                f'<li class="episode" data-episode="{ep.number}"><a href="#s{ep.season}e'
                f'{ep.number}">Folge {ep.number}</a>{names}<span class="ep-langs">{langs}</span>'
                "</li>"
            )
        blocks: list[str] = []
        for season in sorted(seasons, key=lambda s: (s <= SPECIAL_SEASON, s)):
            key = "filme" if season == FILM_SEASON else str(season)
            label = {FILM_SEASON: "Filme", SPECIAL_SEASON: "Specials"}.get(
                season, f"Staffel {season}"
            )
            blocks.append(
                f'<div class="season" data-season="{key}"><h3>{label}</h3><ul>'
                f"{''.join(seasons[season])}</ul></div>"
            )
        return f'<div id="seasons" class="pmovie__seasons">{"".join(blocks)}</div>'

    # ---- search -------------------------------------------------------------------------
    def search(self, story: str, limit: int = 30) -> list[GenTitle]:
        if self._sorted_slugs is None:
            self._sorted_slugs = sorted((s, i) for i, s in enumerate(self.catalog.slugs))
        prefix = slugify(story) if story.strip() else ""
        if not prefix or prefix == "untitled":
            return []
        start = bisect.bisect_left(self._sorted_slugs, (prefix, -1))
        found: list[GenTitle] = []
        for slug, i in self._sorted_slugs[start : start + limit]:
            if not slug.startswith(prefix):
                break
            found.append(self.catalog.title(i))
        return found

    def search_page(self, story: str, layout: bool) -> str:
        results = "".join(
            f'<div class="short"><a class="short__title" href="{title_path(t)}">{_e(t.title)}'
            f'</a><div class="short__year">{t.year}</div></div>'
            for t in self.search(story)
        )
        container = "search-results" if layout else "dle-content"
        if not results:
            results = '<div class="berrors">Die Suche hat keine Ergebnisse geliefert.</div>'
        body = f'<h1>Suche: {_e(story)}</h1><div id="{container}">{results}</div>'
        return _page("Suche", body)


def build_app(
    catalog: GeneratedCatalog,
    faults: FaultController | None = None,
    *,
    urls_per_sitemap: int = URLS_PER_SITEMAP,
) -> Starlette:
    """The fake megakino site for ``catalog`` (``urls_per_sitemap`` titles per child sitemap)."""
    controller = faults or FaultController()
    site = MegakinoSite(catalog, urls_per_sitemap)

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def sitemap_index(request: Request) -> Response:
        xml = site.sitemap_index(base(request), render_faults(request.scope).layout)
        return Response(xml, media_type=_XML)

    async def child(request: Request) -> Response:
        xml = site.child_sitemap(
            base(request), request.path_params["name"], render_faults(request.scope)
        )
        return _not_found() if xml is None else Response(xml, media_type=_XML)

    def title_page(folder: str) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            title = catalog.by_site_id(request.path_params["id"])
            kind = "movie" if folder == "films" else "series"
            if title is None or title.kind != kind:
                return _not_found()
            return HTMLResponse(
                site.title_page(title, render_faults(request.scope).layout, request)
            )

        return handler

    async def index_php(request: Request) -> Response:
        if request.query_params.get("do") != "search":
            return _not_found()
        story = request.query_params.get("story", "")
        return HTMLResponse(site.search_page(story, render_faults(request.scope).layout))

    routes = [
        Route("/sitemap.xml", sitemap_index),
        Route("/sitemaps/{name}.xml", child),
        Route("/films/{id:int}-{slug}.html", title_page("films")),
        Route("/serials/{id:int}-{slug}.html", title_page("serials")),
        Route("/index.php", index_php),
    ]
    return site_app(routes, catalog, controller)


def _not_found() -> Response:
    return HTMLResponse(_page("Nicht gefunden", "<h1>404</h1>"), status_code=404)
