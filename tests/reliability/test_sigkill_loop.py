"""Ten SIGKILLs in a row at random moments of a refresh (title listing, promotion, details,
canonical stage), one database: after every kill the file passes ``integrity_check``, holds no
duplicate natural key, and answers exactly as before the kill (the live generation keeps
serving); the run that is finally left alone completes equal to the fake site's truth.

Reuses the subprocess runner and the checks of ``tests/catalog/test_crash_recovery.py`` (one
kill per stage there; a loop of random ones here)."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

from tests.catalog.test_crash_recovery import (
    assert_complete,
    finish,
    integrity,
    query,
    start,
)

KILLS = 10
DUPLICATES = {
    "titles": "SELECT site, slug FROM titles GROUP BY site, slug HAVING COUNT(*) > 1",
    "episodes": "SELECT title_id, season, number FROM episodes"
    " GROUP BY title_id, season, number HAVING COUNT(*) > 1",
    "languages": "SELECT episode_id, language FROM episode_languages"
    " GROUP BY episode_id, language HAVING COUNT(*) > 1",
    "aliases": "SELECT title_id, alias FROM title_aliases GROUP BY title_id, alias"
    " HAVING COUNT(*) > 1",
    "search terms": "SELECT title_id, source, text FROM search_terms"
    " GROUP BY title_id, source, text HAVING COUNT(*) > 1",
}


def _answers(db: Path) -> list[tuple[object, ...]]:
    """What the live generation serves: titles with their episodes and languages."""
    return query(
        db,
        "SELECT t.slug, t.title, COUNT(DISTINCT e.id), COUNT(el.language)"
        " FROM titles t LEFT JOIN episodes e ON e.title_id = t.id"
        " LEFT JOIN episode_languages el ON el.episode_id = e.id"
        " WHERE t.gone = 0 GROUP BY t.id ORDER BY t.slug",
    )


def _kill_at_random(
    db: Path, rng: random.Random, kill: int, *options: str, within: float
) -> set[str]:
    """Start the runner, wait for a running stage, SIGKILL it after a random delay; return
    the stages that were running at the kill."""
    proc = start(db.parent, *options)
    deadline = time.monotonic() + 30
    while not query(db, "SELECT 1 FROM stage_state WHERE status = 'running'"):
        assert proc.poll() is None, f"kill {kill}: the runner ended before running a stage"
        assert time.monotonic() < deadline, f"kill {kill}: no stage started"
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, within))
    running = {
        str(r[0]) for r in query(db, "SELECT stage FROM stage_state WHERE status = 'running'")
    }
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert integrity(db) == "ok", f"kill {kill}"
    for what, sql in DUPLICATES.items():
        assert query(db, sql) == [], f"kill {kill}: duplicate {what}"
    return running


def test_ten_sigkills_at_random_moments_leave_a_sound_database(tmp_path: Path) -> None:
    db = tmp_path / "anibridge.db"
    rng = random.Random(1203)
    stages_hit: set[str] = set()
    # the first bootstrap: listing, promotion, details, canonical — each kill resumes the last
    for kill in range(KILLS // 2):
        stages_hit |= _kill_at_random(
            db, rng, kill, "--list-delay", "0.02", "--detail-delay", "0.01", within=1.5
        )
    finish(tmp_path)
    assert_complete(db, generation=1)
    before = _answers(db)
    # refreshes: the live generation keeps answering exactly the same through every kill
    for kill in range(KILLS // 2, KILLS):
        stages_hit |= _kill_at_random(
            db, rng, kill, "--refresh", "--list-delay", "0.03", within=0.6
        )
        assert _answers(db) == before, f"kill {kill}: the live answers changed"
    assert {"title", "detail"} <= stages_hit, stages_hit
    finish(tmp_path)
    after = query(db, "SELECT MAX(generation) FROM titles")[0][0]
    assert isinstance(after, int) and after >= 2
    assert_complete(db, generation=after)
    assert _answers(db) == before
