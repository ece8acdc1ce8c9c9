"""The ``metadata_refresh`` job's config (validated by the seed, the admin API and each run)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from anibridge_like.works.fields import FIELDS, GROUP_IDS, GroupId, fields_for


def _known_fields(values: list[str]) -> list[str]:
    unknown = [v for v in values if v not in FIELDS]
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)} (known: {', '.join(FIELDS)})")
    return values


class GroupSelection(BaseModel):
    """Field groups (+ single extra fields) one instance writes."""

    model_config = ConfigDict(extra="forbid")

    field_groups: list[GroupId] = Field(description="Field groups this instance writes.")
    extra_fields: list[str] = Field(
        default_factory=list, description="Single fields written in addition to the groups."
    )

    _check_extra = field_validator("extra_fields")(classmethod(lambda cls, v: _known_fields(v)))


class MetadataRefreshConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instances: list[str] = Field(
        min_length=1,
        max_length=5,
        description="Metadata instances to refresh from, in precedence order: a field two "
        "instances provide is taken from the first one that writes it.",
    )
    field_groups: list[GroupId] = Field(
        default_factory=lambda: list(GROUP_IDS),
        description="Field groups written (default: all; see GET /api/v1/metadata/field-groups).",
    )
    extra_fields: list[str] = Field(
        default_factory=list, description="Single fields written in addition to the groups."
    )
    overrides: dict[str, GroupSelection] = Field(
        default_factory=dict,
        description="Per instance (a name in `instances`): other field groups than the default.",
    )
    existing_ids_only: bool = Field(
        True,
        description="Refresh only works that already have the instance's id; false: works "
        "without one are re-matched (id lookup, then an exact title + year search).",
    )
    skip_recently_synced_hours: float = Field(
        6.0, ge=0, le=24 * 365, description="Skip works an instance refreshed this recently."
    )
    max_concurrency: int = Field(
        2, ge=1, le=8, description="Metadata requests in flight at once (over all instances)."
    )

    _check_extra = field_validator("extra_fields")(classmethod(lambda cls, v: _known_fields(v)))

    @model_validator(mode="after")
    def _consistent(self) -> MetadataRefreshConfig:
        if len(set(self.instances)) != len(self.instances):
            raise ValueError("instances: each instance once")
        stray = sorted(set(self.overrides) - set(self.instances))
        if stray:
            raise ValueError(f"overrides name instances not in `instances`: {', '.join(stray)}")
        return self

    def fields_of(self, instance: str) -> list[str]:
        """The fields ``instance`` writes (its override, else the job's groups)."""
        chosen = self.overrides.get(instance)
        if chosen is not None:
            return fields_for(chosen.field_groups, chosen.extra_fields)
        return fields_for(self.field_groups, self.extra_fields)
