"""Start-up recovery after a crash (SIGKILL at any point leaves only committed transactions).

What a killed process can leave behind, and what happens to it:

* ``stage_state`` rows still ``running`` → ``pending`` with the interruption noted and an
  immediate next attempt;
* staging rows of a listing that saved a cursor → kept, the next title run resumes from the
  cursor into the same staging generation; any other staging rows (no cursor, an instance that no
  longer exists, a generation nobody points at) → deleted, and the pointers to them cleared;
* ``failed`` stages without a next attempt (codes that never retry by themselves) → attempted
  again now: a restart is the user's way of saying "try again".

The live generation needs nothing: it only ever changes inside the promotion transaction.
"""

from __future__ import annotations

import aiosqlite

from anibridge_like.catalog.state import now_iso
from anibridge_like.storage.writer import Writer

_RESUMABLE = (
    "SELECT 1 FROM stage_state s JOIN plugin_instances p ON p.name = s.instance"
    " WHERE s.stage = 'title' AND s.staging_generation = staging_titles.generation"
    " AND p.site = staging_titles.site AND s.cursor IS NOT NULL AND s.cursor <> ''"
)


async def recover(writer: Writer) -> dict[str, int]:
    """Clean up after an unclean stop (see the module docstring); returns what it changed."""

    async def unit(conn: aiosqlite.Connection) -> dict[str, int]:
        stamp = now_iso()
        cur = await conn.execute(
            "UPDATE stage_state SET status = 'pending', next_attempt_at = ?,"
            " last_error = 'interrupted: the process stopped during the run'"
            " WHERE status = 'running'",
            (stamp,),
        )
        interrupted = cur.rowcount
        cur = await conn.execute(
            "UPDATE stage_state SET next_attempt_at = ?"
            " WHERE status = 'failed' AND next_attempt_at IS NULL",
            (stamp,),
        )
        retried = cur.rowcount
        cur = await conn.execute(f"DELETE FROM staging_titles WHERE NOT EXISTS ({_RESUMABLE})")
        discarded = cur.rowcount
        await conn.execute(
            "UPDATE stage_state SET staging_generation = NULL, cursor = NULL"
            " WHERE stage = 'title' AND staging_generation IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM staging_titles st JOIN plugin_instances p"
            " ON p.site = st.site WHERE p.name = stage_state.instance"
            " AND st.generation = stage_state.staging_generation)"
        )
        kept = list(await conn.execute_fetchall("SELECT COUNT(*) FROM staging_titles"))[0][0]
        return {
            "interrupted": interrupted,
            "failed_retried": retried,
            "staging_discarded": discarded,
            "staging_kept": int(kept),
        }

    return await writer.run(unit, label="catalog.recover")
