"""The detail stage: seasons, episodes and languages of every title that is new, changed or due.

::

    feeder   due titles, keyset pages from a reader ──► Channel(detail_queue_size)
    workers  detail_concurrency × fetch_detail (retried per policy) ──► Channel(detail_queue_size)
    persister  coalesced ≤ detail_batch_size outcomes ──► one writer unit each (episodes.py)

Due titles, in this order: wanted ones (:mod:`anibridge_like.sync.priority`; also due when their
details are older than ``wanted_refresh_hours``), never fetched or changed by the listing
(``pending``), then failed or refresh-due ones (``detail_next_at`` passed). Nothing is loaded
whole: the feeder pages through ids, the channels are bounded, results are persisted as they
complete.

One title's failure is that title's: it is counted, its next attempt is set by backoff, and the
stage goes on. The stage itself fails when more than ``max_failed_share`` of the site's live
titles have failing details (so a retry run of a few titles never fails the stage by itself),
when one title's error says the whole site refuses us (blocked, auth) or throttles us beyond what
a run waits for, or when many titles in a row fail with transient errors (the site looks down).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiosqlite

from anibridge_like.catalog.channel import Channel, ChannelClosedError, EndOfStream
from anibridge_like.catalog.episodes import DetailOutcome, persist_details
from anibridge_like.catalog.retry import (
    TRANSIENT_STREAK_LIMIT,
    is_transient,
    stops_stage,
    title_retry_at,
)
from anibridge_like.catalog.stage import InstanceRun, StageLifecycle, StageResult
from anibridge_like.catalog.state import (
    StageName,
    StageStatus,
    fetch_named,
    iso,
    parse_iso,
    read_stage,
    run_ready,
    save_stage,
    utcnow,
    write_stage,
)
from anibridge_like.plugins.errors import PluginError
from anibridge_like.sync.priority import WANTED_TITLE

_PAGE = 500
_WANTED_DUE = (
    "(s.detail_status = 'ok' AND s.detail_ok_at <= :wanted_cutoff AND "
    + WANTED_TITLE.format(title="t.id")
    + ")"
)
"""A wanted title whose details are older than ``wanted_refresh_hours`` (anibridge_like.sync)."""
_WANTED = WANTED_TITLE.format(title="t.id")
_DUE_FILTER = {
    "wanted": "(s.detail_status = 'pending' OR s.detail_next_at <= :cutoff OR "
    + _WANTED_DUE[1:-1]
    + ") AND "
    + _WANTED,
    "pending": "s.detail_status = 'pending'",
    "due": f"s.detail_status <> 'pending' AND (s.detail_next_at <= :cutoff OR {_WANTED_DUE})",
}


def _wanted_cutoff(run: InstanceRun, now: datetime) -> str | None:
    return iso(now - timedelta(hours=run.settings.wanted_refresh_hours))


def _next_wanted_refresh(
    run: InstanceRun, now: datetime, oldest_not_due: str | None, any_due: bool
) -> datetime | None:
    """When the site's first wanted title becomes due again after this run (a catalog run is
    asked for then): the oldest wanted details this run leaves alone, or the ones it fetches."""
    hours = timedelta(hours=run.settings.wanted_refresh_hours)
    moments = [now + hours] if any_due else []
    oldest = parse_iso(oldest_not_due)
    if oldest is not None:
        moments.append(oldest + hours)
    return min(moments) if moments else None


class _Stop(Exception):
    """Tells feeder and workers that the stage stops early."""


@dataclass(slots=True)
class _Tally:
    total: int
    catalog: int
    """Live titles of the site: the base of the failed share."""
    failing_before: int
    """Titles of the site whose details were failing before this run, not due in it."""
    persisted: int = 0
    failed: int = 0
    streak: int = 0
    stop: PluginError | None = None
    last_error: PluginError | None = None
    earliest_retry: datetime | None = None
    slugs: dict[int, str] = field(default_factory=dict)
    wanted_next: datetime | None = None
    """When the first wanted title is due again after this run."""


class DetailStage:
    name = StageName.DETAIL

    async def run(self, run: InstanceRun) -> StageResult:
        log = run.log.bind(stage=self.name.value)
        now = utcnow()
        cutoff = iso(now)
        async with run.readers.connection() as conn:
            state = await read_stage(conn, run.spec.name, self.name)
            rows = await conn.execute_fetchall(
                "SELECT COUNT(*),"
                " SUM(s.detail_status = 'pending' OR s.detail_next_at <= :cutoff"
                f" OR {_WANTED_DUE}),"
                " SUM(s.detail_status = 'failed' AND s.detail_next_at > :cutoff),"
                " MIN(CASE WHEN s.detail_status = 'ok' AND s.detail_ok_at > :wanted_cutoff"
                f" AND {_WANTED} THEN s.detail_ok_at END),"
                f" MAX({_DUE_FILTER['wanted']})"
                " FROM titles t JOIN title_state s ON s.title_id = t.id"
                " WHERE t.site = :site AND t.gone = 0",
                {"site": run.site, "cutoff": cutoff, "wanted_cutoff": _wanted_cutoff(run, now)},
            )
        first = list(rows)[0]
        catalog, due, failing = (int(v or 0) for v in first[:3])
        wanted_next = _next_wanted_refresh(run, now, first[3], bool(first[4]))
        total = due
        life = StageLifecycle(run, self.name, state)
        if (skip := life.backing_off()) is not None:
            return skip
        if total == 0:
            # failing titles not due yet keep their own retry, and a wanted title its refresh:
            # the stage's next attempt is the earliest of them
            next_at = _earliest(await self._next_failing(run), wanted_next)
            recorded = parse_iso(state["next_attempt_at"]) if state else None
            await life.nothing_due()
            if recorded != next_at:
                await write_stage(
                    run.writer,
                    run.spec.name,
                    self.name,
                    label="detail.nothing_due",
                    **run_ready(next_attempt_at=iso(next_at)),
                )
            return StageResult(StageStatus.READY, skipped=True, next_attempt_at=next_at)
        progress = await life.begin(total)
        log.info("detail.started", due=total)
        tally = _Tally(total, catalog, failing, wanted_next=wanted_next)
        size = run.settings.detail_queue_size
        work: Channel[tuple[int, str, int]] = Channel(size, name="detail-work")
        results: Channel[DetailOutcome] = Channel(size, name="detail-results")
        progress.queue_depth = lambda: work.depth + results.depth
        workers = run.settings.detail_concurrency
        alive = [workers]
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._feed(run, work, cutoff))
                for _ in range(workers):
                    group.create_task(self._work(run, work, results, tally, alive))
                group.create_task(self._persist(run, work, results, tally))
        except BaseExceptionGroup as group_error:
            raise group_error.exceptions[0] from None
        return await self._finish(life, tally)

    @staticmethod
    async def _next_failing(run: InstanceRun) -> datetime | None:
        """When the next title whose details are failing is due again (None: none failing)."""
        async with run.readers.connection() as conn:
            rows = await conn.execute_fetchall(
                "SELECT MIN(s.detail_next_at) FROM titles t JOIN title_state s"
                " ON s.title_id = t.id WHERE t.site = ? AND t.gone = 0"
                " AND s.detail_status = 'failed'",
                (run.site,),
            )
        return parse_iso(list(rows)[0][0])

    # ---- tasks ---------------------------------------------------------------------------
    async def _feed(
        self, run: InstanceRun, work: Channel[tuple[int, str, int]], cutoff: str | None
    ) -> None:
        wanted_cutoff = _wanted_cutoff(run, utcnow())
        fed: set[int] = set()  # wanted titles go first, then are skipped by the later passes
        try:
            for which in ("wanted", "pending", "due"):
                last = 0
                while True:
                    rows = await fetch_named(
                        run.readers,
                        "SELECT t.id, t.slug, s.detail_failures FROM titles t"
                        " JOIN title_state s ON s.title_id = t.id"
                        f" WHERE t.site = :site AND t.gone = 0 AND t.id > :last"
                        f" AND {_DUE_FILTER[which]} ORDER BY t.id LIMIT :n",
                        {
                            "site": run.site,
                            "last": last,
                            "cutoff": cutoff,
                            "n": _PAGE,
                            "wanted_cutoff": wanted_cutoff,
                        },
                    )
                    for row in rows:
                        if which == "wanted":
                            fed.add(int(row[0]))
                        elif int(row[0]) in fed:
                            continue
                        await work.put((int(row[0]), str(row[1]), int(row[2])))
                    if len(rows) < _PAGE:
                        break
                    last = int(rows[-1][0])
        except (ChannelClosedError, _Stop):
            return
        finally:
            work.close()

    async def _work(
        self,
        run: InstanceRun,
        work: Channel[tuple[int, str, int]],
        results: Channel[DetailOutcome],
        tally: _Tally,
        alive: list[int],
    ) -> None:
        progress = run.progress(self.name)
        timeout = run.settings.detail_timeout_seconds
        try:
            while True:
                try:
                    title_id, slug, failures = await work.get()
                except (EndOfStream, _Stop):
                    return
                progress.current = slug
                outcome = DetailOutcome(title_id, slug, failures)
                try:
                    outcome.detail = await run.retrier.call(
                        lambda s=slug: run.provider.fetch_detail(s),  # type: ignore[misc]
                        what=f"fetch_detail({slug})",
                        time_limit=timeout,
                    )
                except PluginError as error:
                    outcome.error = error
                    outcome.retry_at = title_retry_at(
                        error, failures=failures + 1, settings=run.settings, now=utcnow()
                    )
                    self._note_failure(run, work, tally, error, slug)
                else:
                    tally.streak = 0
                try:
                    await results.put(outcome)
                except ChannelClosedError:
                    return
        finally:
            alive[0] -= 1
            if alive[0] == 0:
                results.close()

    def _note_failure(
        self,
        run: InstanceRun,
        work: Channel[tuple[int, str, int]],
        tally: _Tally,
        error: PluginError,
        slug: str,
    ) -> None:
        tally.last_error = error
        if is_transient(error):
            tally.streak += 1
        run.log.info(
            "detail.title_failed",
            stage=self.name.value,
            slug=slug,
            code=error.code.value,
            error=error.message,
        )
        stop: PluginError | None = None
        if stops_stage(error, pause_cap=run.settings.backoff_cap_seconds):
            stop = error
        elif tally.streak >= TRANSIENT_STREAK_LIMIT:
            stop = PluginError(
                error.code, f"{tally.streak} titles in a row failed; last: {error.message}"
            )
        if stop is not None and tally.stop is None:
            tally.stop = stop
            work.abort(_Stop())

    async def _persist(
        self,
        run: InstanceRun,
        work: Channel[tuple[int, str, int]],
        results: Channel[DetailOutcome],
        tally: _Tally,
    ) -> None:
        progress = run.progress(self.name)
        limit = run.settings.detail_batch_size
        share = run.settings.max_failed_share
        hours = run.settings.detail_refresh_hours
        pacer = run.pacer()
        while True:
            try:
                batch = await results.get_batch(limit)
            except EndOfStream:
                return
            pacer.begin()
            ok = sum(1 for o in batch if o.detail is not None)
            failed = len(batch) - ok
            counts = {"persisted": tally.persisted + ok, "failed": tally.failed + failed}
            counts["listed"] = counts["persisted"] + counts["failed"]
            await run.writer.run(
                self._batch_unit(run, batch, counts, hours), label="detail.persist_batch"
            )
            await pacer.step_done()
            tally.persisted, tally.failed = counts["persisted"], counts["failed"]
            for o in batch:
                if o.retry_at is not None and (
                    tally.earliest_retry is None or o.retry_at < tally.earliest_retry
                ):
                    tally.earliest_retry = o.retry_at
            progress.persisted, progress.failed = tally.persisted, tally.failed
            progress.listed = tally.persisted + tally.failed
            progress.tick()
            if tally.stop is None and self._over_share(tally, share):
                tally.stop = self._share_error(tally)
                work.abort(_Stop())
                results.abort(_Stop())
                return

    def _batch_unit(
        self, run: InstanceRun, batch: list[DetailOutcome], counts: dict[str, int], hours: float
    ) -> Callable[[aiosqlite.Connection], Awaitable[None]]:
        moment = utcnow()

        async def unit(conn: aiosqlite.Connection) -> None:
            await persist_details(conn, batch, moment=moment, refresh_hours=hours)
            await save_stage(conn, run.spec.name, self.name, **counts)

        return unit

    @staticmethod
    def _over_share(tally: _Tally, share: float) -> bool:
        failing = tally.failing_before + tally.failed
        return tally.last_error is not None and failing > share * tally.catalog

    @staticmethod
    def _share_error(tally: _Tally) -> PluginError:
        last = tally.last_error
        assert last is not None
        return PluginError(
            last.code,
            f"{tally.failing_before + tally.failed} of {tally.catalog} titles failing"
            f" (more than the allowed share); this run {tally.failed} of {tally.total} failed;"
            f" last: {last.message}",
        )

    async def _finish(self, life: StageLifecycle, tally: _Tally) -> StageResult:
        run = life.run
        share = run.settings.max_failed_share
        error = tally.stop
        if error is None and self._over_share(tally, share):
            error = self._share_error(tally)
        if error is not None:
            return await life.fail(error, persisted=tally.persisted, failed=tally.failed)
        last = tally.last_error
        note = f"{last.code.value}: {last.message}" if last is not None else None
        # Titles that failed in earlier runs and were not due in this one keep their own retry,
        # and wanted titles their refresh: the stage's next attempt is the earliest of them all.
        retry_at = _earliest(
            await self._next_failing(life.run), tally.earliest_retry, tally.wanted_next
        )
        result = await life.ready(note=note, next_attempt_at=retry_at)
        run.log.info(
            "detail.ready",
            stage=self.name.value,
            persisted=tally.persisted,
            failed=tally.failed,
            retry_failed_at=iso(retry_at),
        )
        return result


def _earliest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return min(known) if known else None
