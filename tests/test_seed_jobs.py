"""Seed ``jobs:`` per library: validated by the job type's model with YAML paths, reconciled like
the rest (added, changed, removed), API-created jobs untouched; and the plugin kinds table as
the seed sees it."""

from __future__ import annotations

from typing import Any

import pytest

from anibridge_like.catalog.state import now_iso
from anibridge_like.plugins.registry import Registry
from anibridge_like.reconcile import make_reconcile_unit
from anibridge_like.seed import SeedError, parse_seed
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer
from tests.plugin_doubles import EXTRA

REGISTRY = Registry(extra=EXTRA)


def _data(jobs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "libraries": [
            {"slug": "movies", "kind": "movies"},
            {"slug": "anime", "kind": "anime", "jobs": jobs},
        ],
        "plugins": [],
    }


def _issues(data: dict[str, Any]) -> list[str]:
    with pytest.raises(SeedError) as info:
        parse_seed(data, REGISTRY, environ={})
    return [str(issue) for issue in info.value.issues]


def test_seed_job_errors_name_their_yaml_path() -> None:
    issues = _issues(
        _data(
            [
                {"name": "ok", "type": "library_refresh", "cron": "0 4 * * 0"},
                {
                    "name": "bad",
                    "type": "library_refresh",
                    "cron": "0 4 * * 8",
                    "timezone": "Europe/Berlinn",
                    "config": {"instances": 5},
                },
                {"name": "ok", "type": "no_such_type"},
                {"name": "extra", "type": "library_refresh", "every": "day"},
            ]
        )
    )
    assert any(
        i.startswith("libraries[1].jobs[1].cron: invalid crontab '0 4 * * 8'") for i in issues
    )
    assert any(
        i.startswith("libraries[1].jobs[1].timezone: unknown timezone 'Europe/Berlinn'")
        for i in issues
    )
    assert any(i.startswith("libraries[1].jobs[1].config.instances: ") for i in issues)
    assert "libraries[1].jobs[2].name: duplicate job 'ok'" in issues
    assert any(
        i.startswith("libraries[1].jobs[2].type: unknown library job type 'no_such_type'")
        for i in issues
    )
    assert any(i.startswith("libraries[1].jobs[3].every: ") for i in issues)


def test_unknown_plugin_kind_and_foreign_columns_are_seed_errors() -> None:
    data = {
        "libraries": [{"slug": "anime", "kind": "anime"}],
        "plugins": [
            {"name": "a", "implementation": "echo", "kind": "gadget"},
            {"name": "b", "implementation": "x", "kind": "metadata", "refresh_cron": "0 4 * * *"},
            {
                "name": "c",
                "implementation": "echo",
                "kind": "provider",
                "refresh_cron": "0 4 * * 8",
            },
        ],
    }
    issues = _issues(data)
    assert any(
        i.startswith("plugins[0].kind: Value error, unknown plugin kind 'gadget'") for i in issues
    )
    assert "plugins[1].refresh_cron: not used by metadata plugins" in issues
    assert any(i.startswith("plugins[2].refresh_cron: invalid crontab") for i in issues)


async def _jobs(readers: ReaderPool) -> list[tuple[Any, ...]]:
    rows = await readers.fetchall(
        "SELECT l.slug, j.name, j.type, j.cron, j.timezone, j.enabled, j.config, j.managed_by"
        " FROM jobs j JOIN libraries l ON l.id = j.library_id ORDER BY l.slug, j.name"
    )
    return [tuple(r) for r in rows]


async def test_seed_jobs_are_reconciled_and_api_jobs_left_alone(
    writer: Writer, readers: ReaderPool
) -> None:
    first = parse_seed(
        _data(
            [
                {"name": "nightly", "type": "library_refresh", "cron": "30 2 * * *"},
                {
                    "name": "weekly",
                    "type": "library_refresh",
                    "cron": "0 4 * * 0",
                    "timezone": "Europe/Berlin",
                },
            ]
        ),
        REGISTRY,
        environ={},
    )
    report = await writer.run(make_reconcile_unit(first, REGISTRY, {}))
    assert report.added[-2:] == ["job anime/nightly", "job anime/weekly"]
    assert (await writer.run(make_reconcile_unit(first, REGISTRY, {}))).noop
    await writer.execute(
        "INSERT INTO jobs(library_id, type, name, managed_by, created_at, updated_at)"
        " SELECT id, 'library_refresh', ?, 'api', ?, ? FROM libraries WHERE slug = 'anime'",
        ("mine", now_iso(), now_iso()),
    )
    second = parse_seed(
        _data(
            [
                {
                    "name": "nightly",
                    "type": "library_refresh",
                    "cron": "45 2 * * *",
                    "enabled": False,
                },
                {"name": "mine", "type": "library_refresh", "cron": "0 1 * * *"},
            ]
        ),
        REGISTRY,
        environ={},
    )
    report = await writer.run(make_reconcile_unit(second, REGISTRY, {}))
    assert report.changed == ["job anime/nightly"]
    assert report.removed == ["job anime/weekly"]
    assert report.kept == ["job anime/mine"]
    assert await _jobs(readers) == [
        ("anime", "mine", "library_refresh", None, None, 1, "{}", "api"),
        ("anime", "nightly", "library_refresh", "45 2 * * *", None, 0, "{}", "seed"),
    ]
    # removing the library removes its jobs
    third = parse_seed({"libraries": [{"slug": "movies", "kind": "movies"}]}, REGISTRY, environ={})
    await writer.run(make_reconcile_unit(third, REGISTRY, {}))
    assert await _jobs(readers) == []


def test_example_seed_documents_and_parses_library_jobs() -> None:
    from pathlib import Path

    import yaml

    from anibridge_like.jobs.spec import JobSpec

    text = (Path(__file__).resolve().parents[1] / "config.example.yaml").read_text("utf-8")
    for name in JobSpec.model_fields:
        assert f"{name}:" in text, f"config.example.yaml does not document jobs[].{name}"
    seed = parse_seed(yaml.safe_load(text), Registry(), environ={})
    assert [job.name for lib in seed.libraries for job in lib.jobs] == ["weekly-refresh"]
