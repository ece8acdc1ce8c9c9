"""The YAML seed: libraries (with their jobs) and plugin instances (plus pinned mappings),
validated as a whole and reconciled into the database on every start.

``load_seed`` returns a :class:`Seed` or raises :class:`SeedError` listing **every** problem with
its YAML path (``plugins[1].libraries[0]: unknown library 'animee'``).
:mod:`anibridge_like.reconcile` applies a seed to the database.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from anibridge_like.jobs.cron import ScheduleError, validate_cron
from anibridge_like.jobs.spec import JobSpec, check_job
from anibridge_like.libraries.model import DEFAULT_CATEGORIES, LibraryKind, default_name
from anibridge_like.mediaservers.bindings import binding_issues
from anibridge_like.plugins.env import resolve_env
from anibridge_like.plugins.inline_secrets import marker_issues
from anibridge_like.plugins.provider import Language
from anibridge_like.plugins.registry import (
    INSTANCE_COLUMNS,
    PLUGIN_KINDS,
    Registry,
    UnknownImplementationError,
)
from anibridge_like.seed_guard import library_key_issues

_SLUG = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class LibrarySeed(BaseModel):
    """One library: a named slice with its own Torznab endpoint, categories and languages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str = Field(pattern=_SLUG, description="URL id: /torznab/<slug>/api.")
    name: str = Field("", description="Display name (default: the slug, capitalised).")
    kind: LibraryKind = Field(description="series | anime | movies.")
    categories: list[int] = Field(
        default_factory=list, description="Torznab categories (default by kind)."
    )
    languages: list[Language] = Field(
        default_factory=list,
        description="Language variants served, preferred first (default: all).",
    )
    api_key: str | None = Field(None, description="The library's own Torznab key.")
    api_key_env: str | None = Field(None, description="Env variable holding the library's key.")
    jobs: list[JobSpec] = Field(
        default_factory=list,
        description="Scheduled jobs of the library (type, name, cron, timezone, enabled, config).",
    )

    @field_validator("categories")
    @classmethod
    def _categories_positive(cls, value: list[int]) -> list[int]:
        for cat in value:
            if not 1000 <= cat <= 999999:
                raise ValueError(f"category {cat} is not a Torznab category id")
        return value


class PluginSeed(BaseModel):
    """One plugin instance: an implementation with its config and library scope."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_SLUG, description="Instance name (unique).")
    implementation: str = Field(description="Registered implementation, e.g. aniworld.")
    kind: str = Field(description="A plugin kind of the registry's table (provider, metadata …).")
    enabled: bool = Field(True, description="Disabled instances are kept but never run.")
    libraries: list[str] | None = Field(
        None, description="Library slugs in scope; absent = all libraries."
    )
    refresh_interval_hours: float | None = Field(
        None, gt=0, description="Catalog refresh cadence of this instance."
    )
    refresh_cron: str | None = Field(
        None, description="Or a crontab expression (0 and 7 = Sunday; in ANIBRIDGE_TIMEZONE)."
    )
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="Implementation config; a key ending in _env names an env variable "
        "holding the value of the key without the suffix. Values under credential-like keys "
        "(api_key, token, password …) written inline are kept in memory, never in the database.",
    )

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in PLUGIN_KINDS:
            raise ValueError(f"unknown plugin kind {value!r} (known: {', '.join(PLUGIN_KINDS)})")
        return value


class Seed(BaseModel):
    """The whole seed file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    libraries: list[LibrarySeed] = Field(default_factory=list)
    plugins: list[PluginSeed] = Field(default_factory=list)
    mapping_overrides: list[dict[str, Any]] = Field(
        default_factory=list, description="Pinned canonical mappings (see config.example.yaml)."
    )

    def library(self, slug: str) -> LibrarySeed | None:
        return next((lib for lib in self.libraries if lib.slug == slug), None)


@dataclass(frozen=True, slots=True)
class SeedIssue:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SeedError(ValueError):
    """The seed is invalid; ``issues`` lists every problem with its YAML path."""

    def __init__(self, source: str, issues: list[SeedIssue]) -> None:
        self.source = source
        self.issues = issues
        lines = "\n".join(f"  {issue}" for issue in issues)
        super().__init__(f"invalid seed {source} ({len(issues)} error(s)):\n{lines}")


def _yaml_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def parse_seed(
    data: Any,
    registry: Registry,
    *,
    source: str = "<seed>",
    environ: Mapping[str, str] | None = None,
) -> Seed:
    """Validate a parsed YAML document; raise SeedError with every issue."""
    env = os.environ if environ is None else environ
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SeedError(source, [SeedIssue("<root>", "the seed must be a mapping")])
    issues: list[SeedIssue] = []
    try:
        seed = Seed.model_validate(data)
        positions = _Positions(list(range(len(seed.libraries))), list(range(len(seed.plugins))))
    except ValidationError as exc:
        issues = [SeedIssue(_yaml_path(tuple(err["loc"])), err["msg"]) for err in exc.errors()]
        seed, positions = _salvage(data)
    issues += _check(seed, registry, env, positions, _raw_slugs(data))
    issues += _check_jobs(data)
    if issues:
        raise SeedError(source, issues)
    libraries = [
        lib.model_copy(
            update={
                "name": lib.name or default_name(lib.slug),
                "categories": lib.categories or list(DEFAULT_CATEGORIES[lib.kind]),
                "languages": lib.languages or list(Language),
                "api_key": lib.api_key or (env.get(lib.api_key_env) if lib.api_key_env else None),
            }
        )
        for lib in seed.libraries
    ]
    return seed.model_copy(update={"libraries": libraries})


