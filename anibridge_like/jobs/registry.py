"""The job-type registry: type name → implementation class (``module:attribute``, imported on
first use so ``jobs`` does not import the features it runs).

Adding a job type is **one entry** in :data:`JOB_TYPES` (plus its module, see
:mod:`anibridge_like.jobs`).
"""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel, ValidationError

from anibridge_like.jobs.model import JobType

JOB_TYPES: dict[str, str] = {
    "catalog_refresh": "anibridge_like.catalog.refresh_jobs:CatalogRefreshJob",
    "library_refresh": "anibridge_like.catalog.refresh_jobs:LibraryRefreshJob",
    "wanted_sync": "anibridge_like.sync.jobs:WantedSyncJob",
    "recommendations_refresh": "anibridge_like.recommendations.jobs:RecommendationsRefreshJob",
    "media_scan": "anibridge_like.mediaservers.scan_job:MediaScanJob",
    "metadata_refresh": "anibridge_like.works.refresh_job:MetadataRefreshJob",
}

INSTANCE_JOB_TYPES = frozenset({"catalog_refresh"})
"""Types whose jobs belong to a plugin instance and are derived from it (not from the seed's
``jobs:`` or the admin API)."""

_loaded: dict[str, JobType] = {}


class UnknownJobTypeError(LookupError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown job type {name!r} (known: {', '.join(sorted(JOB_TYPES))})")


def job_type(name: str) -> JobType:
    """The (shared, stateless) instance of job type ``name``."""
    if name not in _loaded:
        target = JOB_TYPES.get(name)
        if target is None:
            raise UnknownJobTypeError(name)
        module_name, _, attr = target.partition(":")
        cls: Any = getattr(importlib.import_module(module_name), attr)
        _loaded[name] = cls()
    return _loaded[name]


def library_job_types() -> list[str]:
    """Types a library job (seed ``jobs:`` / admin API) may have."""
    return sorted(set(JOB_TYPES) - INSTANCE_JOB_TYPES)


def validate_config(type_name: str, config: dict[str, Any]) -> BaseModel:
    """``config`` validated by the type's model (``UnknownJobTypeError`` / ``ValidationError``)."""
    return job_type(type_name).config_model.model_validate(config)


__all__ = [
    "JOB_TYPES",
    "UnknownJobTypeError",
    "ValidationError",
    "job_type",
    "library_job_types",
    "validate_config",
]
