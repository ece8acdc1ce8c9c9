"""The wanted-list core: storage per page, cursor resume, partial results, removal only after a
complete listing, each error code's policy, scope (all in-scope duplicates linked, fail closed)
and several instances side by side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite
import pytest

from anibridge_like.context import AppContext
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.sync import ExternalIds, SyncResult, WantedItem
from anibridge_like.settings import Settings
from anibridge_like.sync.runner import preview_sync, sync_instance
from tests.sync.support import CALLS, PLANS, running_app, script
from tests.torznab.conftest import Catalog, Ep, Show, ts

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def item(key: int, status: str = "wanted", **ids: Any) -> WantedItem:
    return WantedItem(
        f"tvdb:{key}",
        ExternalIds(tvdb=key, **ids),
        f"Show {key}",
        2020,
        "series",
        status,  # type: ignore[arg-type]
    )


def catalog() -> Catalog:
    eps = [Ep(1, 1, {"de_dub": ts(10)})]
    return Catalog(
        ready=("aw", "sto", "mk"),
        shows=[
            Show("aniworld", "frieren", "Frieren", eps, mapping={"tvdb_id": 424536}),
            Show("aniworld", "frieren-2", "Frieren 2", eps, mapping={"tvdb_id": 424536}),
            Show("aniworld", "frieren-low", "Frieren?", eps,
                 mapping={"status": "low", "tvdb_id": 424536}),
            Show("sto", "frieren-real", "Frieren Realfilm", eps, mapping={"tvdb_id": 424536}),
            Show("aniworld", "other", "Other", eps, mapping={"tvdb_id": 5}),
        ],
    )  # fmt: skip


async def rows(ctx: AppContext, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await ctx.readers.fetchall(sql, params)]


async def links(ctx: AppContext) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for key, slug in await rows(
        ctx,
        "SELECT w.external_id, t.slug FROM wanted_links l JOIN wanted_items w ON w.id = l.wanted_id"
        " JOIN titles t ON t.id = l.title_id",
    ):
        out.setdefault(key, set()).add(slug)
    return out


async def state(ctx: AppContext, instance: str = "a") -> dict[str, Any]:
    row = await ctx.readers.fetchone(
        "SELECT s.* FROM wanted_sync_state s JOIN plugin_instances p ON p.id = s.instance_id"
        " WHERE p.name = ?",
        (instance,),
    )
    assert row is not None
    return dict(row)


async def test_first_sync_links_every_in_scope_title_and_carries_the_library(
    settings: Settings,
) -> None:
    async with running_app(settings, catalog(), [script("a", "p", ["anime"])]) as (ctx, _):
        PLANS["p"] = [SyncResult([item(424536), item(999)])]
        run = await sync_instance(ctx, "a", "anime", now=NOW)
        assert run.status == "ok" and run.complete and run.stored == 2
        # both aniworld duplicates; not the low-confidence one, not the series library's title
        assert await links(ctx) == {"tvdb:424536": {"frieren", "frieren-2"}}
        [(_, call, cursor)] = CALLS
        assert (call.library_slug, call.library_name, cursor) == ("anime", "Anime", None)


async def test_pull_is_fail_closed_outside_the_scope(settings: Settings) -> None:
    async with running_app(settings, catalog(), [script("a", "p", ["anime"])]) as (ctx, _):
        PLANS["p"] = [SyncResult([item(424536)])]
        assert (await sync_instance(ctx, "a", "series", now=NOW)).status == "skipped"
        assert (await sync_instance(ctx, "a", "gone-library", now=NOW)).status == "skipped"
        assert (await sync_instance(ctx, "nobody", "anime", now=NOW)).status == "skipped"
        assert CALLS == [] and await rows(ctx, "SELECT * FROM wanted_items") == []


async def test_cursor_resume_after_a_failure_mid_listing(settings: Settings) -> None:
    async with running_app(settings, catalog(), [script("a", "p", ["anime"])]) as (ctx, _):
        PLANS["p"] = [
            SyncResult([item(1)], next_cursor="2", has_more=True),
            PluginError(ErrorCode.UPSTREAM, "boom"),
            SyncResult([item(2)]),
        ]
        first = await sync_instance(ctx, "a", "anime", now=NOW)
        assert (first.status, first.pages) == ("failed", 1)
        assert (await state(ctx))["cursor"] == "2"
        second = await sync_instance(ctx, "a", "anime", manual=True, now=NOW)
        assert second.status == "ok" and second.complete
        assert [c[2] for c in CALLS] == [None, "2", "2"]
        live = await rows(ctx, "SELECT external_id FROM wanted_items WHERE removed_at IS NULL")
        assert sorted(r[0] for r in live) == ["tvdb:1", "tvdb:2"]  # page 1 kept, not removed
        assert (await state(ctx))["cursor"] is None


async def test_partial_result_is_kept_and_resumed(settings: Settings) -> None:
    async with running_app(settings, catalog(), [script("a", "p", ["anime"])]) as (ctx, _):
        error = PluginError(ErrorCode.UPSTREAM, "page 2 broke")
        PLANS["p"] = [
            SyncResult([item(1)], next_cursor="c2", has_more=True, error=error),
            PluginError(ErrorCode.PARTIAL, "again", items=[item(2)], cursor="c3"),
            SyncResult([item(3)]),
        ]
        run = await sync_instance(ctx, "a", "anime", now=NOW)
        assert (run.status, run.stored, run.error_code) == ("partial", 1, "upstream")
        assert (await state(ctx))["cursor"] == "c2"
        run = await sync_instance(ctx, "a", "anime", manual=True, now=NOW)
        assert (run.status, run.stored) == ("partial", 1)
        run = await sync_instance(ctx, "a", "anime", manual=True, now=NOW)
        assert run.status == "ok"
        assert [c[2] for c in CALLS] == [None, "c2", "c3"]
        live = await rows(ctx, "SELECT external_id FROM wanted_items WHERE removed_at IS NULL")
        assert sorted(r[0] for r in live) == ["tvdb:1", "tvdb:2", "tvdb:3"]


async def test_entries_gone_from_a_complete_listing_are_marked_removed(
    settings: Settings,
) -> None:
    async with running_app(settings, catalog(), [script("a", "p", ["anime"])]) as (ctx, _):
        PLANS["p"] = [
            SyncResult([item(424536), item(7)]),
            SyncResult([item(424536)], next_cursor="x", has_more=True, error=PluginError(
                ErrorCode.TIMEOUT, "slow")),
            SyncResult([item(424536)]),
            SyncResult([item(424536), item(7)]),
        ]  # fmt: skip
        for _ in range(4):
            await sync_instance(ctx, "a", "anime", manual=True, now=NOW)
            if len(CALLS) == 2:  # the partial listing never removes anything
                assert (
                    await rows(ctx, "SELECT * FROM wanted_items WHERE removed_at IS NOT NULL") == []
                )
            if len(CALLS) == 3:
                gone = await rows(
                    ctx, "SELECT external_id FROM wanted_items WHERE removed_at IS NOT NULL"
                )
                assert gone == [("tvdb:7",)]
                assert "tvdb:7" not in await links(ctx)
        all_rows = await rows(ctx, "SELECT external_id, removed_at FROM wanted_items ORDER BY 1")
        assert all_rows == [("tvdb:424536", None), ("tvdb:7", None)]  # listed again: back


async def test_rate_limit_pauses_without_counting_a_failure(settings: Settings) -> None:
    async with running_app(settings, catalog(), [script("a", "p", ["anime"])]) as (ctx, _):
        PLANS["p"] = [PluginError(ErrorCode.RATE_LIMITED, "429", retry_after=120)]
        run = await sync_instance(ctx, "a", "anime", now=NOW)
        s = await state(ctx)
        assert (run.status, s["status"], s["failures"]) == ("paused", "paused", 0)
        assert s["next_attempt_at"].startswith("2026-11-21T12:02:00")
        skipped = await sync_instance(ctx, "a", "anime", now=NOW + timedelta(seconds=60))
        assert skipped.status == "skipped" and len(CALLS) == 1


async def test_auth_failure_disconnects_until_a_user_runs_it(settings: Settings) -> None:
    async with running_app(settings, catalog(), [script("a", "p", ["anime"])]) as (ctx, _):
        PLANS["p"] = [PluginError(ErrorCode.AUTH, "401"), SyncResult([item(1)])]
        assert (await sync_instance(ctx, "a", "anime", now=NOW)).status == "disconnected"
        later = NOW + timedelta(days=30)
        assert (await sync_instance(ctx, "a", "anime", now=later)).status == "skipped"
        assert (await sync_instance(ctx, "a", "anime", manual=True, now=later)).status == "ok"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (ErrorCode.UPSTREAM, "failed"),
        (ErrorCode.TIMEOUT, "failed"),
        (ErrorCode.INVALID_DATA, "failed"),
        (ErrorCode.BLOCKED, "failed"),
        (ErrorCode.NOT_FOUND, "failed"),
        (ErrorCode.NOT_CONFIGURED, "disconnected"),
    ],
)
async def test_failures_back_off_doubling(settings: Settings, code: ErrorCode, status: str) -> None:
    async with running_app(settings, catalog(), [script("a", "p", ["anime"])]) as (ctx, _):
        PLANS["p"] = [PluginError(code, "no")]
        await sync_instance(ctx, "a", "anime", now=NOW)
        first = await state(ctx)
        await sync_instance(ctx, "a", "anime", manual=True, now=NOW)
        second = await state(ctx)
        assert (first["status"], first["failures"], second["failures"]) == (status, 1, 2)
        assert first["last_error_code"] == code.value
        if status == "failed":
            delay1 = datetime.fromisoformat(first["next_attempt_at"]) - NOW
            delay2 = datetime.fromisoformat(second["next_attempt_at"]) - NOW
            assert delay2 == 2 * delay1 or delay2.total_seconds() == 12 * 3600


async def test_two_instances_of_one_implementation_side_by_side(settings: Settings) -> None:
    plugins = [
        script("alice", "p-alice", ["anime"]),
        script("bob", "p-bob", ["anime", "series"]),
        script("sonarr-tv", "p-tv", ["series"]),
    ]
    async with running_app(settings, catalog(), plugins) as (ctx, _):
        PLANS["p-alice"] = [SyncResult([item(424536, "watching")])]
        PLANS["p-bob"] = [SyncResult([item(424536, "completed"), item(5)])]
        PLANS["p-tv"] = [SyncResult([item(424536)])]
        for name, library in [("alice", "anime"), ("bob", "anime"), ("bob", "series"),
                              ("sonarr-tv", "series")]:  # fmt: skip
            assert (await sync_instance(ctx, name, library, now=NOW)).status == "ok"
        got = await rows(
            ctx,
            "SELECT l.slug, p.name, w.external_id, w.list_status FROM wanted_items w"
            " JOIN libraries l ON l.id = w.library_id JOIN plugin_instances p"
            " ON p.id = w.instance_id ORDER BY 1, 2, 3",
        )
        assert got == [
            ("anime", "alice", "tvdb:424536", "watching"),
            ("anime", "bob", "tvdb:424536", "completed"),
            ("anime", "bob", "tvdb:5", "wanted"),
            ("series", "bob", "tvdb:424536", "completed"),
            ("series", "bob", "tvdb:5", "wanted"),
            ("series", "sonarr-tv", "tvdb:424536", "wanted"),
        ]
        per_library = await rows(
            ctx,
            "SELECT DISTINCT l2.slug, t.slug FROM wanted_links k JOIN wanted_items w"
            " ON w.id = k.wanted_id JOIN libraries l2 ON l2.id = w.library_id"
            " JOIN titles t ON t.id = k.title_id ORDER BY 1, 2",
        )
        assert per_library == [
            ("anime", "frieren"), ("anime", "frieren-2"), ("anime", "other"),
            ("series", "frieren-real"),
        ]  # fmt: skip
        assert {(c[0], c[1].library_slug) for c in CALLS} == {
            ("p-alice", "anime"), ("p-bob", "anime"), ("p-bob", "series"), ("p-tv", "series"),
        }  # fmt: skip


async def test_preview_shows_the_change_and_writes_nothing(settings: Settings) -> None:
    async with running_app(settings, catalog(), [script("a", "p", ["anime"])]) as (ctx, _):
        PLANS["p"] = [
            SyncResult([item(1), item(2)]),
            SyncResult([item(2, "completed"), item(3)], next_cursor="n", has_more=True),
            SyncResult([]),
        ]
        await sync_instance(ctx, "a", "anime", now=NOW)
        before = await rows(ctx, "SELECT * FROM wanted_items ORDER BY id")
        state_before = await state(ctx)
        preview = await preview_sync(ctx, "a", "anime")
        assert (preview.listed, preview.complete) == (2, True)
        assert (preview.new, preview.changed, preview.removed) == (
            ["tvdb:3"],
            ["tvdb:2"],
            ["tvdb:1"],
        )
        assert await rows(ctx, "SELECT * FROM wanted_items ORDER BY id") == before
        assert await state(ctx) == state_before


async def test_a_changed_configuration_reconnects_a_disconnected_instance(
    settings: Settings,
) -> None:
    async with running_app(settings, catalog(), [script("a", "p", ["anime"])]) as (ctx, _):
        PLANS["p"] = [PluginError(ErrorCode.AUTH, "401"), SyncResult([item(1)])]
        assert (await sync_instance(ctx, "a", "anime", now=NOW)).status == "disconnected"

        async def new_key(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "UPDATE plugin_instances SET config = ? WHERE name = 'a'",
                ('{"plan": "p"}  ',),  # same meaning, other text: no change
            )

        await ctx.writer.run(new_key)
        assert ctx.plugins is not None
        await ctx.plugins.reload(ctx.readers)
        assert (await sync_instance(ctx, "a", "anime", now=NOW)).status == "skipped"
        PLANS["p2"] = [SyncResult([item(1)])]

        async def other_plan(conn: aiosqlite.Connection) -> None:
            await conn.execute('UPDATE plugin_instances SET config = \'{"plan": "p2"}\'')

        await ctx.writer.run(other_plan)
        await ctx.plugins.reload(ctx.readers)
        assert (await sync_instance(ctx, "a", "anime", now=NOW)).status == "ok"


async def test_unmapped_titles_link_through_the_ids_their_pages_give(settings: Settings) -> None:
    eps = [Ep(1, 1, {"de_dub": ts(10)})]
    shows = [
        Show("aniworld", "fresh", "Fresh", eps),  # detail done, canonical not yet
        Show("aniworld", "mapped", "Mapped", eps, mapping={"tvdb_id": 77}),
        Show("sto", "elsewhere", "Elsewhere", eps),  # another library
    ]
    async with running_app(
        settings, Catalog(ready=("aw", "sto", "mk"), shows=shows), [script("a", "p", ["anime"])]
    ) as (ctx, _):

        async def page_ids(conn: aiosqlite.Connection) -> None:
            await conn.executemany(
                "INSERT INTO title_external_ids(title_id, namespace, value)"
                " SELECT id, ?, ? FROM titles WHERE slug = ?",
                [("anilist", "501", "fresh"), ("anilist", "501", "elsewhere"),
                 ("anilist", "501", "mapped")],  # the mapping decides for mapped titles
            )  # fmt: skip

        await ctx.writer.run(page_ids)
        PLANS["p"] = [SyncResult([WantedItem("anilist:501", ExternalIds(anilist=501), "F",
                                             2024, "series", "wanted")])]  # fmt: skip
        await sync_instance(ctx, "a", "anime", now=NOW)
        assert await links(ctx) == {"anilist:501": {"fresh"}}
