"""The field groups of a canonical work, as data: one catalogue for the API
(``GET /api/v1/metadata/field-groups``), the ``metadata_refresh`` config (``field_groups``,
``extra_fields``), locks, and the applier (:mod:`.store`). A test pins every field to the code
that writes it and to a consumer that reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

GroupId = Literal[
    "ids", "titles", "episodes", "status", "descriptive", "genres", "ratings", "artwork"
]


@dataclass(frozen=True, slots=True)
class FieldGroup:
    id: GroupId
    label: str
    fields: tuple[str, ...]


FIELD_GROUPS: tuple[FieldGroup, ...] = (
    FieldGroup("ids", "External ids", ("tvdb_id", "tmdb_id", "imdb_id", "anilist_id", "mal_id")),
    FieldGroup("titles", "Title, aliases and year", ("title", "aliases", "year")),
    FieldGroup("episodes", "Canonical episode list", ("episodes",)),
    FieldGroup("status", "Airing status and dates", ("status", "first_aired", "last_aired")),
    FieldGroup("descriptive", "Overview", ("overview",)),
    FieldGroup("genres", "Genres", ("genres",)),
    FieldGroup("ratings", "Rating", ("rating", "rating_votes")),
    FieldGroup("artwork", "Poster and fanart URLs", ("poster_url", "fanart_url")),
)
GROUPS: dict[str, FieldGroup] = {g.id: g for g in FIELD_GROUPS}
GROUP_IDS: tuple[GroupId, ...] = tuple(g.id for g in FIELD_GROUPS)
FIELDS: tuple[str, ...] = tuple(f for g in FIELD_GROUPS for f in g.fields)
GROUP_OF: dict[str, str] = {f: g.id for g in FIELD_GROUPS for f in g.fields}
SCALAR_FIELDS: tuple[str, ...] = tuple(f for f in FIELDS if f != "episodes")
"""Fields stored as a ``works`` column (``episodes`` lives in ``work_episodes``)."""
JSON_FIELDS = frozenset({"aliases", "genres"})
"""Columns holding a JSON list."""


def fields_for(groups: Sequence[str], extra: Sequence[str]) -> list[str]:
    """The fields of ``groups`` plus ``extra`` fields, in catalogue order."""
    chosen = {f for g in groups for f in GROUPS[g].fields} | set(extra)
    return [f for f in FIELDS if f in chosen]


def catalogue() -> list[dict[str, object]]:
    """The API's view: ``[{"id", "label", "fields"}]``."""
    return [{"id": g.id, "label": g.label, "fields": list(g.fields)} for g in FIELD_GROUPS]
