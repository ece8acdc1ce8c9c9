"""``metadata_refresh`` with ``only_wanted``: just the works linked to a live (not removed) wanted
item of the job's library are planned; the others are skipped as ``not_wanted``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from anibridge_like.settings import Settings
from tests.works.harness import Harness, works_app

_WANTED = (
    "INSERT INTO wanted_items (library_id, instance_id, external_id, kind, title, list_status,"
    " generation, first_seen, last_seen, removed_at)"
    " VALUES ((SELECT id FROM libraries WHERE slug = ?),"
    " (SELECT id FROM plugin_instances WHERE name = 'skyhook'), ?, 'series', ?, 'wanted', 1,"
    " '2026-12-03T00:00:00Z', '2026-12-03T00:00:00Z', ?)"
)


@pytest.fixture
async def h(settings: Settings) -> AsyncIterator[Harness]:
    async with works_app(settings) as harness:
        yield harness


async def _want(h: Harness, library: str, work: str, removed: str | None = None) -> None:
    await h.execute(_WANTED, (library, f"x:{work}", work, removed))
    await h.execute(
        "INSERT INTO wanted_links (wanted_id, title_id) SELECT"
        " (SELECT id FROM wanted_items WHERE external_id = ?), title_id"
        " FROM title_works WHERE work = ?",
        (f"x:{work}", work),
    )


async def test_only_wanted_plans_just_the_works_of_live_wanted_items(h: Harness) -> None:
    keys = [r[0] for r in await h.ctx.readers.fetchall("SELECT key FROM works ORDER BY key")]
    wanted, removed, elsewhere = keys[0], keys[1], keys[2]
    await _want(h, "anime", wanted)
    await _want(h, "anime", removed, removed="2026-12-03T01:00:00Z")
    await _want(h, "series", elsewhere)  # another library's wanted list does not count
    config = {"instances": ["skyhook"], "field_groups": ["status"], "only_wanted": True}
    job = await h.create_job("m", config)
    totals = (await h.dry_run(job))["totals"]
    assert totals["planned_works"] == 1, totals
    assert totals["skipped"] == {"not_wanted": totals["works_in_library"] - 1}, totals
    summary = await h.run(job)
    assert summary["skipped"] == totals["skipped"], summary
    assert await h.scalar("SELECT group_concat(work) FROM work_sync") == wanted
    # the default (false) plans every work, wanted or not
    base = {"instances": ["skyhook"], "field_groups": ["status"], "skip_recently_synced_hours": 0}
    every = await h.create_job("all", base)
    everything = (await h.dry_run(every))["totals"]
    assert everything["planned_works"] == totals["works_in_library"] > 1, everything


async def test_only_wanted_is_documented_and_defaults_to_false() -> None:
    from anibridge_like.works.refresh_config import MetadataRefreshConfig

    field = MetadataRefreshConfig.model_fields["only_wanted"]
    assert field.default is False and field.description and "wanted" in field.description
