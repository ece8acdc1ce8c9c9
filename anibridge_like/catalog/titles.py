"""The title stage: site listing → bounded channel → writer batches into a staging generation →
promotion to live in one transaction.

Flow of one run (all rows keyed by ``(site, slug)``, never by instance)::

    producer  list_titles pages ──chunks ≤ title_batch_size──► Channel(title_queue_size)
    consumer  Channel ──coalesced ≤ title_batch_size──► writer unit: staging rows + cursor + counts
    promote   one writer unit: staging → titles (new / changed / unchanged), aliases,
              title_state, missed/gone bookkeeping, staging cleared, stage ready

* The live generation is never touched before promotion: a failed or interrupted listing leaves
  it serving. The cursor saved with each batch is where a later attempt resumes the same staging
  generation (a listing without cursors is discarded and restarted instead).
* A title is marked ``gone`` only after two complete listings missed it, so one truncated listing
  never deletes the catalog; a complete listing with no titles at all while a catalog is live is
  refused as ``invalid_data``.
* New and changed titles (by ``listing_hash``) become due for the detail stage.
* Two instances of one site share the catalog: when another instance listed the site within half
  of this instance's refresh interval, the stage adopts that generation instead of listing again
  (a manual refresh always lists).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiosqlite

from anibridge_like.catalog.channel import Channel, ChannelClosedError, EndOfStream
from anibridge_like.catalog.promotion import listing_hash, promote
from anibridge_like.catalog.stage import InstanceRun, StageLifecycle, StageResult, interval_hours
from anibridge_like.catalog.state import (
    StageName,
    StageStatus,
    now_iso,
    parse_iso,
    read_stage,
    run_started,
    save_stage,
    utcnow,
    write_stage,
)
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.provider import TitleItem

_KINDS = frozenset({"series", "movie"})
_MAX_PAGES = 1_000_000
BUILD_SLICE = 128
"""Listing items turned into rows per step of the event loop (a 1,000-item batch took ~10 ms)."""


@dataclass(frozen=True, slots=True)
class ListingBatch:
    """Up to ``title_batch_size`` listing items; ``cursor`` is set on a page's last chunk and
    names where the listing resumes once everything up to here is persisted."""

    items: list[TitleItem]
    cursor: str | None = None


@dataclass(slots=True)
class _Plan:
    generation: int
    cursor: str | None
    staged: int
    estimate: int
    attempts: int


class TitleStage:
    name = StageName.TITLE

    async def run(self, run: InstanceRun) -> StageResult:
        log = run.log.bind(stage=self.name.value)
        state, sibling = await self._read(run)
        live = state["live_generation"] if state else None
        if not run.manual:
            skip = await self._skip_or_adopt(run, state, sibling)
            if skip is not None:
                log.debug("title.not_due", status=skip.status)
                return skip
        plan = await run.writer.run(lambda conn: self._begin(conn, run, state), label="title.begin")
        progress = run.progress(self.name)
        progress.start(total=plan.estimate, estimated=True, done=plan.staged)
        log.info(
            "title.listing_started",
            generation=plan.generation,
            resume_cursor=plan.cursor,
            already_staged=plan.staged,
        )
        channel: Channel[ListingBatch] = Channel(run.settings.title_queue_size, name="titles")
        progress.queue_depth = lambda: channel.depth
        counts = {"listed": plan.staged, "persisted": plan.staged, "failed": 0}
        try:
            async with asyncio.TaskGroup() as group:
                producer = group.create_task(self._produce(run, channel, plan.cursor))
                group.create_task(self._consume(run, channel, plan, counts))
        except BaseExceptionGroup as group_error:
            raise group_error.exceptions[0] from None
        error = producer.result()
        if error is None and counts["listed"] == 0 and (plan.estimate > 0 or live is not None):
            error = PluginError(
                ErrorCode.INVALID_DATA, "the listing completed without a single title"
            )
        if error is not None:
            return await self._fail(run, plan, counts, error)
        summary = await run.writer.run(
            lambda conn: promote(conn, run, plan.generation, counts), label="title.promote"
        )
        progress.total, progress.total_estimated = counts["persisted"], False
        progress.finish(StageStatus.READY)
        log.info("title.promoted", generation=plan.generation, **summary)
        return StageResult(StageStatus.READY)

    # ---- planning ------------------------------------------------------------------------
    async def _read(self, run: InstanceRun) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        async with run.readers.connection() as conn:
            state = await read_stage(conn, run.spec.name, self.name)
            rows = list(
                await conn.execute_fetchall(
                    "SELECT s.instance, s.finished_at, s.live_generation, s.listed, s.persisted"
                    " FROM stage_state s JOIN plugin_instances p ON p.name = s.instance"
                    " WHERE p.site = ? AND s.stage = 'title' AND s.live_generation IS NOT NULL"
                    " AND s.finished_at IS NOT NULL ORDER BY s.finished_at DESC LIMIT 1",
                    (run.site,),
                )
            )
        return state, (dict(rows[0]) if rows else None)

    async def _skip_or_adopt(
        self, run: InstanceRun, state: dict[str, Any] | None, sibling: dict[str, Any] | None
    ) -> StageResult | None:
        """None when the listing should run; else the result of skipping (or adopting)."""
        now = utcnow()
        status = state["status"] if state else StageStatus.PENDING
        if state and state["staging_generation"] is not None and state["cursor"]:
            return None  # an interrupted listing resumes
        if state and status in (StageStatus.FAILED, StageStatus.BACKING_OFF):
            # the one lifecycle rule; a failed listing without a next attempt waits for the user
            return StageLifecycle(run, self.name, state).backing_off(manual_overrides=False)
        finished = parse_iso(sibling["finished_at"]) if sibling else None
        fresh_for = timedelta(hours=interval_hours(run.spec, run.settings) / 2)
        if sibling is None or finished is None or now - finished >= fresh_for:
            return None
        if status != StageStatus.READY and sibling["instance"] == run.spec.name:
            return None
        if status == StageStatus.READY and (
            sibling["instance"] == run.spec.name
            or (state and state["live_generation"] == sibling["live_generation"])
        ):
            return StageResult(StageStatus.READY, skipped=True)

        stamp = now_iso()
        await write_stage(
            run.writer,
            run.spec.name,
            self.name,
            label="title.adopt",
            status=StageStatus.READY.value,
            live_generation=sibling["live_generation"],
            listed=sibling["listed"],
            persisted=sibling["persisted"],
            failed=0,
            finished_at=sibling["finished_at"],
            started_at=stamp,
            ready_at=stamp,
            attempts=0,
            last_error=None,
            next_attempt_at=None,
        )
        progress = run.progress(self.name)
        progress.start(total=sibling["persisted"], done=sibling["persisted"])
        progress.note = f"shares the listing of instance {sibling['instance']}"
        progress.finish(StageStatus.READY)
        run.log.info("title.adopted", source=sibling["instance"], stage=self.name.value)
        return StageResult(StageStatus.READY, skipped=True)

    async def _begin(
        self, conn: aiosqlite.Connection, run: InstanceRun, state: dict[str, Any] | None
    ) -> _Plan:
        site, instance = run.site, run.spec.name
        attempts = int(state["attempts"]) if state else 0
        estimate_rows = await conn.execute_fetchall(
            "SELECT COUNT(*) FROM titles WHERE site = ? AND gone = 0", (site,)
        )
        estimate = int(list(estimate_rows)[0][0])
        stamp = now_iso()
        gen = state["staging_generation"] if state else None
        cursor = state["cursor"] if state else None
        if gen is not None and cursor:
            rows = await conn.execute_fetchall(
                "SELECT COUNT(*) FROM staging_titles WHERE site = ? AND generation = ?",
                (site, gen),
            )
            staged = int(list(rows)[0][0])
            if staged > 0:
                await save_stage(
                    conn,
                    instance,
                    self.name,
                    **run_started(estimate, staged, stamp),
                )
                return _Plan(int(gen), cursor, staged, estimate, attempts)
        rows = await conn.execute_fetchall(
            "SELECT MAX(g) FROM (SELECT MAX(generation) AS g FROM titles WHERE site = :s"
            " UNION ALL SELECT MAX(generation) FROM staging_titles WHERE site = :s"
            " UNION ALL SELECT MAX(live_generation) FROM stage_state s"
            " JOIN plugin_instances p ON p.name = s.instance WHERE p.site = :s)",
            {"s": site},
        )
        generation = int(list(rows)[0][0] or 0) + 1
        # Only one instance of a site runs at a time (the service's per-site lock), so every
        # staging row of this site is a leftover: discard it and the cursors pointing into it.
        await conn.execute("DELETE FROM staging_titles WHERE site = ?", (site,))
        await conn.execute(
            "UPDATE stage_state SET staging_generation = NULL, cursor = NULL"
            " WHERE stage = 'title' AND instance IN"
            " (SELECT name FROM plugin_instances WHERE site = ?)",
            (site,),
        )
        await save_stage(
            conn,
            instance,
            self.name,
            **run_started(estimate, 0, stamp),
            staging_generation=generation,
            cursor=None,
        )
        return _Plan(generation, None, 0, estimate, attempts)

    # ---- listing -------------------------------------------------------------------------
    async def _produce(
        self, run: InstanceRun, channel: Channel[ListingBatch], cursor: str | None
    ) -> PluginError | None:
        """Walk the listing into ``channel``; returns the error that stopped it, if any."""
        size = run.settings.title_batch_size
        pages = 0
        try:
            while True:
                page = await run.retrier.list_page(
                    run.provider, cursor, time_limit=run.settings.listing_page_timeout_seconds
                )
                pages += 1
                next_cursor = page.next_cursor if page.has_more and page.next_cursor else None
                items = page.items
                del page
                while True:  # hand the page on chunk by chunk, releasing what was handed on
                    chunk = items[:size]
                    del items[:size]
                    await channel.put(ListingBatch(chunk, None if items else next_cursor))
                    if not items:
                        break
                del items
                if next_cursor is None:
                    return None
                if next_cursor == cursor or pages > _MAX_PAGES:
                    return PluginError(
                        ErrorCode.INVALID_DATA, f"listing cursor does not advance ({cursor!r})"
                    )
                cursor = next_cursor
        except PluginError as error:
            return error
        except ChannelClosedError:
            return None  # the consumer stopped; its own error is what the run reports
        finally:
            channel.close()

    async def _consume(
        self,
        run: InstanceRun,
        channel: Channel[ListingBatch],
        plan: _Plan,
        counts: dict[str, int],
    ) -> None:
        size = run.settings.title_batch_size
        progress = run.progress(self.name)
        site, generation, instance = run.site, plan.generation, run.spec.name
        pacer = run.pacer()
        while True:
            try:
                batches = [await channel.get()]
            except EndOfStream:
                return
            pacer.begin()
            total = len(batches[0].items)
            while (head := channel.peek()) is not None and total + len(head.items) <= size:
                batches.append(await channel.get())
                total += len(batches[-1].items)
            cursor = next((b.cursor for b in reversed(batches) if b.cursor), None)
            rows: dict[str, tuple[Any, ...]] = {}
            bad = 0
            for batch in batches:
                for n, item in enumerate(batch.items, 1):
                    if n % BUILD_SLICE == 0:
                        await asyncio.sleep(0)  # the loop free between slices (issue 12)
                    if not item.slug or not item.title or item.kind not in _KINDS:
                        bad += 1
                        continue
                    rows[item.slug] = (
                        site,
                        generation,
                        item.slug,
                        item.title,
                        item.kind,
                        item.year,
                        json.dumps(list(item.aliases), ensure_ascii=False),
                        listing_hash(item),
                    )
            counts["listed"] += total
            counts["persisted"] += len(rows)
            counts["failed"] += bad
            ordered = [rows[k] for k in sorted(rows)]
            unit = self._batch_unit(instance, ordered, dict(counts), cursor)
            last_slug = ordered[-1][2] if ordered else None
            await run.writer.run(unit, label="title.stage_batch")
            progress.listed, progress.persisted = counts["listed"], counts["persisted"]
            progress.failed = counts["failed"]
            progress.current = last_slug
            progress.tick()
            await pacer.step_done()

    def _batch_unit(
        self,
        instance: str,
        rows: list[tuple[Any, ...]],
        counts: dict[str, int],
        cursor: str | None,
    ) -> Callable[[aiosqlite.Connection], Awaitable[None]]:
        async def unit(conn: aiosqlite.Connection) -> None:
            await conn.executemany(
                "INSERT INTO staging_titles"
                " (site, generation, slug, title, kind, year, aliases, listing_hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(site, generation, slug) DO UPDATE SET title = excluded.title,"
                " kind = excluded.kind, year = excluded.year, aliases = excluded.aliases,"
                " listing_hash = excluded.listing_hash",
                rows,
            )
            values: dict[str, Any] = dict(counts)
            if cursor is not None:
                values["cursor"] = cursor
            await save_stage(conn, instance, self.name, **values)

        return unit

    # ---- outcomes ------------------------------------------------------------------------
    async def _fail(
        self, run: InstanceRun, plan: _Plan, counts: dict[str, int], error: PluginError
    ) -> StageResult:
        life = StageLifecycle(run, self.name, {"status": "running", "attempts": plan.attempts})
        failure = life.failure(error)

        async def unit(conn: aiosqlite.Connection) -> tuple[bool, bool]:
            row = await read_stage(conn, run.spec.name, self.name)
            keep = bool(row and row["cursor"])
            live = bool(row and row["live_generation"] is not None)
            if not keep:
                await conn.execute(
                    "DELETE FROM staging_titles WHERE site = ? AND generation = ?",
                    (run.site, plan.generation),
                )
            await save_stage(
                conn,
                run.spec.name,
                self.name,
                **failure.columns(),
                staging_generation=plan.generation if keep else None,
                cursor=row["cursor"] if keep and row else None,
                listed=counts["listed"],
                persisted=counts["persisted"],
                failed=counts["failed"],
            )
            return keep, live

        kept, live = await run.writer.run(unit, label="title.fail")
        # A listing that was promoted before still serves: its titles' details keep refreshing.
        return life.failed(
            failure,
            blocks_following=not live,
            staged_kept=counts["persisted"] if kept else 0,
        )
