"""Promotion: a complete staging generation becomes the live catalog of its site, in one
transaction (one writer unit), entirely in SQL — nothing is loaded into memory.

Steps, in order:

1. titles whose listing entry changed (``listing_hash`` differs) become due for details and lose
   their listing aliases (re-added from the new entry below);
2. staging rows are upserted into ``titles`` by ``(site, slug)``: new titles are inserted; an
   existing title takes the new generation, ``missed = 0``, ``gone = 0``, and — only when its
   entry changed — the new title/kind/year (a detail page's correction survives otherwise);
3. aliases are inserted for titles that have none (new and changed ones), ``title_state`` rows
   for new titles;
4. titles of the site the listing did not contain get ``missed + 1``; after two complete
   listings in a row missed them they are ``gone`` (hidden, not deleted) — one truncated listing
   never removes anything; a title that comes back is live again;
5. the site's staging rows are deleted and the stage is ``ready`` with the new live generation.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import aiosqlite

from anibridge_like.catalog.stage import InstanceRun, interval_hours
from anibridge_like.catalog.state import StageName, StageStatus, iso, now_iso, save_stage, utcnow
from anibridge_like.plugins.provider import TitleItem


def listing_hash(item: TitleItem) -> str:
    """Signature of a listing entry: a changed title, kind, year or alias set changes it."""
    payload = json.dumps(
        [item.title, item.kind, item.year, sorted(item.aliases)], ensure_ascii=False
    )
    return hashlib.blake2b(payload.encode(), digest_size=10).hexdigest()


async def promote(
    conn: aiosqlite.Connection, run: InstanceRun, gen: int, counts: dict[str, int]
) -> dict[str, int]:
    """Writer unit body: make staging generation ``gen`` of ``run.site`` live (see above)."""
    site = run.site
    stamp = now_iso()
    p = {"site": site, "gen": gen, "now": stamp}
    changed_ids = (
        "SELECT t.id FROM titles t JOIN staging_titles s ON s.site = t.site AND s.slug = t.slug"
        " WHERE s.site = :site AND s.generation = :gen AND t.listing_hash IS NOT s.listing_hash"
    )
    cur = await conn.execute(
        f"UPDATE title_state SET detail_status = 'pending', detail_next_at = NULL"
        f" WHERE title_id IN ({changed_ids})",
        p,
    )
    changed = cur.rowcount
    await conn.execute(f"DELETE FROM title_aliases WHERE title_id IN ({changed_ids})", p)
    before = await _count(conn, "SELECT COUNT(*) FROM titles WHERE site = :site", p)
    await conn.execute(
        "INSERT INTO titles (site, slug, title, kind, year, generation, missed, gone,"
        " listing_hash, first_seen, updated_at)"
        " SELECT site, slug, title, kind, year, generation, 0, 0, listing_hash, :now, :now"
        " FROM staging_titles WHERE site = :site AND generation = :gen ORDER BY slug"
        " ON CONFLICT(site, slug) DO UPDATE SET"
        " title = iif(titles.listing_hash IS excluded.listing_hash, titles.title,"
        " excluded.title),"
        " kind = iif(titles.listing_hash IS excluded.listing_hash, titles.kind, excluded.kind),"
        " year = iif(titles.listing_hash IS excluded.listing_hash, titles.year, excluded.year),"
        " updated_at = iif(titles.listing_hash IS excluded.listing_hash, titles.updated_at,"
        " excluded.updated_at),"
        " listing_hash = excluded.listing_hash, generation = excluded.generation,"
        " missed = 0, gone = 0",
        p,
    )
    after = await _count(conn, "SELECT COUNT(*) FROM titles WHERE site = :site", p)
    staged = await _count(
        conn, "SELECT COUNT(*) FROM staging_titles WHERE site = :site AND generation = :gen", p
    )
    await conn.execute(
        "INSERT OR IGNORE INTO title_aliases (title_id, alias)"
        " SELECT t.id, j.value FROM staging_titles s"
        " JOIN titles t ON t.site = s.site AND t.slug = s.slug, json_each(s.aliases) j"
        " WHERE s.site = :site AND s.generation = :gen AND j.value <> ''"
        " AND NOT EXISTS (SELECT 1 FROM title_aliases a WHERE a.title_id = t.id)",
        p,
    )
    await conn.execute(
        "INSERT OR IGNORE INTO title_state (title_id)"
        " SELECT id FROM titles WHERE site = :site AND generation = :gen",
        p,
    )
    cur = await conn.execute(
        "UPDATE titles SET missed = missed + 1, gone = iif(missed + 1 >= 2, 1, gone)"
        " WHERE site = :site AND generation < :gen",
        p,
    )
    missed = cur.rowcount
    gone = await _count(conn, "SELECT COUNT(*) FROM titles WHERE site = :site AND gone = 1", p)
    await conn.execute("DELETE FROM staging_titles WHERE site = :site", p)
    next_at = iso(utcnow() + timedelta(hours=interval_hours(run.spec, run.settings)))
    await save_stage(
        conn,
        run.spec.name,
        StageName.TITLE,
        status=StageStatus.READY.value,
        listed=counts["listed"],
        persisted=staged,
        failed=counts["failed"],
        total=staged,
        finished_at=stamp,
        ready_at=stamp,
        next_attempt_at=next_at,
        attempts=0,
        last_error=None,
        live_generation=gen,
        staging_generation=None,
        cursor=None,
    )
    counts["persisted"] = staged
    return {
        "titles": staged,
        "new": after - before,
        "changed": changed,
        "missed": missed,
        "gone": gone,
    }


async def _count(conn: aiosqlite.Connection, sql: str, params: dict[str, object]) -> int:
    rows = list(await conn.execute_fetchall(sql, params))
    return int(rows[0][0])
