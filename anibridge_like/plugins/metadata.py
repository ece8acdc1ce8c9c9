"""The metadata contract: what a canonical-metadata plugin (SkyHook/TVDB, AniList, TMDB) offers the
canonical stage.

A metadata implementation is **stateless**: it is constructed once per plugin instance as
``Impl(config_model_instance, httpx_async_client)``, keeps no state between calls, never touches
the database and raises only :class:`~anibridge_like.plugins.errors.PluginError`. Caching (with a
TTL, in the database), rate limiting and retries are the core's business.

The canonical stage calls it like this::

    candidates = await meta.search_series("Shingeki no Kyojin", 2013, ("Attack on Titan",))
    series = await meta.get_series(candidates[0].id)          # seasons/episodes + external ids
    movies = await meta.search_movie("Der Pate", 1972, ("The Godfather",))
    movie = await meta.get_movie(movies[0].id)

What an implementation can do is declared as data in :class:`MetadataCapabilities`; the core picks
instances by those fields (never by implementation name):

=================  ===============================================================================
field              meaning
=================  ===============================================================================
kinds              title categories it serves: ``series``, ``anime``, ``movie``
namespace          the id space of ``SeriesCandidate.id`` / ``MovieCandidate.id`` (tvdb, anilist …)
numbering          ``get_series`` returns the canonical episode list (TVDB seasons/episodes and
                   absolute numbers): the instance can be the *primary* source of a series mapping
aliases            the instance's answers improve matching (synonyms, start year, cross ids) and are
                   used as a *helper* before the primary search
movies             ``search_movie`` / ``get_movie`` are implemented
lookup             id namespaces ``find_series`` / ``find_movie`` answer for (linked ids are looked
                   up before names are searched)
=================  ===============================================================================

An unsupported call raises ``PluginError(not_found)``; an instance that lacks required
configuration (e.g. TMDB without an API key) raises ``PluginError(not_configured)`` on every call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

import httpx

MetadataKind = Literal["series", "anime", "movie"]
"""The category of a provider title as the canonical stage sees it."""

IdNamespace = Literal["tvdb", "tmdb", "imdb", "anilist", "mal"]
ID_NAMESPACES: tuple[IdNamespace, ...] = ("tvdb", "tmdb", "imdb", "anilist", "mal")


@dataclass(frozen=True, slots=True)
class MetadataCapabilities:
    """What a metadata implementation offers, declared as data."""

    namespace: IdNamespace
    kinds: frozenset[MetadataKind]
    numbering: bool = False
    aliases: bool = False
    movies: bool = False
    requires_key: bool = False
    """The instance needs an API key; without one every call raises ``not_configured``."""
    lookup: frozenset[IdNamespace] = frozenset()
    """Namespaces ``find_series``/``find_movie`` look up (SkyHook: ``imdb:``/``tvdb:`` … terms)."""


@dataclass(frozen=True, slots=True)
class SeriesCandidate:
    """One search hit. ``external_ids`` uses :data:`ID_NAMESPACES` keys; imdb ids carry ``tt``."""

    id: str
    title: str
    year: int | None = None
    aliases: tuple[str, ...] = ()
    external_ids: Mapping[str, str] = field(default_factory=dict)
    kind: Literal["series", "movie"] = "series"
    episode_count: int | None = None
    id_lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """All ids of a namespace where the source lists several (SkyHook: one AniList/MAL id per
    cour or season); ``external_ids`` carries the first."""


@dataclass(frozen=True, slots=True)
class MetaEpisode:
    """One canonical episode: TVDB season/number (0 = specials), absolute number for regulars."""

    season: int
    number: int
    absolute: int | None = None
    air_date: str | None = None
    titles: Mapping[str, str] = field(default_factory=dict)
    """Episode titles keyed by ISO 639-1 language."""
    runtime: int | None = None
    """Minutes, where the source lists it."""


WorkStatus = Literal["continuing", "ended", "upcoming"]
"""A canonical work's airing status (the three values Sonarr maps SkyHook's onto)."""


@dataclass(frozen=True, slots=True)
class WorkDetails:
    """Descriptive metadata of a series or movie, where the source carries it (canonical works,
    :mod:`anibridge_like.works`). Every field is optional: ``None``/empty = not provided."""

    status: WorkStatus | None = None
    first_aired: str | None = None
    """ISO date (a movie's release date)."""
    last_aired: str | None = None
    overview: str | None = None
    genres: tuple[str, ...] = ()
    rating: float | None = None
    """0-10."""
    rating_votes: int | None = None
    artwork: Mapping[str, str] = field(default_factory=dict)
    """Image URL by type: ``poster``, ``fanart``, ``banner``."""


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    id: str
    title: str
    year: int | None = None
    aliases: tuple[str, ...] = ()
    external_ids: Mapping[str, str] = field(default_factory=dict)
    seasons: tuple[int, ...] = ()
    episodes: tuple[MetaEpisode, ...] = ()
    episode_count: int | None = None
    """Episode count when the source knows it without listing episodes (AniList)."""
    id_lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """As :attr:`SeriesCandidate.id_lists`."""
    details: WorkDetails = field(default_factory=WorkDetails)


@dataclass(frozen=True, slots=True)
class MovieCandidate:
    id: str
    title: str
    year: int | None = None
    aliases: tuple[str, ...] = ()
    external_ids: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MovieInfo:
    id: str
    title: str
    year: int | None = None
    aliases: tuple[str, ...] = ()
    external_ids: Mapping[str, str] = field(default_factory=dict)
    details: WorkDetails = field(default_factory=WorkDetails)


@runtime_checkable
class MetadataProvider(Protocol):
    """A metadata instance. Construct with ``Impl(config, client)``."""

    capabilities: ClassVar[MetadataCapabilities]

    async def search_series(
        self, title: str, year: int | None = None, aliases: Sequence[str] = ()
    ) -> list[SeriesCandidate]:
        """Candidates for a series title (best first as the source ranks them)."""
        ...

    async def get_series(self, id: str) -> SeriesInfo:
        """One series with its seasons, episodes (if ``numbering``) and external ids."""
        ...

    async def search_movie(
        self, title: str, year: int | None = None, aliases: Sequence[str] = ()
    ) -> list[MovieCandidate]:
        """Candidates for a movie title."""
        ...

    async def get_movie(self, id: str) -> MovieInfo:
        """One movie with its external ids (imdb, tmdb)."""
        ...

    async def find_series(self, namespace: IdNamespace, value: str) -> list[SeriesCandidate]:
        """Series carrying the id ``namespace:value`` (only namespaces in ``lookup``)."""
        ...

    async def find_movie(self, namespace: IdNamespace, value: str) -> list[MovieCandidate]:
        """Movies carrying the id ``namespace:value`` (only namespaces in ``lookup``)."""
        ...


class MetadataFactory(Protocol):
    capabilities: ClassVar[MetadataCapabilities]
    config_model: ClassVar[type[Any]]

    def __call__(self, config: Any, client: httpx.AsyncClient) -> MetadataProvider: ...


@dataclass(frozen=True, slots=True)
class MetadataInstance:
    """A configured metadata instance as the canonical stage receives it."""

    name: str
    plugin: MetadataProvider

    @property
    def capabilities(self) -> MetadataCapabilities:
        return type(self.plugin).capabilities


# ---- JSON round trip (the canonical stage caches answers in the database) -------------------


def to_json(obj: SeriesCandidate | SeriesInfo | MovieCandidate | MovieInfo) -> dict[str, Any]:
    """A JSON-able mapping of one contract object (tagged with its type)."""
    out: dict[str, Any] = {"type": type(obj).__name__}
    for name in obj.__dataclass_fields__:
        value = getattr(obj, name)
        if name == "episodes":
            value = [
                [e.season, e.number, e.absolute, e.air_date, dict(e.titles), e.runtime]
                for e in value
            ]
        elif name == "details":
            value = {
                **{k: getattr(value, k) for k in value.__dataclass_fields__},
                "genres": list(value.genres),
                "artwork": dict(value.artwork),
            }
        elif name == "id_lists":
            value = {k: list(v) for k, v in value.items()}
        elif isinstance(value, Mapping):
            value = dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


_TYPES: dict[str, type[Any]] = {
    "SeriesCandidate": SeriesCandidate,
    "SeriesInfo": SeriesInfo,
    "MovieCandidate": MovieCandidate,
    "MovieInfo": MovieInfo,
}


def from_json(data: Mapping[str, Any]) -> Any:
    """Inverse of :func:`to_json`."""
    cls = _TYPES[data["type"]]
    kwargs: dict[str, Any] = {}
    for name in cls.__dataclass_fields__:
        if name not in data:
            continue
        value = data[name]
        if name == "episodes":
            value = tuple(MetaEpisode(*e) for e in value)  # 5 items in answers cached before
        elif name == "details":
            value = WorkDetails(**{**value, "genres": tuple(value.get("genres") or ())})
        elif name in ("aliases", "seasons"):
            value = tuple(value)
        elif name == "id_lists":
            value = {k: tuple(v) for k, v in value.items()}
        kwargs[name] = value
    return cls(**kwargs)
