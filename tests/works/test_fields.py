"""The field-group catalogue: served by the API, every field pinned to the code that writes it
and to a consumer that reads it; locks and job configs validated against it."""

from __future__ import annotations

from typing import Any

from anibridge_like.settings import Settings
from anibridge_like.storage.timestamps import now_iso
from anibridge_like.works.fields import FIELD_GROUPS, FIELDS
from anibridge_like.works.store import WorkUpdate, apply_unit, fill_works, load_works
from tests.works.harness import JOBS, KEY, works_app

# field → (writer, consumers). Writers: fill_works (canonical stage) and apply_unit (refresh);
# consumers: the works API (GET /api/v1/works/{key}), the refresh planner (ids to call, title
# and year to re-match) and the dry-run preview.
PINS: dict[str, tuple[str, tuple[str, ...]]] = {
    **{
        f: ("fill_works+apply_unit", ("api.get_work", "planner.ids"))
        for f in ("tvdb_id", "tmdb_id", "imdb_id", "anilist_id", "mal_id")
    },
    "title": ("fill_works+apply_unit", ("api.get_work", "planner.rematch")),
    "year": ("fill_works+apply_unit", ("api.get_work", "planner.rematch")),
    **{
        f: ("fill_works+apply_unit", ("api.get_work", "dry_run.preview"))
        for f in (
            "aliases",
            "episodes",
            "status",
            "first_aired",
            "last_aired",
            "overview",
            "genres",
            "rating",
            "rating_votes",
            "poster_url",
            "fanart_url",
        )
    },
}

SAMPLE: dict[str, Any] = {
    "tvdb_id": 7,
    "tmdb_id": 8,
    "imdb_id": "tt0000009",
    "anilist_id": 10,
    "mal_id": 11,
    "title": "Pinned Title",
    "aliases": ["Alias One"],
    "year": 1999,
    "episodes": [[0, 1, None, "OVA", None, None, 1], [1, 1, 1, "Pilot", "1999-01-01", 24, 0]],
    "status": "upcoming",
    "first_aired": "1999-01-01",
    "last_aired": "1999-12-31",
    "overview": "Pinned overview.",
    "genres": ["Drama", "Mystery"],
    "rating": 7.5,
    "rating_votes": 42,
    "poster_url": "https://example.invalid/p.jpg",
    "fanart_url": "https://example.invalid/f.jpg",
}


def test_every_field_is_pinned_to_a_writer_and_a_consumer() -> None:
    assert set(PINS) == set(FIELDS) == set(SAMPLE)
    assert len(FIELDS) == len(set(FIELDS))  # a field belongs to one group
    assert [g.id for g in FIELD_GROUPS] == [
        "ids",
        "titles",
        "episodes",
        "status",
        "descriptive",
        "genres",
        "ratings",
        "artwork",
    ]


async def test_writers_store_every_field_and_the_api_returns_it(settings: Settings) -> None:
    async with works_app(settings, titles=4) as h:
        groups = (await h.client.get("/api/v1/metadata/field-groups", headers=KEY)).json()
        assert [g["id"] for g in groups["groups"]] == [g.id for g in FIELD_GROUPS]
        assert [f for g in groups["groups"] for f in g["fields"]] == list(FIELDS)

        async def fill(conn: Any) -> None:
            await fill_works(conn, [("tvdb:7", "series", SAMPLE)], now_iso())

        await h.ctx.writer.run(fill)
        stored = (await load_works(h.ctx.readers, ["tvdb:7"]))["tvdb:7"]
        assert stored.values == SAMPLE  # fill_works writes every field
        changed = {
            **SAMPLE,
            "title": "Changed",
            "episodes": [[1, 1, 1, "Pilot", "1999-01-01", 25, 0]],
            "genres": ["Comedy"],
            "rating": 8.0,
        }
        await h.ctx.writer.run(apply_unit([WorkUpdate("tvdb:7", changed, ["x"])], now_iso()))
        stored = (await load_works(h.ctx.readers, ["tvdb:7"]))["tvdb:7"]
        assert stored.values == changed  # apply_unit writes every field
        work = await h.work("tvdb:7")
        for name in FIELDS:
            if name == "episodes":
                assert [e["runtime"] for e in work["episodes"]] == [25]
            else:
                assert work[name] == changed[name], name
        assert (await h.client.get("/api/v1/works/tvdb:404", headers=KEY)).status_code == 404
        assert (await h.client.get("/api/v1/works/tvdb:7")).status_code == 401