@dataclass(frozen=True, slots=True)
class _Positions:
    """Where each validated library/plugin stands in the YAML lists (for error paths)."""

    libraries: list[int]
    plugins: list[int]


def _salvage(data: dict[str, Any]) -> tuple[Seed, _Positions]:
    """The entries that validate on their own, so their cross-checks are reported too when
    other entries have type errors (every error is listed at once)."""
    kept: dict[str, list[Any]] = {"libraries": [], "plugins": []}
    positions = _Positions([], [])
    for key, model, where in (
        ("libraries", LibrarySeed, positions.libraries),
        ("plugins", PluginSeed, positions.plugins),
    ):
        raw = data.get(key)
        for i, item in enumerate(raw if isinstance(raw, list) else []):
            try:
                kept[key].append(model.model_validate(item))
            except ValidationError:
                continue
            where.append(i)
    return Seed(libraries=kept["libraries"], plugins=kept["plugins"]), positions


def _raw_slugs(data: dict[str, Any]) -> set[str]:
    raw = data.get("libraries")
    return {
        item["slug"]
        for item in (raw if isinstance(raw, list) else [])
        if isinstance(item, dict) and isinstance(item.get("slug"), str)
    }


def _check(
    seed: Seed,
    registry: Registry,
    env: Mapping[str, str],
    positions: _Positions,
    known_slugs: set[str],
) -> list[SeedIssue]:
    issues: list[SeedIssue] = []
    slugs: set[str] = set()
    for i, lib in zip(positions.libraries, seed.libraries, strict=True):
        if lib.slug in slugs:
            issues.append(SeedIssue(f"libraries[{i}].slug", f"duplicate library {lib.slug!r}"))
        slugs.add(lib.slug)
        if lib.api_key and lib.api_key_env:
            issues.append(SeedIssue(f"libraries[{i}]", "set api_key or api_key_env, not both"))
        where = f"libraries[{i}]"
        issues += [
            SeedIssue(*x) for x in library_key_issues(where, lib.api_key, lib.api_key_env, env)
        ]
    names: set[str] = set()
    for i, plugin in zip(positions.plugins, seed.plugins, strict=True):
        where = f"plugins[{i}]"
        if plugin.name in names:
            issues.append(SeedIssue(f"{where}.name", f"duplicate instance {plugin.name!r}"))
        names.add(plugin.name)
        for column in INSTANCE_COLUMNS:
            if (
                getattr(plugin, column, None) is not None
                and column not in PLUGIN_KINDS[plugin.kind].columns
            ):
                issues.append(SeedIssue(f"{where}.{column}", f"not used by {plugin.kind} plugins"))
        for j, slug in enumerate(plugin.libraries or []):
            if slug not in known_slugs:
                issues.append(SeedIssue(f"{where}.libraries[{j}]", f"unknown library {slug!r}"))
        if plugin.refresh_cron is not None:
            try:
                validate_cron(plugin.refresh_cron, "UTC")
            except ScheduleError as exc:
                issues.append(SeedIssue(f"{where}.refresh_cron", str(exc)))
        issues.extend(
            SeedIssue(*x) for x in binding_issues(where, plugin.kind, plugin.config, known_slugs)
        )
        issues.extend(SeedIssue(*x) for x in marker_issues(plugin.config, where))
        try:
            impl = registry.get(plugin.kind, plugin.implementation)
        except UnknownImplementationError as exc:
            issues.append(SeedIssue(f"{where}.implementation", str(exc)))
            continue
        try:
            impl.config_model.model_validate(resolve_env(plugin.config, env))
        except ValidationError as exc:
            for err in exc.errors():
                path = _yaml_path((*("config",), *tuple(err["loc"])))
                issues.append(SeedIssue(f"{where}.{path}", err["msg"]))
    issues.extend(_check_overrides(seed))
    return issues


def _check_jobs(data: dict[str, Any]) -> list[SeedIssue]:
    """Cross-checks of every library's jobs, read from the raw document so a job's problems are
    reported even when its library (or a sibling job) has type errors."""
    issues: list[SeedIssue] = []
    raw_libraries = data.get("libraries")
    for i, raw in enumerate(raw_libraries if isinstance(raw_libraries, list) else []):
        raw_jobs = raw.get("jobs") if isinstance(raw, dict) else None
        names: set[str] = set()
        for j, item in enumerate(raw_jobs if isinstance(raw_jobs, list) else []):
            try:
                job = JobSpec.model_validate(item)
            except ValidationError:
                continue  # reported with the seed's type errors
            where = f"libraries[{i}].jobs[{j}]"
            if job.name in names:
                issues.append(SeedIssue(f"{where}.name", f"duplicate job {job.name!r}"))
            names.add(job.name)
            issues.extend(SeedIssue(f"{where}.{path}", msg) for path, msg in check_job(job))
    return issues


def _check_overrides(seed: Seed) -> list[SeedIssue]:
    if not seed.mapping_overrides:
        return []
    from anibridge_like.catalog.overrides import MappingOverride

    issues: list[SeedIssue] = []
    for i, raw in enumerate(seed.mapping_overrides):
        try:
            MappingOverride.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                path = _yaml_path(("mapping_overrides", i, *tuple(err["loc"])))
                issues.append(SeedIssue(path, err["msg"]))
    return issues


def load_seed(
    path: Path | None, registry: Registry, environ: Mapping[str, str] | None = None
) -> Seed:
    """Read and validate the seed file (``None`` = an empty seed)."""
    if path is None:
        return Seed()
    from anibridge_like.yaml_loader import YamlProblem, read_seed_file

    try:
        data = read_seed_file(path)
    except YamlProblem as exc:
        raise SeedError(str(path), [SeedIssue(exc.where, exc.message)]) from None
    return parse_seed(data, registry, source=str(path), environ=environ)
