"""The recommendation contract (kind ``recommendation``): from seeds (what the library's user owns,
wants or completed) to candidates with external ids, a score and a reason.

::

    candidates = await plugin.recommend(ctx, seeds)

* ``seeds`` are :class:`Seed` entries with the ids the core knows for them (a Sonarr-synced
  series gains its AniList id from the index's canonical mapping); a plugin uses the ids of its
  namespace and skips the rest.
* Each :class:`Candidate` has a stable ``external_id`` in the plugin's namespace
  (``"anilist:<id>"``), the ids that resolve it, ``score`` in ``(0, 1]`` (1 = the instance's
  strongest candidate of this call), ``reason`` (human text) and ``based_on`` (seed titles).
* Candidates that are seeds themselves are not returned.

The core resolves candidates to canonical works of the library, keeps only those indexed and
available in one of the library's languages, merges instances by canonical work and drops
dismissed ones (:mod:`anibridge_like.recommendations.merge`). Plugins are stateless, never touch
the database and raise only :class:`~anibridge_like.plugins.errors.PluginError`. Every call carries
the library (``library_slug``, ``library_name``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from anibridge_like.plugins.sync import ExternalIds, ItemKind

SeedOrigin = Literal["owned", "wanted", "completed"]


@dataclass(frozen=True, slots=True)
class Seed:
    ids: ExternalIds
    title: str
    origin: SeedOrigin


@dataclass(frozen=True, slots=True)
class RecommendationContext:
    library_slug: str
    library_name: str
    library_kind: str
    instance: str


@dataclass(frozen=True, slots=True)
class Candidate:
    external_id: str
    ids: ExternalIds
    title: str
    year: int | None
    kind: ItemKind
    score: float
    reason: str
    based_on: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecommendationCapabilities:
    namespace: Literal["tvdb", "tmdb", "imdb", "anilist", "mal"]
    """Seeds need an id of this namespace to be used."""
    kinds: frozenset[ItemKind]
    max_seeds: int = 50
    """Upper bound of seeds one call uses (the core passes the most recent first)."""


@runtime_checkable
class RecommendationPlugin(Protocol):
    capabilities: ClassVar[RecommendationCapabilities]
    config_model: ClassVar[type[Any]]

    async def recommend(
        self, ctx: RecommendationContext, seeds: Sequence[Seed]
    ) -> list[Candidate]: ...
