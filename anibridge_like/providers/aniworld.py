"""AniWorld-style provider: the alphabet page for the listing, series + season pages for details.

Listing
    ``/animes-alphabet`` is one page with every title: ``#seriesContainer`` holds one ``h3`` per
    letter section followed by ``li > a[href=/anime/stream/<slug>]`` entries whose
    ``data-alternative-title`` lists aliases (comma separated). The page is parsed while it streams
    (:class:`AlphabetStream`), so a 100,000-title page never sits in memory as a whole; a full
    listing is one :meth:`~AniWorldProvider.list_titles` call (``has_more`` False).

Cursor
    ``"<section>:<n>"``: resume at the ``n``-th entry of letter section ``section`` (sections are
    ordered: non-letters such as ``#`` and ``0-9`` first, then ``A``–``Z``). If the body breaks
    off or ends truncated after some titles were read, the call raises ``partial`` with those
    titles and the cursor of the first one missing; calling again with that cursor re-reads the
    page and returns exactly the rest.

Details
    The series page (``/anime/stream/<slug>``) gives title, aliases (``data-alternativetitles``),
    start year, IMDb id, the season nav (``#stream``: ``staffel-N``, ``staffel-0`` = specials,
    ``filme`` = films) and the active season's table; every other season is one more page. Rows
    are ``tr[itemtype=schema.org/Episode]`` (``meta[itemprop=episodeNumber]`` or the
    ``episode-N``/``film-N`` link), German title in ``strong``, English in ``span``, languages
    from flag images (:data:`FLAG_LANGUAGES`). A title with nothing but films (its nav links only
    ``filme``) is kind ``movie`` (the listing cannot tell; it says ``series`` until the detail).

Required parts missing (container, nav, table, title, row numbers) raise ``invalid_data`` naming
what was missing; a page that does not end in ``</html>`` counts as truncated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import httpx
import structlog
from pydantic import Field

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import (
    FILM_SEASON,
    Episode,
    ProviderCapabilities,
    TitleDetail,
    TitleItem,
    TitlePage,
)
from anibridge_like.providers.aniworld_pages import (
    FLAG_LANGUAGES,
    AlphabetStream,
    PageTruncated,
    invalid,
    parse_season_page,
    parse_series_page,
)
from anibridge_like.providers.http import HttpProviderConfig, PoliteClient, Sleep

log = structlog.get_logger(__name__)


class AniWorldConfig(HttpProviderConfig):
    """Instance config of the AniWorld-style provider."""

    base_url: str = Field("https://aniworld.to", description="Site root.")
    alphabet_path: str = Field("/animes-alphabet", description="Path of the A-Z listing page.")
    stream_listing: bool = Field(
        True, description="Parse the listing while it downloads (bounded memory)."
    )


class AniWorldProvider:
    """Provider for AniWorld-style sites (see the module docstring)."""

    capabilities: ClassVar[ProviderCapabilities] = ProviderCapabilities(
        site="aniworld",
        listable=True,
        kinds=frozenset({"series", "movie"}),
        languages=frozenset(FLAG_LANGUAGES.values()),
        paged_listing=False,
    )
    config_model: ClassVar[type[AniWorldConfig]] = AniWorldConfig

    def __init__(
        self,
        config: AniWorldConfig | Mapping[str, Any],
        client: httpx.AsyncClient,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.config = (
            config if isinstance(config, AniWorldConfig) else AniWorldConfig.model_validate(config)
        )
        self._site = self.config.site or self.capabilities.site
        self.http = PoliteClient(self.config, client, sleep=sleep, site=self._site)
        self._log = log.bind(site=self._site)

    @property
    def site(self) -> str:
        return self._site

    async def list_titles(self, cursor: str | None) -> TitlePage:
        path = self.config.alphabet_path
        stream = AlphabetStream(cursor, where=f"alphabet page {path}")
        items: list[TitleItem] = []
        try:
            if self.config.stream_listing:
                async with self.http.stream_text(path) as chunks:
                    async for chunk in chunks:
                        items.extend(stream.feed(chunk))
            else:
                items.extend(stream.feed(await self.http.get_text(path)))
            items.extend(stream.close())
        except PageTruncated:
            if not items:
                raise invalid("page truncated (no </html>)", f"alphabet page {path}") from None
            raise self._partial(items, stream, "page truncated (no </html>)") from None
        except PluginError as err:
            if not items or err.code not in (ErrorCode.TIMEOUT, ErrorCode.UPSTREAM):
                raise
            raise self._partial(items, stream, err.message) from err
        self._log.info("provider.listing_parsed", titles=len(items), cursor=cursor or "")
        return TitlePage(items=items, next_cursor=None, has_more=False)

    def _partial(self, items: list[TitleItem], stream: AlphabetStream, why: str) -> PluginError:
        self._log.warning(
            "provider.listing_partial", titles=len(items), cursor=stream.cursor, reason=why
        )
        return PluginError(
            ErrorCode.PARTIAL,
            f"alphabet page broke off after {len(items)} titles ({why})",
            items=items,
            cursor=stream.cursor,
        )

    async def fetch_detail(self, slug: str) -> TitleDetail:
        path = f"/anime/stream/{slug}"
        page = await self.http.parsed(
            path, lambda html: parse_series_page(html, f"series page {path}")
        )
        episodes = list(page.episodes)
        for season, href in page.seasons.items():
            if season == page.active:
                continue
            where = f"season page {href}"
            try:
                rows = await self.http.parsed(href, _season_parser(season, where))
            except PluginError as err:
                if err.code != ErrorCode.NOT_FOUND:
                    raise
                raise PluginError(
                    ErrorCode.UPSTREAM, f"{where} is linked from {path} but answers 404"
                ) from err
            episodes.extend(rows)
        episodes.sort(key=lambda e: (e.season < 0, e.season, e.number))
        self._log.debug("provider.detail_parsed", slug=slug, episodes=len(episodes))
        # a title with nothing but films (only a /filme page) is a film: the canonical stage maps
        # it as a movie
        film_only = bool(episodes) and all(e.season == FILM_SEASON for e in episodes)
        return TitleDetail(
            slug=slug,
            title=page.title,
            kind="movie" if film_only else "series",
            aliases=page.aliases,
            year=page.year,
            episodes=episodes,
            external_ids={"imdb": page.imdb} if page.imdb else {},
        )


def _season_parser(season: int, where: str) -> Callable[[str], list[Episode]]:
    def parse(html: str) -> list[Episode]:
        return parse_season_page(html, season, where)

    return parse
