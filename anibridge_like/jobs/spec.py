"""A library job as the seed and the admin API write it, and its checks (one definition for
both: the seed reports ``libraries[0].jobs[1].config.field_groups[0]``, the API ``config.…``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from anibridge_like.jobs.cron import ScheduleError, validate_cron, zone
from anibridge_like.jobs.registry import UnknownJobTypeError, job_type, library_job_types


class JobSpec(BaseModel):
    """One library job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100, description="Unique within the library.")
    type: str = Field(description="A registered job type (library_refresh …).")
    cron: str | None = Field(
        None, description="5-field crontab (0 and 7 = Sunday); absent = run on demand only."
    )
    timezone: str | None = Field(
        None, description="IANA timezone of the cron expression (default ANIBRIDGE_TIMEZONE)."
    )
    enabled: bool = Field(True, description="Disabled jobs are kept but never scheduled.")
    config: dict[str, Any] = Field(
        default_factory=dict, description="The type's config (validated by its model)."
    )


def loc_path(loc: tuple[int | str, ...]) -> str:
    """``("config", "groups", 0)`` → ``config.groups[0]``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def check_job(spec: JobSpec) -> list[tuple[str, str]]:
    """Every problem of a (structurally valid) job as ``(path, message)``."""
    issues: list[tuple[str, str]] = []
    if spec.timezone is not None:
        try:
            zone(spec.timezone)
        except ScheduleError as exc:
            issues.append(("timezone", str(exc)))
    if spec.cron is not None:
        try:
            validate_cron(spec.cron, "UTC")
        except ScheduleError as exc:
            issues.append(("cron", str(exc)))
    if spec.type not in library_job_types():
        known = ", ".join(library_job_types())
        issues.append(("type", f"unknown library job type {spec.type!r} (known: {known})"))
        return issues
    try:
        job_type(spec.type).config_model.model_validate(spec.config)
    except UnknownJobTypeError as exc:
        issues.append(("type", str(exc)))
    except ValidationError as exc:
        for err in exc.errors():
            issues.append((loc_path(("config", *tuple(err["loc"]))), err["msg"]))
    return issues


def parse_job(data: Any) -> tuple[JobSpec | None, list[tuple[str, str]]]:
    """Validate a job document: the spec, or every issue with its path."""
    try:
        spec = JobSpec.model_validate(data)
    except ValidationError as exc:
        return None, [(loc_path(tuple(err["loc"])), err["msg"]) for err in exc.errors()]
    return spec, check_job(spec)
