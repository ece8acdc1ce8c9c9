"""The jobs runner: atomic skip-if-running (cron tick vs run-now), run history, stale-run
cleanup, targeted reschedule, per-job timezones — on the real writer, database and scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from anibridge_like.catalog.state import now_iso
from anibridge_like.jobs.registry import JOB_TYPES
from anibridge_like.jobs.store import JobRunningError
from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer
from tests.jobs.support import GateJob, add_job, app_context, running, runs, until


@pytest.fixture(autouse=True)
def _gate_type(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(JOB_TYPES, "test_gate", "tests.jobs.support:GateJob")
    GateJob.gates.clear()
    GateJob.started.clear()
    GateJob.contexts.clear()
    yield
    for gate in GateJob.gates.values():
        gate.set()


@pytest.mark.parametrize("cron_first", [True, False])
async def test_cron_tick_and_run_now_at_once_run_exactly_once(
    settings: Settings, writer: Writer, readers: ReaderPool, cron_first: bool
) -> None:
    job = await add_job(writer, name="nightly")
    async with app_context(settings, writer, readers) as ctx, running(ctx) as runner:
        tick = runner._fire(job)
        now = runner.run_now(job)
        first, second = (tick, now) if cron_first else (now, tick)
        tasks = [asyncio.create_task(first), asyncio.create_task(second)]
        # Both started at once: exactly one run went ahead; the other is a 409 or a skip.
        await until(lambda: GateJob.started["default"] == 1 and any(t.done() for t in tasks))
        GateJob.gates.setdefault("default", asyncio.Event()).set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        await runner.wait(job)
        history = await runs(readers, job)
        assert GateJob.started["default"] == 1
        succeeded = [h for h in history if h[1] == "success"]
        assert len(succeeded) == 1
        if cron_first:
            # run-now lost: a 409 naming the active run
            refused = [r for r in results if isinstance(r, JobRunningError)]
            assert len(refused) == 1
            active = await readers.fetchone(
                "SELECT id FROM job_runs WHERE job_id = ? AND status = 'success'", (job,)
            )
            assert active is not None and refused[0].run_id == active[0]
            assert history == [("cron", "success")]
        else:
            # the tick lost: recorded as skipped
            assert sorted(history) == [("cron", "skipped"), ("manual", "success")]


async def test_a_run_active_in_the_database_refuses_run_now_with_its_id(
    settings: Settings, writer: Writer, readers: ReaderPool
) -> None:
    """The partial unique index is the guard (here: a run claimed by another process)."""
    job = await add_job(writer, name="nightly")
    async with app_context(settings, writer, readers) as ctx, running(ctx) as runner:
        other = await writer.execute(
            "INSERT INTO job_runs(job_id, trigger, status, started_at)"
            " VALUES (?, 'cron', 'running', ?)",
            (job, now_iso()),
        )
        row = await readers.fetchone("SELECT id FROM job_runs WHERE job_id = ?", (job,))
        assert row is not None and other >= 0
        with pytest.raises(JobRunningError) as info:
            await runner.run_now(job)
        assert info.value.run_id == row[0]
        await runner._fire(job)  # a tick meanwhile: loses the claim, recorded skipped
        await runner.wait(job)
        assert await runs(readers, job) == [("cron", "running"), ("cron", "skipped")]
        assert GateJob.started["default"] == 0


async def test_stale_running_rows_are_aborted_when_the_runner_starts(
    settings: Settings, writer: Writer, readers: ReaderPool
) -> None:
    job = await add_job(writer, name="nightly")
    await writer.execute(
        "INSERT INTO job_runs(job_id, trigger, status, started_at)"
        " VALUES (?, 'manual', 'running', ?)",
        (job, now_iso()),
    )
    await writer.execute("UPDATE jobs SET last_run_status = 'running' WHERE id = ?", (job,))
    async with app_context(settings, writer, readers) as ctx, running(ctx) as runner:
        assert await runs(readers, job) == [("manual", "aborted")]
        row = await readers.fetchone("SELECT last_run_status FROM jobs WHERE id = ?", (job,))
        assert row is not None and row[0] == "aborted"
        # and the job can run again
        GateJob.gates["default"] = asyncio.Event()
        GateJob.gates["default"].set()
        run_id = await runner.run_now(job)
        outcome = await runner.wait(job)
        assert outcome is not None and outcome.run_id == run_id and outcome.status == "success"


async def test_run_history_records_outcomes_and_last_run_per_job(
    settings: Settings, writer: Writer, readers: ReaderPool
) -> None:
    good = await add_job(writer, name="good", config={"gate": "g"})
    bad = await add_job(writer, name="bad", config={"fail": True})
    GateJob.gates["g"] = asyncio.Event()
    GateJob.gates["g"].set()
    async with app_context(settings, writer, readers) as ctx, running(ctx) as runner:
        await runner.run_now(good)
        await runner.wait(good)
        await runner.run_now(bad)
        await runner.wait(bad)
        rows = await readers.fetchall(
            "SELECT job_id, status, message, summary, finished_at FROM job_runs ORDER BY id"
        )
        assert [(r[0], r[1]) for r in rows] == [(good, "success"), (bad, "failed")]
        assert '"runs": 1' in rows[0][3] and rows[0][4]
        assert "RuntimeError: the gate job was told to fail" in rows[1][2]
        last = await readers.fetchone(
            "SELECT last_run_status, last_run_message, last_run_at FROM jobs WHERE id = ?", (bad,)
        )
        assert last is not None and last[0] == "failed" and "told to fail" in last[1] and last[2]
        # every log line of a run (plugin calls included) carries the job and its library
        assert GateJob.contexts == [
            {"job": "good", "library": "anime"},
            {"job": "bad", "library": "anime"},
        ]


async def test_a_run_cancelled_at_shutdown_is_recorded_aborted(
    settings: Settings, writer: Writer, readers: ReaderPool
) -> None:
    job = await add_job(writer, name="long")
    async with app_context(settings, writer, readers) as ctx:
        async with running(ctx) as runner:
            await runner.run_now(job)
            await until(lambda: GateJob.started["default"] == 1)
        assert await runs(readers, job) == [("manual", "aborted")]


async def test_changing_one_job_reschedules_only_that_job(
    settings: Settings, writer: Writer, readers: ReaderPool
) -> None:
    first = await add_job(writer, name="first", cron="0 4 * * 0")
    second = await add_job(writer, name="second", cron="0 5 * * 1")
    async with app_context(settings, writer, readers) as ctx, running(ctx) as runner:
        untouched = ctx.scheduler.get_job(f"job:{second}")
        before = ctx.scheduler.get_job(f"job:{first}")
        await writer.execute("UPDATE jobs SET cron = '30 6 * * 3' WHERE id = ?", (first,))
        await runner.reload()
        after = ctx.scheduler.get_job(f"job:{first}")
        assert after is not before and after.next_run_time.strftime("%a %H:%M") == "Wed 06:30"
        assert ctx.scheduler.get_job(f"job:{second}") is untouched  # not rebuilt
        await writer.execute("UPDATE jobs SET enabled = 0 WHERE id = ?", (second,))
        await runner.reschedule(second)
        assert ctx.scheduler.get_job(f"job:{second}") is None
        assert ctx.scheduler.get_job(f"job:{first}") is after
        await writer.execute("DELETE FROM jobs WHERE id = ?", (first,))
        assert await runner.reschedule(first) is None
        assert ctx.scheduler.get_job(f"job:{first}") is None


async def test_each_job_fires_in_its_own_timezone(
    settings: Settings, writer: Writer, readers: ReaderPool
) -> None:
    berlin = await add_job(writer, name="berlin", cron="0 4 * * 0", timezone="Europe/Berlin")
    default = await add_job(writer, name="default", cron="0 4 * * 0")
    tokyo_settings = settings.model_copy(update={"timezone": "Asia/Tokyo"})
    async with app_context(tokyo_settings, writer, readers) as ctx, running(ctx) as runner:
        for job, zone, offset in ((berlin, "Europe/Berlin", (1, 2)), (default, "Asia/Tokyo", (9,))):
            fire = runner.next_fire_time(job)
            assert fire is not None
            assert fire.strftime("%a %H:%M") == "Sun 04:00" and str(fire.tzinfo) == zone
            assert fire.utcoffset() is not None
            assert fire.utcoffset().total_seconds() / 3600 in offset  # type: ignore[union-attr]
            assert fire > datetime.now(UTC)


async def test_an_unschedulable_row_is_reported_and_does_not_stop_the_others(
    settings: Settings, writer: Writer, readers: ReaderPool
) -> None:
    broken = await add_job(writer, name="broken", cron="0 4 * * 9")
    fine = await add_job(writer, name="fine")
    async with app_context(settings, writer, readers) as ctx, running(ctx) as runner:
        assert "day of week '9'" in runner.errors[broken]
        assert runner.next_fire_time(broken) is None
        assert runner.next_fire_time(fine) is not None


async def test_a_retry_due_while_the_job_runs_goes_after_the_run(
    settings: Settings, writer: Writer, readers: ReaderPool
) -> None:
    """A stage asking for an early attempt schedules it while its own run is still ending: the
    one-shot is not dropped as "still running" (a cron tick is)."""
    job = await add_job(writer, name="nightly")
    async with app_context(settings, writer, readers) as ctx, running(ctx) as runner:
        await runner.run_now(job)
        await until(lambda: GateJob.started["default"] == 1)
        await runner._fire(job, "retry")
        await runner._fire(job, "cron")
        GateJob.gates["default"].set()
        await until(lambda: GateJob.started["default"] == 2)
        await runner.wait(job)
        history = await runs(readers, job)
        assert sorted(history) == [("cron", "skipped"), ("manual", "success"), ("retry", "success")]
