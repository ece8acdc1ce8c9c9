"""The inventory pull of one binding (media-server instance × daemon library): page by page into
``media_items``, resolved to canonical works, and ownership per canonical episode.

Memory stays bounded: one page of items at a time, plus a map of series key → work (one entry
per series of the library). Every write goes through the one :class:`Writer`, one unit per page
(items and their owned episodes together with the resume cursor, so a crash resumes exactly
there). The rules:

- A listing is a *generation*. Pages upsert items and mark their episodes ``owned``.
- Only when the listing **completes** do rows of older generations go: items are deleted, episodes
  they alone owned become ``missing``, and the index's other episodes of each owned work are
  recorded ``missing``. A listing that breaks off (auth, unreachable, a truncated page) keeps
  everything it had, records the cursor, and the next scan resumes the same generation there.
  So an incomplete listing can never turn owned into missing (SoulSync's "never a silent partial
  list" lesson).

What a failure means for the instance is decided in
:data:`~anibridge_like.mediaservers.store.CONNECTION_BY_CODE` (the one table).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from anibridge_like.mediaservers.resolve import (
    FILM,
    UNRESOLVED,
    Resolution,
    absolute_map,
    resolve,
)
from anibridge_like.mediaservers.store import (
    Binding,
    ScanOutcome,
    begin_unit,
    fail_unit,
    finish_unit,
    page_unit,
)
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.media_server import MediaServer, ServerItem, ServerStatus
from anibridge_like.storage.database import ReaderPool, run_sync
from anibridge_like.storage.writer import Writer

log = structlog.get_logger(__name__)

MAX_PAGES = 1_000_000


@dataclass(slots=True)
class _Resolver:
    """Per-pull resolution caches (bounded by the library's series, not its episodes)."""

    binding: Binding
    series: dict[str, Resolution] = field(default_factory=dict)
    absolutes: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)

    def page(
        self, conn: sqlite3.Connection, items: Sequence[ServerItem], generation: int
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        b = self.binding
        item_rows: list[tuple[Any, ...]] = []
        owned: list[tuple[Any, ...]] = []
        for item in items:
            res = self._work(conn, item)
            ids = item.provider_ids
            item_rows.append(
                (
                    b.instance_id,
                    b.library_id,
                    item.server_id,
                    item.kind,
                    item.title,
                    item.year,
                    _int(ids.get("tvdb")),
                    _int(ids.get("tmdb")),
                    ids.get("imdb"),
                    _int(ids.get("anilist")),
                    item.series_key,
                    item.season,
                    item.episode,
                    item.episode_end,
                    item.absolute,
                    item.path,
                    res.work,
                    res.by,
                    generation,
                )
            )
            if res.work is None:
                continue
            for season, episode in self._episodes(conn, res.work, item):
                owned.append((b.library_id, res.work, season, episode, b.instance_id, item.path))
        item_rows.sort(key=lambda r: r[2])
        owned.sort(key=lambda r: r[1:4])
        return item_rows, owned

    def _work(self, conn: sqlite3.Connection, item: ServerItem) -> Resolution:
        if item.kind == "movie":
            return resolve(conn, item.provider_ids, item.title, item.year, "movie")
        key = item.series_key or item.title
        if key in self.series:
            return self.series[key]
        res = UNRESOLVED
        if item.kind == "episode" and not item.provider_ids:
            row = conn.execute(
                "SELECT work, resolved_by FROM media_items WHERE instance_id = ?"
                " AND library_id = ? AND server_id = ? AND kind = 'series'",
                (self.binding.instance_id, self.binding.library_id, key),
            ).fetchone()
            if row is not None and row[0] is not None:
                res = Resolution(str(row[0]), str(row[1]))
        if res.work is None:
            res = resolve(conn, item.provider_ids, item.title, item.year, "series")
        self.series[key] = res
        return res

    def _episodes(
        self, conn: sqlite3.Connection, work: str, item: ServerItem
    ) -> list[tuple[int, int]]:
        if item.kind == "movie":
            return [FILM]
        if item.kind != "episode":
            return []
        if item.episode is not None and item.season is not None:
            last = max(item.episode, item.episode_end or item.episode)
            return [(item.season, n) for n in range(item.episode, last + 1)]
        if item.absolute is None:
            return []
        if work not in self.absolutes:
            self.absolutes[work] = absolute_map(conn, work)
        hit = self.absolutes[work].get(item.absolute)
        if hit is not None:
            return [hit]
        return [(item.season, item.absolute)] if item.season is not None else []


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


async def pull(
    writer: Writer,
    readers: ReaderPool,
    server: MediaServer,
    binding: Binding,
    status: ServerStatus,
    *,
    max_pages: int = MAX_PAGES,
) -> ScanOutcome:
    """Pull one binding's inventory (resuming an incomplete listing) and reconcile ownership."""
    b = binding
    outcome = ScanOutcome(b.instance, b.library, "failed")
    state = await readers.fetchone(
        "SELECT server_library, generation, cursor, complete FROM media_scan_state"
        " WHERE instance_id = ? AND library_id = ?",
        (b.instance_id, b.library_id),
    )
    resume = (
        state is not None
        and not state["complete"]
        and state["cursor"] is not None
        and state["server_library"] == b.server_library
    )
    generation = int(state["generation"]) + (0 if resume else 1) if state else 1
    cursor: str | None = state["cursor"] if resume and state else None
    await writer.run(begin_unit(b, status, generation, resume), label="media.scan.begin")
    resolver = _Resolver(b)
    bound = log.bind(instance=b.instance, library=b.library, generation=generation)
    try:
        ref = await _library_ref(server, b.server_library)
        for _ in range(max_pages):
            page = await server.list_items(ref, cursor)
            async with readers.connection() as conn:
                items, owned = await run_sync(conn, resolver.page, page.items, generation)
            await writer.run(
                page_unit(b, items, owned, generation, page.next_cursor), label="media.scan.page"
            )
            outcome.items += len(items)
            outcome.pages += 1
            cursor = page.next_cursor
            if cursor is None:
                break
        else:
            raise PluginError(ErrorCode.PARTIAL, f"listing exceeded {max_pages} pages")
    except PluginError as exc:
        outcome.status = "partial" if outcome.pages or resume else "failed"
        outcome.error_code, outcome.error = exc.code.value, exc.message
        await writer.run(fail_unit(b, exc, outcome.status), label="media.scan.fail")
        bound.warning("media.scan.failed", code=exc.code.value, error=exc.message, **_n(outcome))
        return outcome
    await writer.run(finish_unit(b, generation), label="media.scan.finish")
    outcome.status = "complete"
    bound.info("media.scan.complete", **_n(outcome))
    return outcome


def _n(outcome: ScanOutcome) -> dict[str, int]:
    return {"items": outcome.items, "pages": outcome.pages}


async def _library_ref(server: MediaServer, wanted: str) -> str:
    libraries = await server.list_libraries()
    for lib in libraries:
        if wanted in (lib.ref, lib.name):
            return lib.ref
    folded = [lib for lib in libraries if lib.name.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0].ref
    names = ", ".join(sorted(lib.name for lib in libraries)) or "none"
    raise PluginError(
        ErrorCode.NOT_FOUND, f"server library {wanted!r} not found (the server has: {names})"
    )
