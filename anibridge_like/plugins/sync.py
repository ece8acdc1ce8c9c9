"""The sync contract (kind ``sync``): a plugin reads a list of what the user *wants* from a
service they run (Sonarr's and Radarr's monitored series/movies, an AniList user's list).

After the Go SourcePlugin guide's sync contract, implemented as documented (its implementation
diverged: see ``/work/shared/reference/peers-libraries-jobs-plugins.md`` §3)::

    result = await plugin.sync(ctx, cursor)     # cursor None = start of the list
    # SyncResult(items, next_cursor, has_more, error)

* ``items`` carry a **stable external id** (``"sonarr:<tvdbId>"``, ``"anilist:<mediaId>"`` …;
  the dedup key within a library and an instance), the ids that resolve them
  (:class:`ExternalIds`: TVDB/TMDB/IMDb/AniList/MAL), title, year, kind and list status.
* ``has_more`` with ``next_cursor``: call again with that cursor for the next page. A listing is
  **complete** when a chain of calls started with ``cursor=None`` reached ``has_more=False``
  without an error; only then does the core mark items missing from it as removed.
* ``error``: a partial result — the items gathered before the failure are kept and the next run
  resumes from ``next_cursor``. A plugin with nothing to return raises instead.

A plugin is stateless (``Impl(config, http_client)``), never touches the database and raises only
:class:`~anibridge_like.plugins.errors.PluginError`; the core applies
:func:`~anibridge_like.plugins.errors.policy_for` (``auth`` → disconnected instance,
``rate_limited`` → paused until ``retry_after``, not counted as a failure, ``partial`` → keep and
resume …) in :mod:`anibridge_like.sync.runner`.

Every call carries the library it serves (:class:`SyncContext` ``library_slug``,
``library_name``): an instance scoped to two libraries is called once for each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from anibridge_like.plugins.errors import PluginError

ListStatus = Literal["wanted", "watching", "completed", "paused", "dropped", "unmonitored"]
"""A list entry's status, normalised: ``wanted`` = monitored in an *arr app / AniList PLANNING,
``watching`` = AniList CURRENT or REPEATING, ``unmonitored`` = kept by an *arr app, not
monitored."""
LIST_STATUSES: tuple[ListStatus, ...] = (
    "wanted",
    "watching",
    "completed",
    "paused",
    "dropped",
    "unmonitored",
)
ItemKind = Literal["series", "movie"]


@dataclass(frozen=True, slots=True)
class ExternalIds:
    """Ids of one work in the namespaces the index maps to (imdb with ``tt``)."""

    tvdb: int | None = None
    tmdb: int | None = None
    imdb: str | None = None
    anilist: int | None = None
    mal: int | None = None

    def any(self) -> bool:
        return any(v is not None for v in (self.tvdb, self.tmdb, self.imdb, self.anilist, self.mal))

    def merged(self, other: ExternalIds) -> ExternalIds:
        """These ids, gaps filled from ``other``."""
        return ExternalIds(
            tvdb=self.tvdb if self.tvdb is not None else other.tvdb,
            tmdb=self.tmdb if self.tmdb is not None else other.tmdb,
            imdb=self.imdb if self.imdb is not None else other.imdb,
            anilist=self.anilist if self.anilist is not None else other.anilist,
            mal=self.mal if self.mal is not None else other.mal,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in (
                ("tvdb", self.tvdb),
                ("tmdb", self.tmdb),
                ("imdb", self.imdb),
                ("anilist", self.anilist),
                ("mal", self.mal),
            )
            if v is not None
        }


@dataclass(frozen=True, slots=True)
class WantedItem:
    """One list entry."""

    external_id: str
    """Stable within the instance: the same entry has the same id on every sync."""
    ids: ExternalIds
    title: str
    year: int | None
    kind: ItemKind
    list_status: ListStatus


@dataclass(frozen=True, slots=True)
class SyncContext:
    """What the core tells a plugin about the call: the library served and the instance."""

    library_slug: str
    library_name: str
    library_kind: str
    """``series`` | ``anime`` | ``movies``."""
    instance: str


@dataclass(frozen=True, slots=True)
class SyncResult:
    items: Sequence[WantedItem]
    next_cursor: str | None = None
    has_more: bool = False
    error: PluginError | None = None
    """Set on a partial result: ``items`` are kept, the next run resumes from ``next_cursor``."""


@dataclass(frozen=True, slots=True)
class SyncCapabilities:
    """What a sync implementation offers, declared as data."""

    kinds: frozenset[ItemKind]
    """Kinds of items it lists."""
    paged: bool = False
    """The list comes in several pages (cursor resume matters)."""
    requires_key: bool = False
    """Calls need a credential (``api_key``); without one they raise ``not_configured``."""
    statuses: frozenset[ListStatus] = field(default_factory=lambda: frozenset(LIST_STATUSES))


@runtime_checkable
class SyncPlugin(Protocol):
    capabilities: ClassVar[SyncCapabilities]
    config_model: ClassVar[type[Any]]

    async def sync(self, ctx: SyncContext, cursor: str | None) -> SyncResult:
        """One page of the list from ``cursor`` (``None`` = the start)."""
        ...
