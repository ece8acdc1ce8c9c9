"""The megakino-style provider (a DataLife-Engine movie/series site).

Listing — the sitemap, followed into its children, **plus every title page**
    ``/sitemap.xml`` is a sitemap index; its child sitemaps list ``/films/<id>-<slug>.html`` and
    ``/serials/<id>-<slug>.html``. A sitemap knows only id, slug and kind, and a slug title-cased
    is not the title (the peer project's bug), so the title stage also fetches each title page
    (concurrently, under the instance's per-host limit) and the listing yields the **real title,
    year and aliases**. Cost: one request per title in the listing on top of the detail's.

    Paging: one :meth:`MegakinoProvider.list_titles` call walks child sitemaps until it holds
    ``titles_per_page`` titles; the cursor is the **path of the next child sitemap** (the index is
    re-read on resume; it is small). When child *k* fails (after the client's retries) and titles
    of earlier children were gathered in this call, the call raises ``partial`` with those titles
    and cursor = child *k*, so the listing resumes exactly there. A title page that answers 404
    (listed but gone) is skipped and logged.

    Slugs: the catalog key is the URL's slug. Should two ids share one slug (a remake), the later
    one is keyed ``<slug>-<id>``.

Detail — search, then the title page
    The contract hands :meth:`~MegakinoProvider.fetch_detail` only a slug, and megakino URLs need
    the numeric id, so the detail first asks the site's DLE search
    (``/index.php?do=search&subaction=search&story=<slug words>``) for the URL whose slug matches,
    then parses the title page: a film is one episode under ``FILM_SEASON`` (German title = the
    page title, English title = the page's English title), a serial lists its seasons and episodes
    with titles and languages. Two requests per title.

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
    Episode,
    Language,
    ProviderCapabilities,
    TitleDetail,
    TitleItem,
    TitlePage,
    episode_kind,
)
from anibridge_like.providers.fanout import gather_all
from anibridge_like.providers.http import HttpProviderConfig, PoliteClient
from anibridge_like.providers.megakino_pages import (
    SitemapEntry,
    invalid,
    parse_search_results,
    parse_sitemap,
    parse_title_page,
)

log = structlog.get_logger(__name__)

_RESUMABLE = frozenset({ErrorCode.UPSTREAM, ErrorCode.TIMEOUT, ErrorCode.RATE_LIMITED})
_ID_SUFFIX = re.compile(r"^(.+)-(\d+)$")


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
        languages=frozenset({Language.GERMAN_DUB, Language.ENGLISH_DUB, Language.GERMAN_SUB}),
        paged_listing=True,
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

    @property
    def site(self) -> str:
        return self.config.site or self.capabilities.site

    @property
    def requests_sent(self) -> int:
        """Requests this instance put on the wire (retries included)."""
        return self._http.requests_sent

    # ---- listing ------------------------------------------------------------------------
    async def list_titles(self, cursor: str | None) -> TitlePage:
        root_path = self.config.sitemap_path
        root = parse_sitemap(await self._http.get_text(root_path), f"sitemap {root_path}")
        if root.kind == "urlset":  # a plain sitemap: one page
            flat = await self._title_items(root.entries, set())
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
        slugs: set[str] = set()
        position = start
        while position < len(children) and len(items) < self.config.titles_per_page:
            child = children[position]
            try:
                items.extend(await self._child(child, slugs))
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

    async def _child(self, path: str, slugs: set[str]) -> list[TitleItem]:
        sitemap = parse_sitemap(await self._http.get_text(path), f"child sitemap {path}")
        if sitemap.kind != "urlset":
            raise invalid(f"child sitemap {path}", "<urlset> root (nested index)")
        return await self._title_items(sitemap.entries, slugs)

    async def _title_items(self, entries: list[SitemapEntry], slugs: set[str]) -> list[TitleItem]:
        found = await gather_all(self._title_item(entry) for entry in entries)
        items: list[TitleItem] = []
        for entry, item in zip(entries, found, strict=True):
            if item is None:
                continue
            if item.slug in slugs:  # another id with the same slug: key it by id
                item = TitleItem(
                    f"{entry.slug}-{entry.site_id}", item.title, item.kind, item.aliases, item.year
                )
            slugs.add(item.slug)
            items.append(item)
        return items

    async def _title_item(self, entry: SitemapEntry) -> TitleItem | None:
        try:
            html = await self._http.get_text(entry.path)
        except PluginError as err:
            if err.code != ErrorCode.NOT_FOUND:
                raise
            self._log.warning("provider.title_gone", path=entry.path)
            return None
        info = parse_title_page(html, entry.path, entry.kind)
        return TitleItem(entry.slug, info.title, entry.kind, info.aliases, info.year)

    # ---- detail -------------------------------------------------------------------------
    async def fetch_detail(self, slug: str) -> TitleDetail:
        entry = await self._resolve(slug)
        info = parse_title_page(await self._http.get_text(entry.path), entry.path, entry.kind)
        if info.unknown_languages:
            self._log.warning(
                "provider.unknown_languages", slug=slug, labels=list(info.unknown_languages)
            )
        episodes = [
            Episode(
                season=ep.season,
                number=ep.number,
                kind=episode_kind(ep.season),
                titles=ep.titles,
                languages=ep.languages,
            )
            for ep in info.episodes
        ]
        return TitleDetail(
            slug=slug,
            title=info.title,
            kind=entry.kind,
            aliases=info.aliases,
            year=info.year,
            episodes=episodes,
            external_ids=info.external_ids,
        )

    async def _resolve(self, slug: str) -> SitemapEntry:
        """The title URL of ``slug`` via the site's search (``<slug>-<id>`` keys by id)."""
        for entry in await self._search(slug):
            if entry.slug == slug:
                return entry
        suffix = _ID_SUFFIX.match(slug)
        if suffix is not None:
            base, site_id = suffix.group(1), int(suffix.group(2))
            for entry in await self._search(base):
                if entry.slug == base and entry.site_id == site_id:
                    return entry
        raise PluginError(ErrorCode.NOT_FOUND, f"megakino: no title page found for {slug!r}")

    async def _search(self, slug: str) -> list[SitemapEntry]:
        query = urlencode({"do": "search", "subaction": "search", "story": slug.replace("-", " ")})
        path = f"{self.config.search_path}?{query}"
        return parse_search_results(await self._http.get_text(path), f"search {path}")
