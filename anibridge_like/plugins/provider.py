"""The provider contract: what a streaming-site plugin offers the catalog pipeline.

A provider implementation is **stateless**: it is constructed once per plugin instance with that
instance's config mapping and a shared :class:`httpx.AsyncClient`, keeps no catalog state and never
touches the database. It raises only :class:`~anibridge_like.plugins.errors.PluginError`.

Stages call it like this::

    page = await provider.list_titles(cursor="")        # title stage; "" = start a full listing
    while page.has_more:
        page = await provider.list_titles(page.next_cursor)
    detail = await provider.fetch_detail(slug)          # detail stage, one title at a time

Every item carries a slug that is stable and unique within the provider's ``site`` (the catalog is
keyed by ``(site, slug)``, so two instances that point at the same site share one index).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

import httpx

TitleKind = Literal["series", "movie"]
EpisodeKind = Literal["episode", "special", "film"]

FILM_SEASON = -1
"""Season number under which films are stored (a series' films and a movie title's one entry)."""
SPECIAL_SEASON = 0
"""Season number of specials, as TVDB numbers them."""


def episode_kind(season: int) -> EpisodeKind:
    """The kind of an entry from the season it is filed under (films -1, specials 0)."""
    if season == FILM_SEASON:
        return "film"
    return "special" if season == SPECIAL_SEASON else "episode"


class Language(StrEnum):
    """The fixed vocabulary of audio/subtitle variants; values are stored in the database."""

    GERMAN_DUB = "de_dub"
    """German audio."""
    GERMAN_SUB = "de_sub"
    """Japanese (original) audio with German subtitles."""
    ENGLISH_DUB = "en_dub"
    """English audio."""
    ENGLISH_SUB = "en_sub"
    """Japanese (original) audio with English subtitles."""
    JAPANESE = "ja"
    """Japanese (original) audio without subtitles."""

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Language.GERMAN_DUB: "German Dub",
    Language.GERMAN_SUB: "German Sub",
    Language.ENGLISH_DUB: "English Dub",
    Language.ENGLISH_SUB: "English Sub",
    Language.JAPANESE: "Japanese",
}


@dataclass(frozen=True, slots=True)
class TitleItem:
    """One entry of a site's title listing."""

    slug: str
    title: str
    kind: TitleKind = "series"
    aliases: tuple[str, ...] = ()
    year: int | None = None


@dataclass(frozen=True, slots=True)
class TitlePage:
    """One page of a listing. ``next_cursor`` resumes the listing when ``has_more``."""

    items: list[TitleItem]
    next_cursor: str | None = None
    has_more: bool = False


@dataclass(frozen=True, slots=True)
class Episode:
    """One episode (or special, or film) as the site numbers it."""

    season: int
    number: int
    absolute: int | None = None
    kind: EpisodeKind = "episode"
    titles: Mapping[str, str] = field(default_factory=dict)
    """Episode titles keyed by ISO 639-1 language ("de", "en", "ja")."""
    languages: frozenset[Language] = frozenset()


@dataclass(frozen=True, slots=True)
class TitleDetail:
    """Everything the site says about one title."""

    slug: str
    title: str
    kind: TitleKind = "series"
    aliases: tuple[str, ...] = ()
    year: int | None = None
    episodes: list[Episode] = field(default_factory=list)
    external_ids: Mapping[str, str] = field(default_factory=dict)
    """Ids the site itself links (e.g. ``{"imdb": "tt0944947"}``); explicit ids win in matching."""


@dataclass(frozen=True, slots=True)
class ProviderCapabilities:
    """What a provider can do, declared as data (the core never probes names)."""

    site: str
    """Default site key for the catalog rows (an instance may override it with ``site:``)."""
    listable: bool = True
    """False for search-only sites (no full listing)."""
    kinds: frozenset[TitleKind] = frozenset({"series"})
    languages: frozenset[Language] = frozenset(Language)
    paged_listing: bool = False
    final_listing_titles: bool = True
    """False when the listing's titles are provisional (e.g. derived from URL slugs) and only
    the detail reads the real title, year and aliases (which then replace them)."""


@runtime_checkable
class Provider(Protocol):
    """A provider instance. Construct with ``Impl(config, client)``."""

    capabilities: ClassVar[ProviderCapabilities]

    @property
    def site(self) -> str:
        """The catalog's site key for this instance."""
        ...

    async def list_titles(self, cursor: str | None) -> TitlePage:
        """One page of the title listing; ``None``/``""`` starts a full listing."""
        ...

    async def fetch_detail(self, slug: str) -> TitleDetail:
        """Seasons, episodes and languages of one title."""
        ...


class ProviderFactory(Protocol):
    capabilities: ClassVar[ProviderCapabilities]
    config_model: ClassVar[type[Any]]
    """A pydantic model validating the instance's ``config`` mapping."""

    def __call__(self, config: Mapping[str, Any], client: httpx.AsyncClient) -> Provider: ...
