"""The s.to provider (Serienstream "v2" layout, live since 2026-01).

* **Listing** — one page, ``/serien?by=alpha``: every ``/serie/<slug>`` anchor with its title as
  text (and ``data-alternative-title`` aliases), parsed while it downloads (:class:`ListingStream`:
  one ``<li>`` batch at a time, so a 100,000-title page is never held whole). The site has no
  paging, so :meth:`StoProvider.list_titles` returns everything at once (``has_more`` False).
  When the page breaks off (connection lost, timeout, or it ends before ``</html>``) after some
  titles, the call raises ``partial`` with the titles read and the cursor
  ``after:<slug of the last one>``; a call with that cursor re-reads the page and returns only the
  titles after it (all of them if that slug is gone).
* **Detail** — the series page (title, year from its ``/jahr/YYYY`` link, IMDb id, season links)
  and every season page: episode rows with German/English titles and **languages from the row's
  flags** (as aniworld 4.x ``SerienstreamSeason.episode_languages`` reads them). Only rows that
  show no flags cost their episode page (player buttons ``data-language-label``/``-id``).
  Cost: ``1 + seasons`` requests per title, plus one per flagless row; ``episode_languages:
  false`` never fetches episode pages. An announced season (the newest one, its page listing no
  episode yet) is a season with 0 episodes; a title whose seasons are all empty, or an older
  season without episodes, is a layout change (``invalid_data``). A season or episode page the
  site links but answers 404 fails the detail as ``upstream`` (retried later).

Parsing lives in :mod:`anibridge_like.providers.sto_pages`; HTTP politeness (per-host concurrency
and request rate, the host-wide Retry-After pause, timeout, error mapping) in :class:`PoliteClient`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

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
from anibridge_like.providers.sto_pages import (
    EpisodeLanguages,
    EpisodeLink,
    ListingStream,
    SeasonLink,
    parse_episode_page,
    parse_season_page,
    parse_series_page,
)

log = structlog.get_logger(__name__)

_AFTER = "after:"
T = TypeVar("T")


class StoConfig(HttpProviderConfig):
    """Instance configuration of the s.to provider."""

    base_url: str = Field("https://s.to", description="Site root of the s.to-style site.")
    listing_path: str = Field(
        "/serien?by=alpha", description="Path of the alphabetical listing of every series."
    )
    episode_languages: bool = Field(
        True,
        description="Fetch the episode page of rows whose season page shows no language "
        "flags (one request per such episode); when off, those episodes carry no languages.",
    )


class StoProvider:
    """Provider for an s.to-style site (see the module docstring)."""

    capabilities: ClassVar[ProviderCapabilities] = ProviderCapabilities(
        site="sto",
        listable=True,
        kinds=frozenset({"series"}),
        languages=frozenset({Language.GERMAN_DUB, Language.ENGLISH_DUB, Language.GERMAN_SUB}),
        paged_listing=False,
    )
    config_model: ClassVar[type[StoConfig]] = StoConfig

    def __init__(self, config: StoConfig | Mapping[str, Any], client: httpx.AsyncClient) -> None:
        self.config = config if isinstance(config, StoConfig) else StoConfig.model_validate(config)
        self._http = PoliteClient(self.config, client, plugin="sto", site=self.site)
        self._log = log.bind(plugin="sto", site=self.site)

    @property
    def site(self) -> str:
        return self.config.site or self.capabilities.site

    @property
    def requests_sent(self) -> int:
        """Requests this instance put on the wire (retries included)."""
        return self._http.requests_sent

    async def list_titles(self, cursor: str | None) -> TitlePage:
        path = self.config.listing_path
        after = cursor[len(_AFTER) :] if cursor and cursor.startswith(_AFTER) else None
        stream = ListingStream(after)
        items: list[TitleItem] = []
        try:
            async with self._http.stream_text(path) as body:
                async for chunk in body:
                    items.extend(stream.feed(chunk))
        except PluginError as err:
            if not items or err.code not in (ErrorCode.TIMEOUT, ErrorCode.UPSTREAM):
                raise
            raise self._partial(items, err.message) from err
        listing = stream.close()
        items.extend(listing.items)
        if not listing.complete:
            raise self._partial(items, "page truncated (no </html>)")
        self._log.info("provider.listing_parsed", titles=len(items), cursor=cursor or "")
        return TitlePage(items=items, next_cursor=None, has_more=False)

    def _partial(self, items: list[TitleItem], why: str) -> PluginError:
        resume = f"{_AFTER}{items[-1].slug}"
        self._log.warning("provider.listing_partial", titles=len(items), cursor=resume, reason=why)
        return PluginError(
            ErrorCode.PARTIAL,
            f"s.to listing broke off after {len(items)} titles ({why})",
            items=items,
            cursor=resume,
        )

    async def fetch_detail(self, slug: str) -> TitleDetail:
        series = await self._http.parsed(
            f"/serie/{quote(slug, safe='')}", lambda html: parse_series_page(html, slug)
        )
        seasons = await gather_all(self._season(slug, link) for link in series.seasons)
        self._check_empty_seasons(slug, series.seasons, seasons)
        links = [link for season in seasons for link in season]
        languages = [link.languages or frozenset() for link in links]
        missing = [n for n, link in enumerate(links) if link.languages is None]
        if missing and self.config.episode_languages:
            pages = await gather_all(self._languages(links[n]) for n in missing)
            for n, page in zip(missing, pages, strict=True):
                languages[n] = page.languages
            unknown = sorted({label for page in pages for label in page.unknown})
            if unknown:
                self._log.warning(
                    "provider.unknown_languages",
                    slug=slug,
                    labels=unknown,
                    episodes=sum(1 for page in pages if page.unknown),
                )
        episodes = [
            Episode(
                season=link.season,
                number=link.number,
                kind=episode_kind(link.season),
                titles=link.titles,
                languages=langs,
            )
            for link, langs in zip(links, languages, strict=True)
        ]
        return TitleDetail(
            slug=slug,
            title=series.title,
            kind="series",
            aliases=series.aliases,
            year=series.year,
            episodes=episodes,
            external_ids=series.external_ids,
        )

    @staticmethod
    def _check_empty_seasons(
        slug: str, seasons: list[SeasonLink], episodes: list[list[EpisodeLink]]
    ) -> None:
        """Only the newest season may be empty (announced); anything else is a layout change."""
        filled = [link.season for link, eps in zip(seasons, episodes, strict=True) if eps]
        empty = [link.season for link, eps in zip(seasons, episodes, strict=True) if not eps]
        if not empty:
            return
        if not filled:
            raise PluginError(
                ErrorCode.INVALID_DATA,
                f"s.to series {slug!r}: no season page lists an episode (layout changed?)",
            )
        newest = max(filled)
        if any(season < newest for season in empty):
            raise PluginError(
                ErrorCode.INVALID_DATA,
                f"s.to series {slug!r}: season(s) {sorted(empty)} list no episode although later"
                f" season {newest} does (layout changed?)",
            )

    async def _linked(self, path: str, linked_from: str, parse: Callable[[str], T]) -> T:
        """A page the site itself links, parsed; its 404 is the site's inconsistency (often a
        page being rebuilt), reported as ``upstream`` so the title is retried later rather than
        stored without it."""
        try:
            return await self._http.parsed(path, parse)
        except PluginError as err:
            if err.code != ErrorCode.NOT_FOUND:
                raise
            raise PluginError(
                ErrorCode.UPSTREAM, f"s.to {path} is linked from {linked_from} but answers 404"
            ) from err

    async def _season(self, slug: str, link: SeasonLink) -> list[EpisodeLink]:
        return await self._linked(
            link.path, f"/serie/{slug}", lambda html: parse_season_page(html, slug, link.season)
        )

    async def _languages(self, link: EpisodeLink) -> EpisodeLanguages:
        season_path = link.path.rsplit("/", 1)[0]
        return await self._linked(
            link.path, season_path, lambda html: parse_episode_page(html, link.path)
        )
