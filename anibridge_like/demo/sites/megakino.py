"""Fake megakino site (a DataLife-Engine film/series site) rendering a :class:`GeneratedCatalog`
(flavor "movies": films and serials, German audio only).

Built from the scrapers that read the live site, not from our own parser (evidence, source
files on GitHub):

* AniBridge ``provider-catalog-index`` (``Zzackllack/AniBridge``): ``apps/api/app/providers/
  megakino/sitemap.py`` and ``tests/unit/providers/megakino/test_sitemap.py`` (``/sitemap.xml`` is
  a ``<sitemapindex>`` whose children list ``/films/<id>-<slug>.html`` and ``/serials/<id>-<slug>
  .html``, e.g. ``/serials/5881-i-love-la-1-staffel.html``; ``lastmod`` optional),
  ``megakino/client.py`` (the token request ``/index.php?yg=token`` before pages; iframes with
  ``data-src``/``src``);
* ``bnyro`` cloudstream ``Megakino.kt`` and ``megakino.team`` ``Megakino.kt`` (title ``div.page__
  subcols.d-flex h1``, year ``div.pmovie__year > span:nth-child(2)``, genres ``div.pmovie__genres``
  with "Filme" for films, film players ``div.pmovie__player iframe``, serial episodes
  ``select[name=pmovie__select-items]`` with ids ``ep<N>`` whose options are hoster URLs, related
  ``section.pmovie__related a.poster``, search cards ``a.poster.grid-item`` with ``h3``);
* xStream ``megakino.py`` site plugin (season posts titled ``X - Staffel N``; the episode select
  ``<option value="ep1">Episode 1</option>``; ``<select name="pmovie__select-items" class=".."
  style=".." id="ep1">``; films ``<iframe id="film_main" data-src=..>``; GET search
  ``?do=search&subaction=search&story=``);
* mediaforge ``megakino`` helpers (``.pmovie__original-title``, ``span[itemprop=dateCreated]``,
  ``se-select`` episode labels, ``X - 1 Staffel`` / ``X - Staffel 3`` season suffixes, the token
  stub ``yg=token`` + ``location.replace``) and Scavengarr's ``megakino.me`` plugin (``tabs-block``
  hoster tabs, ``mr-select``, ``full-text`` description).

==========================================  ====================================================
path                                        document
==========================================  ====================================================
``/sitemap.xml``                            sitemap index: ``/sitemaps/static.xml``,
                                            ``/sitemaps/films-K.xml.gz`` (gzip),
                                            ``/sitemaps/serials-K.xml`` (no ``lastmod``)
``/films/<id>-<slug>.html``                 film: ``h1``, original title, year, genres
                                            "… / Filme", hoster tabs + ``iframe#film_main``
``/serials/<id>-<slug>-<n>-staffel.html``   one post per season, ``h1`` "X - Staffel N" or
(or ``…-staffel-<n>.html``)                 "X - N. Staffel": season select (sibling posts),
                                            episode select ``ep<N>``, hoster selects ``#ep<N>``
``/index.php?do=search&story=…``            DLE search: ``a.poster.grid-item`` cards in
                                            ``#dle-content``
``/index.php?yg=token``                     the token endpoint (empty answer)
==========================================  ====================================================

Every page carries the real site's noise: navigation, ad slots, inline scripts, JSON-LD, a
commented-out option, related-title cards. A film's id is ``site_id * 100``; season ``n`` of a
serial is post ``site_id * 100 + n``. Faults apply through the middleware; ``layout`` renders a
redesigned site that parsers must reject, ``drop_titles`` thins the child sitemaps.
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import json
from collections.abc import Mapping
from html import escape
from xml.sax.saxutils import escape as xml_escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from anibridge_like.demo.catalog import GenEpisode, GeneratedCatalog, GenTitle
from anibridge_like.demo.faults import FaultController, RenderFaults, render_faults
from anibridge_like.demo.names import slugify
from anibridge_like.demo.sites import site_app
from anibridge_like.demo.sites.hoster_links import megakino_embed

HOSTS = (
    ("VOE", "https://voe.sx/e/"),
    ("Doodstream", "https://dood.li/e/"),
    ("Filemoon", "https://filemoon.sx/e/"),
)
URLS_PER_SITEMAP = 500
_XML = 'application/xml; charset="utf-8"'
_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _e(text: str) -> str:
    return escape(text, quote=True)


def _digest(*parts: object) -> int:
    raw = ":".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=4).digest(), "big")


def seasons_of(title: GenTitle) -> dict[int, list[GenEpisode]]:
    out: dict[int, list[GenEpisode]] = {}
    for ep in sorted(title.episodes, key=lambda e: (e.season, e.number)):
        if ep.season > 0:
            out.setdefault(ep.season, []).append(ep)
    return out


def post_title(title: GenTitle, season: int) -> str:
    """``X - Staffel 2`` or ``X - 2. Staffel`` (both are on the site)."""
    if _digest(title.slug, "style") % 2:
        return f"{title.title} - {season}. Staffel"
    return f"{title.title} - Staffel {season}"


def post_path(title: GenTitle, season: int | None = None) -> str:
    if title.kind == "movie" or season is None:
        return f"/films/{title.site_id * 100}-{title.slug}.html"
    tail = f"{season}-staffel" if _digest(title.slug, "style") % 2 else f"staffel-{season}"
    return f"/serials/{title.site_id * 100 + season}-{title.slug}-{tail}.html"


def post_paths(title: GenTitle) -> list[str]:
    if title.kind == "movie":
        return [post_path(title)]
    return [post_path(title, s) for s in seasons_of(title)]


_SCRIPT = (
    "<script>var dle_root='/';var dle_skin='megakino';var dle_login_hash='';"
    "window.adsbygoogle=window.adsbygoogle||[];</script>"
)


def _page(title: str, body: str, ld: Mapping[str, object] | None = None) -> str:
    data = json.dumps(ld or {"@context": "https://schema.org", "@type": "WebSite"})
    return (
        '<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8">'
        f"<title>{_e(title)} - Megakino</title>{_SCRIPT}"
        f'<script type="application/ld+json">{data}</script></head><body>'
        '<div class="wrapper"><header class="header d-flex"><a class="logo" href="/">Megakino</a>'
        '<ul class="header__menu"><li><a href="/kinofilme/">Kinofilme</a></li>'
        '<li><a href="/films/">Filme</a></li><li><a href="/serials/">Serien</a></li>'
        '<li><a href="/documentary/">Dokus</a></li></ul>'
        '<form id="quicksearch" method="post" action="/"><input type="hidden" name="do" '
        'value="search"><input id="story" name="story"></form></header>'
        '<div class="banner" id="ad-top"><script>/* ad */</script></div>'
        f'<div class="content"><div id="dle-content">{body}</div></div>'
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
        names = ["static.xml"]
        for folder, members in self.groups().items():
            count = (len(members) + self.per - 1) // self.per
            ext = "xml.gz" if folder == "films" else "xml"
            names.extend(f"{folder}-{k}.{ext}" for k in range(1, count + 1))
        return names

    # ---- sitemaps -----------------------------------------------------------------------
    def sitemap_index(self, base: str, layout: bool) -> str:
        if layout:
            maps = "".join(f'<map href="{base}/sitemaps/{n}"/>' for n in self.child_names())
            return f'<?xml version="1.0" encoding="UTF-8"?>\n<index>{maps}</index>'
        children = "".join(
            f"<sitemap><loc>{base}/sitemaps/{name}</loc>"
            + ("<lastmod>2026-11-01T04:00:00+00:00</lastmod>" if "films" in name else "")
            + "</sitemap>"
            for name in self.child_names()
        )
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{_NS}">{children}'
            "</sitemapindex>"
        )

    def child_sitemap(self, base: str, name: str, faults: RenderFaults) -> str | None:
        locs: list[str]
        lastmod = True
        if name == "static.xml":
            locs = [
                f"{base}/",
                f"{base}/films/",
                f"{base}/serials/",
                f"{base}/kontakt.html",
                f"{base}/films/page/2/",
            ]
        else:
            stem, _, ext = name.partition(".")
            folder, _, number = stem.rpartition("-")
            members = self.groups().get(folder)
            want = "xml.gz" if folder == "films" else "xml"
            if members is None or ext != want or not number.isdigit() or int(number) < 1:
                return None
            start = (int(number) - 1) * self.per
            chunk = members[start : start + self.per]
            if not chunk:
                return None
            lastmod = folder == "films"
            locs = [
                f"{base}{path}"
                for i in chunk
                if faults.keeps(i)
                for path in post_paths(self.catalog.title(i))
            ]
        if faults.layout:
            rows = "".join(f'<item url="{xml_escape(loc)}"/>' for loc in locs)
            return f'<?xml version="1.0" encoding="UTF-8"?>\n<list>{rows}</list>'
        rows = "".join(
            f"<url><loc>{xml_escape(loc)}</loc>"
            + (f"<lastmod>2026-10-{1 + n % 28:02d}</lastmod>" if lastmod else "")
            + "<changefreq>weekly</changefreq></url>"
            for n, loc in enumerate(locs)
        )
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_NS}">{rows}</urlset>'

    # ---- posts --------------------------------------------------------------------------
    def _related(self, title: GenTitle) -> str:
        n = len(self.catalog)
        cards = []
        for k in (3, 5, 11):
            other = self.catalog.title((title.index + k) % n)
            if other.slug == title.slug:
                continue
            path = post_paths(other)[0]
            name = other.title if other.kind == "movie" else post_title(other, 1)
            cards.append(
                f'<a class="poster grid-item d-flex fd-column" href="{path}">'
                f'<div class="poster__img"><img data-src="/uploads/mini/{other.site_id}.jpg" '
                f'alt="{_e(name)}"></div><h3 class="poster__title">{_e(name)}</h3>'
                f'<ul class="poster__subtitle"><li>USA, {other.year}</li></ul></a>'
            )
        return f'<section class="pmovie__related"><h2>Ähnliche</h2>{"".join(cards)}</section>'

    def _head(self, title: GenTitle, h1: str, genres: str) -> str:
        original = (
            f'<div class="pmovie__original-title">{_e(title.canonical_title)}</div>'
            if title.canonical_title != title.title
            else ""
        )
        return (
            '<div class="page__subcols d-flex"><div class="page__subcol-side">'
            '<div class="pmovie__poster img-fit-cover">'
            f'<img data-src="/uploads/posts/{title.site_id}.jpg" alt="{_e(h1)}"></div></div>'
            f'<div class="page__subcol-main"><h1>{_e(h1)}</h1>{original}'
            '<div class="pmovie__year"><span>USA</span>, <span><a href="/year/'
            f'{title.year}/">{title.year}</a></span>, 107 min</div>'
            f'<div class="pmovie__genres">{genres}</div>'
            '<div class="pmovie__subrating pmovie__subrating--kp">7.1</div></div></div>'
            f'<div class="page__text full-text">{_e(title.canonical_title)} – Beschreibung.</div>'
        )

    @staticmethod
    def _embed(request: Request | None, name: str, url: str, *parts: object) -> str:
        """A hoster's embed URL: the fake hosters' (demo, downloads) when the app has them."""
        fake = megakino_embed(request, name, *parts) if request is not None else None
        return fake or f"{url}{_digest(*parts, name):08x}"

    def film_page(self, title: GenTitle, layout: bool, request: Request | None = None) -> str:
        if layout:
            return _page(title.title, f'<div class="movie-card">{_e(title.title)}</div>')
        active = ' class="is-active"'
        main = 'id="film_main" '
        tabs = "".join(
            f"<span{active if n == 0 else ''}>{name}</span>" for n, (name, _url) in enumerate(HOSTS)
        )
        frames = "".join(
            f'<div class="tabs-block__content"><iframe {main if n == 0 else ""}'
            f'data-src="{_e(self._embed(request, name, url, title.slug, "film"))}"'
            " allowfullscreen></iframe></div>"
            for n, (name, url) in enumerate(HOSTS)
        )
        body = (
            self._head(title, title.title, "Drama / Abenteuer / Filme")
            + f'<div class="pmovie__player tabs-block"><div class="tabs-block__select">{tabs}'
            f"</div>{frames}</div>" + self._related(title)
        )
        ld = {"@context": "https://schema.org", "@type": "Movie", "name": title.title}
        return _page(title.title, body, ld)

    def serial_page(
        self, title: GenTitle, season: int, layout: bool, request: Request | None = None
    ) -> str | None:
        seasons = seasons_of(title)
        episodes = seasons.get(season)
        if not episodes:
            return None
        h1 = post_title(title, season)
        if layout:
            return _page(h1, f'<div class="movie-card">{_e(h1)}</div>')
        season_select = "".join(
            f'<option value="{post_path(title, s)}"{" selected" if s == season else ""}>'
            f"Staffel {s}</option>"
            for s in seasons
        )
        options = "".join(
            f'<option value="ep{ep.number}">Episode {ep.number}</option>' for ep in episodes
        )
        hosters = "".join(
            f'<select name="pmovie__select-items" class="flex-grow-1 mr-select" '
            f'style="display:none" id="ep{ep.number}">'
            + "".join(
                '<option value="'
                f'{_e(self._embed(request, name, url, title.slug, season, ep.number))}">'
                f"{name}</option>"
                for name, url in HOSTS[: 1 + _digest(title.slug, ep.number) % 3]
            )
            + "</select>"
            for ep in episodes
        )
        first = self._embed(request, HOSTS[0][0], HOSTS[0][1], title.slug, season, 1)
        body = (
            self._head(title, h1, "Drama / Serien")
            + '<div class="pmovie__player"><div class="pmovie__series-select d-flex ai-center">'
            f'<select class="flex-grow-1 seasons-select" onchange="location.href=this.value">'
            f"{season_select}</select>"
            f'<select class="flex-grow-1 mr-select se-select" id="se-select">{options}'
            f'<!-- <option value="ep{len(episodes) + 1}">Episode {len(episodes) + 1}</option> -->'
            f"</select></div>{hosters}"
            f'<iframe id="film_main" data-src="{_e(first)}" allowfullscreen></iframe>'
            "<script>document.getElementById('se-select').onchange=function(){};</script></div>"
            + self._related(title)
        )
        ld = {"@context": "https://schema.org", "@type": "TVSeason", "name": h1}
        return _page(h1, body, ld)

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
        cards = []
        for t in self.search(story):
            for n, path in enumerate(post_paths(t)):
                name = t.title if t.kind == "movie" else post_title(t, n + 1)
                cards.append(
                    f'<a class="poster grid-item d-flex fd-column" href="{path}">'
                    f'<h3 class="poster__title">{_e(name)}</h3>'
                    f'<ul class="poster__subtitle"><li>USA, {t.year}</li></ul></a>'
                )
        results = "".join(cards) or '<div class="berrors">Keine Ergebnisse.</div>'
        if layout:
            return _page("Suche", f'<div id="search-results">{results}</div>')
        return _page("Suche", f"<h1>Suche: {_e(story)}</h1>{results}")


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
        name = request.path_params["name"]
        xml = site.child_sitemap(base(request), name, render_faults(request.scope))
        if xml is None:
            return _not_found()
        if name.endswith(".gz"):
            data = gzip.compress(xml.encode(), compresslevel=5, mtime=0)
            return Response(data, media_type="application/x-gzip")
        return Response(xml, media_type=_XML)

    async def film(request: Request) -> Response:
        post_id = request.path_params["id"]
        title = catalog.by_site_id(post_id // 100) if post_id % 100 == 0 else None
        if title is None or title.kind != "movie" or request.path_params["slug"] != title.slug:
            return _not_found()
        return HTMLResponse(site.film_page(title, render_faults(request.scope).layout, request))

    async def serial(request: Request) -> Response:
        post_id = request.path_params["id"]
        title = catalog.by_site_id(post_id // 100)
        if title is None or title.kind != "series":
            return _not_found()
        season = post_id % 100
        if f"/serials/{post_id}-{request.path_params['slug']}.html" != post_path(title, season):
            return _not_found()
        html = site.serial_page(title, season, render_faults(request.scope).layout, request)
        return _not_found() if html is None else HTMLResponse(html)

    async def index_php(request: Request) -> Response:
        if "yg" in request.query_params:
            return Response("", media_type="text/plain")
        if request.query_params.get("do") != "search":
            return _not_found()
        story = request.query_params.get("story", "")
        return HTMLResponse(site.search_page(story, render_faults(request.scope).layout))

    routes = [
        Route("/sitemap.xml", sitemap_index),
        Route("/sitemaps/{name}", child),
        Route("/films/{id:int}-{slug}.html", film),
        Route("/serials/{id:int}-{slug}.html", serial),
        Route("/index.php", index_php),
    ]
    return site_app(routes, catalog, controller)


def _not_found() -> Response:
    return HTMLResponse(_page("Nicht gefunden", "<h1>404</h1>"), status_code=404)
