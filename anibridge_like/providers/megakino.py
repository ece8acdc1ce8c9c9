"""The megakino provider (a DataLife-Engine film/series site, German audio only).

Listing — the sitemap only
    ``/sitemap.xml`` is a sitemap index; its child sitemaps (plain ``.xml`` or gzipped
    ``.xml.gz``, ``lastmod`` optional) list ``/films/<id>-<slug>.html`` and one
    ``/serials/<id>-<slug>-<n>-staffel.html`` post **per season**. Posts of one serial are grouped
    into one series title (keyed by the slug without its season suffix). The listing reads no
    title page, so one broken page can never cost the listing anything; its titles are
    provisional (the slug in title case, :attr:`ProviderCapabilities.final_listing_titles` is
    False) until the detail stage reads the real title, original title and year. Cost: the
    sitemaps only.

    Paging: one :meth:`MegakinoProvider.list_titles` call walks child sitemaps until it holds
    ``titles_per_page`` titles; the cursor is the **path of the next child sitemap** (the index is
    re-read on resume; it is small). When child *k* fails and titles of earlier children were
    gathered in this call, the call raises ``partial`` with those titles and cursor = child *k*.
    Should two film ids share one slug (a remake), the later one is keyed ``<slug>-<id>``.

Detail — the posts themselves
    The post paths the listing saw are remembered per slug by this provider object (a bounded
    map, an optimisation for the run that listed; a provider object that did not list — a later
    retry run, a restart — asks the site's DLE search ``/index.php?do=search&subaction=search&
    story=<slug words>`` at the cost of one request). A film is one post: title, original title
    (stored as an alias: it is the way to TMDB for German titles), year and one entry under
    ``FILM_SEASON`` in German. A serial is one post per season (the season select names the
    sibling posts): each gives its season number (``X - Staffel N`` / ``X - N. Staffel``) and
    episodes (the hoster selects ``#ep<N>``), all German. Cost: one request per post (+1 for a
    search).

Parsers: :mod:`anibridge_like.providers.megakino_pages`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx
import structlog
from pydantic import Field

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import (
    FILM_SEASON,
    Episode,
    Language,
    ProviderCapabilities,
    TitleDetail,
    TitleItem,
    TitlePage,
)
from anibridge_like.providers.fanout import gather_all
from anibridge_like.providers.http import HttpProviderConfig, PoliteClient
from anibridge_like.providers.megakino_pages import (
    PostInfo,
    SitemapEntry,
    invalid,
    parse_post,
    parse_search_results,
    parse_sitemap,
    sitemap_text,
)

log = structlog.get_logger(__name__)

_RESUMABLE = frozenset({ErrorCode.UPSTREAM, ErrorCode.TIMEOUT, ErrorCode.RATE_LIMITED})
_ID_SUFFIX = re.compile(r"^(.+)-(\d+)$")
_GERMAN = frozenset({Language.GERMAN_DUB})
_REMEMBERED = 200_000


class MegakinoConfig(HttpProviderConfig):
    """Instance configuration of the megakino provider (``base_url`` is required: the site
    moves between mirror domains, so there is no sensible default)."""

    sitemap_path: str = Field("/sitemap.xml", description="Path of the sitemap (index).")
    search_path: str = Field("/index.php", description="Path of the DLE search endpoint.")
    titles_per_page: int = Field(
        1000,
        ge=1,
        le=100_000,
        description="A listing call returns after the child sitemap that brings it to this "
        "many titles (the cursor resumes at the next child).",
    )


class MegakinoProvider:
    """Provider for a megakino-style site (see the module docstring)."""

    capabilities: ClassVar[ProviderCapabilities] = ProviderCapabilities(
        site="megakino",
        listable=True,
        kinds=frozenset({"movie", "series"}),
        languages=_GERMAN,
        paged_listing=True,
        final_listing_titles=False,
    )
    config_model: ClassVar[type[MegakinoConfig]] = MegakinoConfig

    def __init__(
        self, config: MegakinoConfig | Mapping[str, Any], client: httpx.AsyncClient
    ) -> None:
        self.config = (
            config if isinstance(config, MegakinoConfig) else MegakinoConfig.model_validate(config)
        )
        self._http = PoliteClient(self.config, client, plugin="megakino", site=self.site)
        self._log = log.bind(plugin="megakino", site=self.site)
        self._paths: dict[str, list[SitemapEntry]] = {}
        """Posts per slug as the listing saw them (saves the search in the detail)."""

    @property
    def site(self) -> str:
        return self.config.site or self.capabilities.site

    @property
    def requests_sent(self) -> int:
        """Requests this instance put on the wire (retries included)."""
        return self._http.requests_sent

    # ---- listing ------------------------------------------------------------------------
    async def _sitemap(self, path: str, document: str) -> str:
        return sitemap_text(await self._http.get_bytes(path), document)

    async def list_titles(self, cursor: str | None) -> TitlePage:
        root_path = self.config.sitemap_path
        root = parse_sitemap(
            await self._sitemap(root_path, f"sitemap {root_path}"), f"sitemap {root_path}"
        )
        if root.kind == "urlset":  # a plain sitemap: one page
            flat = self._title_items(root.entries, {})
            if not flat:
                raise invalid(f"sitemap {root_path}", "title URLs /films|serials/<id>-<slug>.html")
            return TitlePage(items=flat)
        children = root.children
        start = 0
        if cursor:
            if cursor not in children:
                raise PluginError(
                    ErrorCode.INVALID_DATA,
                    f"megakino: cursor child sitemap {cursor!r} is no longer in {root_path}",
                    retry=False,
                )
            start = children.index(cursor)
        items: list[TitleItem] = []
        seen: dict[str, int] = {}
        position = start
        while position < len(children) and len(items) < self.config.titles_per_page:
            child = children[position]
            try:
                items.extend(await self._child(child, seen))
            except PluginError as err:
                resumable = err.code in _RESUMABLE or (
                    err.code == ErrorCode.INVALID_DATA and err.retry  # truncated in transit
                )
                if not items or not resumable:
                    raise
                self._log.warning(
                    "provider.listing_partial", titles=len(items), cursor=child, error=err.message
                )
                raise PluginError(
                    ErrorCode.PARTIAL,
                    f"child sitemap {child} failed after {len(items)} titles: {err.message}",
                    retry_after=err.retry_after,
                    items=items,
                    cursor=child,
                ) from err
            position += 1
        has_more = position < len(children)
        if not items and start == 0 and not has_more:
            raise invalid(
                f"sitemap {root_path}", "title URLs /films|serials/<id>-<slug>.html in any child"
            )
        self._log.info(
            "provider.listing_page",
            titles=len(items),
            children=position - start,
            cursor=cursor or "",
            has_more=has_more,
        )
        return TitlePage(
            items=items,
            next_cursor=children[position] if has_more else None,
            has_more=has_more,
        )

    async def _child(self, path: str, seen: dict[str, int]) -> list[TitleItem]:
        document = f"child sitemap {path}"
        sitemap = parse_sitemap(await self._sitemap(path, document), document)
        if sitemap.kind != "urlset":
            raise invalid(document, "<urlset> root (nested index)")
        return self._title_items(sitemap.entries, seen)

    def _title_items(self, entries: list[SitemapEntry], seen: dict[str, int]) -> list[TitleItem]:
        """One item per film and per serial (its season posts grouped by slug)."""
        items: list[TitleItem] = []
        for entry in entries:
            slug = entry.slug
            owner = seen.get(slug)
            if entry.kind == "series" and owner is not None and owner < 0:
                self._remember(slug, entry)  # another season post of a serial already listed
                continue
            if owner is not None:  # another title with the same slug: key it by id
                slug = f"{entry.slug}-{entry.site_id}"
            seen[slug] = -1 if entry.kind == "series" else entry.site_id
            self._paths.pop(slug, None)
            self._remember(slug, entry)
            items.append(TitleItem(slug, _provisional(entry.slug), entry.kind))
        return items

    def _remember(self, slug: str, entry: SitemapEntry) -> None:
        if len(self._paths) >= _REMEMBERED and slug not in self._paths:
            self._paths.pop(next(iter(self._paths)))
        self._paths.setdefault(slug, []).append(entry)

    # ---- detail -------------------------------------------------------------------------
    async def fetch_detail(self, slug: str) -> TitleDetail:
        entries = self._paths.get(slug) or await self._resolve(slug)
        first = entries[0]
        posts = [(first, await self._post(first))]
        known = {e.path for e in entries}
        rest = list(entries[1:])
        for path in posts[0][1].siblings:
            sibling = next((e for e in entries if e.path == path), None)
            if path not in known:
                known.add(path)
                sibling = SitemapEntry(first.site_id, first.slug, "series", path)
                rest.append(sibling)
        pages = await gather_all(self._post(e) for e in rest)
        posts.extend(zip(rest, pages, strict=True))
        head = posts[0][1]
        aliases = (
            (head.original_title,)
            if head.original_title and head.original_title != head.title
            else ()
        )
        if first.kind == "movie":
            titles = {"de": head.title} | (
                {"en": head.original_title} if head.original_title else {}
            )
            episodes = [Episode(FILM_SEASON, 1, kind="film", titles=titles, languages=_GERMAN)]
        else:
            found: dict[tuple[int, int], Episode] = {}
            for entry, post in posts:
                season = post.season if post.season is not None else entry.season
                assert season is not None
                for number in post.episodes:
                    found.setdefault((season, number), Episode(season, number, languages=_GERMAN))
            episodes = [found[k] for k in sorted(found)]
        return TitleDetail(
            slug=slug,
            title=head.title,
            kind=first.kind,
            aliases=aliases,
            year=head.year,
            episodes=episodes,
        )

    async def _post(self, entry: SitemapEntry) -> PostInfo:
        return await self._http.parsed(entry.path, lambda html: parse_post(html, entry))

    async def _resolve(self, slug: str) -> list[SitemapEntry]:
        """The posts of ``slug`` via the site's search (``<slug>-<id>`` keys a film by id)."""
        found = [e for e in await self._search(slug) if e.slug == slug]
        if not found:
            suffix = _ID_SUFFIX.match(slug)
            if suffix is not None:
                base, site_id = suffix.group(1), int(suffix.group(2))
                found = [
                    e for e in await self._search(base) if e.slug == base and e.site_id == site_id
                ]
        if not found:
            raise PluginError(ErrorCode.NOT_FOUND, f"megakino: no post found for {slug!r}")
        found.sort(key=lambda e: (e.season or 0, e.site_id))
        return found

    async def _search(self, slug: str) -> list[SitemapEntry]:
        query = urlencode({"do": "search", "subaction": "search", "story": slug.replace("-", " ")})
        path = f"{self.config.search_path}?{query}"
        return await self._http.parsed(path, lambda h: parse_search_results(h, f"search {path}"))


def _provisional(slug: str) -> str:
    """A title for the listing until the detail reads the real one (the slug in title case)."""
    return " ".join(part.capitalize() for part in slug.split("-") if part) or slug