async def test_locks_are_validated_and_a_locked_field_is_never_written(
    settings: Settings,
) -> None:
    async with works_app(settings, titles=4) as h:
        key = await h.scalar("SELECT key FROM works LIMIT 1")
        bad = await h.client.patch(
            f"/api/v1/works/{key}/locks", json={"lock": ["nope"]}, headers=KEY
        )
        assert bad.status_code == 422 and "nope" in bad.json()["error"]
        shape = await h.client.patch(f"/api/v1/works/{key}/locks", json=["x"], headers=KEY)
        assert shape.status_code == 422
        missing = await h.client.patch("/api/v1/works/tvdb:1/locks", json={"lock": []}, headers=KEY)
        assert missing.status_code == 404
        ok = await h.client.patch(
            f"/api/v1/works/{key}/locks", json={"lock": ["overview", "episodes"]}, headers=KEY
        )
        assert ok.json()["locked_fields"] == ["episodes", "overview"]
        before = await h.work(key)
        update = WorkUpdate(key, {"overview": "X", "episodes": [], "rating": 1.0}, ["x"])
        await h.ctx.writer.run(apply_unit([update], now_iso()))
        after = await h.work(key)
        assert after["overview"] == before["overview"] and after["episodes"] == before["episodes"]
        assert after["rating"] == 1.0
        unlocked = await h.client.patch(
            f"/api/v1/works/{key}/locks", json={"unlock": ["episodes"]}, headers=KEY
        )
        assert unlocked.json()["locked_fields"] == ["overview"]


async def test_job_config_is_checked_against_the_catalogue(settings: Settings) -> None:
    async with works_app(settings, titles=2) as h:
        body = {
            "name": "bad",
            "type": "metadata_refresh",
            "config": {
                "instances": ["skyhook"],
                "field_groups": ["nope"],
                "extra_fields": ["colour"],
                "overrides": {"tmdb": {"field_groups": ["ids"]}},
            },
        }
        answer = await h.client.post(JOBS, json=body, headers=KEY)
        assert answer.status_code == 422
        paths = {i["path"] for i in answer.json()["issues"]}
        assert {"config.field_groups[0]", "config.extra_fields"} <= paths
        body["config"] = {"instances": ["skyhook"], "overrides": {"tmdb": {"field_groups": []}}}
        answer = await h.client.post(JOBS, json=body, headers=KEY)
        assert answer.status_code == 422 and "tmdb" in answer.text
        body["config"] = {"instances": ["skyhook"], "max_concurrency": 0}
        answer = await h.client.post(JOBS, json=body, headers=KEY)
        assert answer.json()["issues"][0]["path"] == "config.max_concurrency"
        other = await h.client.post(
            JOBS, json={"name": "ms", "type": "media_scan", "config": {}}, headers=KEY
        )
        assert other.status_code == 201
        refused = await h.client.post(f"{JOBS}/{other.json()['id']}/dry-run", headers=KEY)
        assert refused.status_code == 409


def test_seed_validates_a_metadata_refresh_job_with_yaml_paths() -> None:
    import pytest

    from anibridge_like.plugins.registry import Registry
    from anibridge_like.seed import SeedError, parse_seed

    job = {
        "name": "meta",
        "type": "metadata_refresh",
        "cron": "15 3 * * *",
        "config": {"instances": ["skyhook"], "field_groups": ["status", "colour"]},
    }
    data = {"libraries": [{"slug": "anime", "kind": "anime", "jobs": [job]}], "plugins": []}
    with pytest.raises(SeedError) as info:
        parse_seed(data, Registry(), environ={})
    assert any(
        str(i).startswith("libraries[0].jobs[0].config.field_groups[1]: ")
        for i in info.value.issues
    )
    job["config"] = {"instances": ["skyhook"], "field_groups": ["status"]}
    seed = parse_seed(data, Registry(), environ={})
    assert seed.libraries[0].jobs[0].type == "metadata_refresh"
