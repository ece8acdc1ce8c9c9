"""SIGKILL during each stage, then restart: the database passes ``integrity_check``, the live
generation was never corrupted, and the restarted process ends with a complete catalog.

Each test runs ``tests.fakes.catalog_runner`` (the catalog service over the in-memory provider)
in a subprocess, watches the database read-only from here, kills the process with SIGKILL at the
chosen point and starts it again.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from anibridge_like.demo.catalog import GeneratedCatalog

ROOT = Path(__file__).resolve().parents[2]
TITLES = 600
SEED = 4


def start(data_dir: Path, *extra: str, titles: int = TITLES) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.catalog_runner",
            "--data-dir",
            str(data_dir),
            "--titles",
            str(titles),
            "--seed",
            str(SEED),
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []  # not migrated yet
    finally:
        conn.close()


def kill_when(proc: subprocess.Popen[str], db: Path, ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not ready():
        assert proc.poll() is None, f"the runner ended before the kill point: {proc.stdout.read()}"  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "kill point never reached"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL


def finish(data_dir: Path, *extra: str, titles: int = TITLES) -> None:
    proc = start(data_dir, *extra, titles=titles)
    out, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, out[-3000:]
    assert "complete" in out.splitlines()


def integrity(db: Path) -> str:
    return str(query(db, "PRAGMA integrity_check")[0][0])


def assert_complete(db: Path, generation: int) -> None:
    truth = GeneratedCatalog("aniworld", TITLES, seed=SEED)
    assert integrity(db) == "ok"
    assert query(
        db, "SELECT COUNT(*), MIN(generation), MAX(generation) FROM titles WHERE gone = 0"
    ) == [(TITLES, generation, generation)]
    assert {r[0] for r in query(db, "SELECT slug FROM titles")} == set(truth.slugs)
    assert query(db, "SELECT COUNT(*) FROM episodes")[0][0] == sum(len(t.episodes) for t in truth)
    assert query(db, "SELECT COUNT(*) FROM title_state WHERE detail_status = 'ok'")[0][0] == TITLES
    assert query(db, "SELECT COUNT(*) FROM staging_titles")[0][0] == 0
    states = query(db, "SELECT stage, status, live_generation FROM stage_state ORDER BY stage")
    assert [(s, st) for s, st, _ in states] == [
        ("canonical", "ready"),
        ("detail", "ready"),
        ("title", "ready"),
    ]
    assert states[2][2] == generation


def staged(db: Path) -> int:
    rows = query(db, "SELECT COUNT(*) FROM staging_titles")
    return int(rows[0][0]) if rows else 0


def details_ok(db: Path) -> int:
    rows = query(db, "SELECT COUNT(*) FROM title_state WHERE detail_status = 'ok'")
    return int(rows[0][0]) if rows else 0


@pytest.mark.parametrize("point", ["early", "late"])
def test_sigkill_during_the_first_listing_then_restart(tmp_path: Path, point: str) -> None:
    db = tmp_path / "anibridge.db"
    proc = start(tmp_path, "--list-delay", "0.03")
    threshold = 60 if point == "early" else TITLES - 120
    kill_when(proc, db, lambda: staged(db) >= threshold)
    assert integrity(db) == "ok"
    assert query(db, "SELECT COUNT(*) FROM titles")[0][0] == 0  # nothing half-promoted
    cursor = query(db, "SELECT cursor FROM stage_state WHERE stage = 'title'")
    assert cursor and cursor[0][0]  # a resumable cursor was committed with the batches
    finish(tmp_path)
    assert_complete(db, generation=1)


def test_sigkill_during_a_refresh_listing_keeps_the_live_generation(tmp_path: Path) -> None:
    db = tmp_path / "anibridge.db"
    finish(tmp_path)
    assert_complete(db, generation=1)
    proc = start(tmp_path, "--refresh", "--list-delay", "0.03")
    kill_when(proc, db, lambda: staged(db) >= 100)
    assert integrity(db) == "ok"
    # the live generation is exactly as before: complete, generation 1, still serving
    assert query(db, "SELECT COUNT(*), MAX(generation) FROM titles WHERE gone = 0") == [(TITLES, 1)]
    assert query(db, "SELECT status FROM stage_state WHERE stage = 'title'") == [("running",)]
    finish(tmp_path)  # restart: the interrupted listing resumes into its staging generation
    assert_complete(db, generation=2)


def test_sigkill_during_details_then_restart(tmp_path: Path) -> None:
    db = tmp_path / "anibridge.db"
    proc = start(tmp_path, "--detail-delay", "0.01")
    kill_when(proc, db, lambda: details_ok(db) >= 100)
    assert integrity(db) == "ok"
    assert 100 <= details_ok(db) < TITLES
    assert query(db, "SELECT status FROM stage_state WHERE stage = 'detail'") == [("running",)]
    finish(tmp_path)
    assert_complete(db, generation=1)


@pytest.mark.parametrize("delay", [0.35, 0.8, 1.4])
def test_sigkill_at_an_arbitrary_moment_then_restart(tmp_path: Path, delay: float) -> None:
    """Kill after a fixed time (wherever the pipeline happens to be, promotion included)."""
    db = tmp_path / "anibridge.db"
    proc = start(tmp_path, "--list-delay", "0.005", "--detail-delay", "0.002")
    deadline = time.monotonic() + 30
    while not query(db, "SELECT 1 FROM stage_state"):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert integrity(db) == "ok"
    live = query(db, "SELECT COUNT(*) FROM titles")[0][0]
    assert live in (0, TITLES)  # promotion is all or nothing
    finish(tmp_path)
    assert_complete(db, generation=1)


def test_sigkill_during_canonical_mapping_then_restart(tmp_path: Path) -> None:
    db = tmp_path / "anibridge.db"
    titles = 300
    options = ("--flavor", "sto", "--metadata-delay", "0.01")
    proc = start(tmp_path, *options, titles=titles)
    mapped = "SELECT COUNT(*) FROM title_state WHERE canonical_status <> 'pending'"
    kill_when(proc, db, lambda: bool(query(db, mapped)) and query(db, mapped)[0][0] >= 40)
    assert integrity(db) == "ok"
    assert query(db, "SELECT status FROM stage_state WHERE stage = 'canonical'") == [("running",)]
    assert 40 <= query(db, mapped)[0][0] < titles
    finish(tmp_path, *options, titles=titles)
    assert integrity(db) == "ok"
    assert query(db, "SELECT stage, status FROM stage_state ORDER BY stage") == [
        ("canonical", "ready"),
        ("detail", "ready"),
        ("title", "ready"),
    ]
    assert query(db, mapped)[0][0] == titles
    truth = GeneratedCatalog("sto", titles, seed=SEED)
    matchable = {t.slug: t.tvdb_id for t in truth if t.tvdb_id is not None}
    served = query(
        db,
        "SELECT t.slug, m.tvdb_id FROM series_mappings m JOIN titles t ON t.id = m.title_id"
        " WHERE m.status IN ('confirmed', 'high')",
    )
    assert len(served) >= 0.9 * len(matchable)
    assert all(matchable.get(slug) == tvdb for slug, tvdb in served)
