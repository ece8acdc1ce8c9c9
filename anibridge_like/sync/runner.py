"""One wanted-list sync of one (library, instance): call the plugin page by page, store every page
with its cursor, and apply the error policy (:func:`~anibridge_like.plugins.errors.policy_for`).

==============================  ===========================================================
outcome of a call               what the core does
==============================  ===========================================================
page, ``has_more``              store it with ``next_cursor``, ask for the next page
page, complete                  store it, mark entries the listing no longer has removed
partial (``SyncResult.error``   keep its items, save ``next_cursor``: the next run resumes
or ``PluginError(partial)``)    there (status ``partial``, or ``paused`` for a rate limit)
``rate_limited``                status ``paused`` until ``retry_after``; not a failure
``auth`` (``disconnects``)      status ``disconnected``: no automatic run until a user runs it
                                or the instance's configuration (or its env values) changes
``not_configured``              same (``automatic_retry`` is off)
any other code                  status ``failed``, next attempt after the code's backoff,
                                doubling per consecutive failure (capped)
==============================  ===========================================================

The cursor of an interrupted listing is kept whatever the error, so the next run resumes. A
library that does not resolve, or an instance that is disabled or not scoped to it, stores
nothing (fail closed). Items are linked to the library's catalog titles in the unit that stores
them (:func:`anibridge_like.sync.store.relink`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import structlog

from anibridge_like.catalog.state import iso, parse_iso, utcnow
from anibridge_like.context import AppContext
from anibridge_like.libraries.scope import in_scope as library_in_scope
from anibridge_like.plugins.env import resolve_env
from anibridge_like.plugins.errors import ErrorCode, PluginError, policy_for
from anibridge_like.plugins.instances import InstanceRow
from anibridge_like.plugins.manager import PluginInstance
from anibridge_like.plugins.sync import SyncContext, SyncPlugin, SyncResult
from anibridge_like.sync.scope import LibraryRow, library_by_slug
from anibridge_like.sync.store import PageWrite, SyncState, page_unit, read_state, state_unit

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SyncRun:
    library: str
    instance: str
    status: str
    """ok | partial | paused | failed | disconnected | skipped."""
    pages: int = 0
    stored: int = 0
    removed: int = 0
    complete: bool = False
    error_code: str | None = None
    detail: str | None = None


def find_instance(ctx: AppContext, name: str, kind: str) -> PluginInstance[Any] | None:
    """The built instance ``name`` of ``kind`` from the plugin manager (``None``: no such one)."""
    if ctx.plugins is None:
        return None
    try:
        instance: PluginInstance[Any] = ctx.plugins.get(name)
    except KeyError:
        return None
    return instance if instance.kind == kind else None


def in_scope(instance: PluginInstance[Any], library: LibraryRow) -> bool:
    return instance.row.enabled and library_in_scope(instance.row.libraries, library.slug)


def backoff(ctx: AppContext, error: PluginError, failures: int, now: datetime) -> datetime:
    """When the instance may be called again after ``error`` (its ``failures``-th in a row)."""
    policy = policy_for(error.code)
    if policy.honour_retry_after and error.retry_after:
        return now + timedelta(seconds=error.retry_after)
    cap = ctx.settings.stage_backoff_cap_hours * 3600
    delay = policy.stage_backoff_seconds * 2 ** max(0, failures - 1)
    return now + timedelta(seconds=min(cap, delay))


def config_hash(instance: InstanceRow) -> str:
    """A digest of the instance's configuration with its environment values: a disconnected
    instance is tried again by itself once it changes (a new key, say)."""
    resolved = resolve_env(instance.config, os.environ)
    text = json.dumps(resolved, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def error_status(error: PluginError) -> str:
    policy = policy_for(error.code)
    if policy.disconnects or not policy.automatic_retry:
        return "disconnected"
    return "failed" if policy.counts_as_failure else "paused"


async def sync_instance(
    ctx: AppContext,
    instance_name: str,
    library_slug: str,
    *,
    manual: bool = False,
    now: datetime | None = None,
    job: str | None = None,
) -> SyncRun:
    """Run one sync (see the module docstring); never raises for a plugin's failure. Plugin
    calls pass the plugin manager's boundary (:meth:`~anibridge_like.plugins.manager.
    PluginManager.call`), logged with ``job``."""
    moment = now or utcnow()
    library = await library_by_slug(ctx.readers, library_slug)
    found = find_instance(ctx, instance_name, "sync")
    bound = log.bind(library=library_slug, plugin=instance_name)
    if library is None or found is None or not in_scope(found, library):
        bound.warning("wanted.sync_skipped", reason="library or instance does not resolve")
        return SyncRun(library_slug, instance_name, "skipped", detail="not in scope")
    assert ctx.plugins is not None
    manager, instance = ctx.plugins, found.row
    state = await read_state(ctx.readers, library.id, instance.id)
    due = parse_iso(state.next_attempt_at)
    reconnect = state.status == "disconnected" and state.config_hash != config_hash(instance)
    waits = state.status == "disconnected" or (due is not None and due > moment)
    if waits and not manual and not reconnect:
        detail = f"{state.status} until {due}"
        return SyncRun(library.slug, instance.name, "skipped", detail=detail)

    async def call(cursor: str | None) -> SyncResult:
        async def one(plugin: SyncPlugin) -> SyncResult:
            return await plugin.sync(sync_ctx, cursor)

        return await manager.call(found, one, library=library.library, job=job)

    sync_ctx = SyncContext(library.slug, library.name, library.kind, instance.name)
    resume = state.cursor is not None
    generation = state.generation if resume else state.generation + 1
    cursor = state.cursor
    pages = stored = 0
    for _ in range(ctx.settings.wanted_sync_max_pages):
        try:
            result = await call(cursor)
        except PluginError as raised:  # the manager's boundary turned any bug into upstream
            if raised.code is ErrorCode.PARTIAL:
                result = SyncResult(raised.items, raised.cursor or cursor, True, raised)
            else:
                return await _failed(
                    ctx, library, instance, state, raised, moment, pages, cursor, generation
                )
        pages += 1
        complete = result.error is None and not result.has_more
        page = PageWrite(
            library_id=library.id,
            title_kind=library.title_kind,
            instance_id=instance.id,
            generation=generation,
            items=list(result.items),
            now=iso(moment) or "",
            status="ok" if complete else "partial",
            cursor=None if complete else result.next_cursor,
            complete=complete,
        )
        if result.error is not None:
            page = _with_error(ctx, page, result.error, state, moment)
        outcome = await ctx.writer.run(page_unit(page), label="wanted.page")
        stored += outcome.stored
        if result.error is not None:
            bound.warning("wanted.partial", code=result.error.code.value, stored=stored)
            return SyncRun(
                library.slug, instance.name, page.status, pages, stored, 0, False,
                result.error.code.value, result.error.message,
            )  # fmt: skip
        if complete:
            bound.info("wanted.synced", pages=pages, stored=stored, removed=outcome.removed)
            return SyncRun(library.slug, instance.name, "ok", pages, stored, outcome.removed, True)
        if result.next_cursor is None or result.next_cursor == cursor:
            stuck = PluginError(ErrorCode.INVALID_DATA, "has_more without a new cursor")
            return await _failed(
                ctx, library, instance, state, stuck, moment, pages, cursor, generation
            )
        cursor = result.next_cursor
    bound.warning("wanted.page_limit", pages=pages)
    return SyncRun(library.slug, instance.name, "partial", pages, stored, detail="page limit")


def _with_error(
    ctx: AppContext, page: PageWrite, error: PluginError, state: SyncState, moment: datetime
) -> PageWrite:
    policy = policy_for(error.code)
    failures = state.failures + (1 if policy.counts_as_failure else 0)
    paused = error.code is ErrorCode.RATE_LIMITED
    return replace(
        page,
        status="paused" if paused else "partial",
        failures=failures,
        next_attempt_at=iso(backoff(ctx, error, max(1, failures), moment)),
        error_code=error.code.value,
        error=error.message,
    )


async def _failed(
    ctx: AppContext,
    library: LibraryRow,
    instance: InstanceRow,
    state: SyncState,
    error: PluginError,
    moment: datetime,
    pages: int,
    cursor: str | None = None,
    generation: int = 0,
) -> SyncRun:
    """Save the state after ``error``; the cursor of an interrupted listing (and the generation
    its stored pages carry) is kept so the next run resumes."""
    policy = policy_for(error.code)
    failures = state.failures + (1 if policy.counts_as_failure else 0)
    status = error_status(error)
    values = {
        "status": status,
        "cursor": cursor,
        "generation": generation if cursor is not None else state.generation,
        "failures": failures,
        "next_attempt_at": iso(backoff(ctx, error, max(1, failures), moment)),
        "code": error.code.value,
        "error": error.message[:500],
        "now": iso(moment),
        "config_hash": config_hash(instance) if status == "disconnected" else None,
    }  # fmt: skip
    await ctx.writer.run(state_unit(library.id, instance.id, values), label="wanted.failed")
    log.warning(
        "wanted.sync_failed",
        library=library.slug,
        plugin=instance.name,
        code=error.code.value,
        status=status,
        error=error.message,
    )
    return SyncRun(
        library.slug, instance.name, status, pages, 0, 0, False, error.code.value, error.message
    )


@dataclass(frozen=True, slots=True)
class SyncPreview:
    """What a sync would change (a dry run: the plugin is called, nothing is written)."""

    library: str
    instance: str
    listed: int = 0
    new: list[str] | None = None
    changed: list[str] | None = None
    """Entries whose list status, title or ids differ from the stored ones."""
    removed: list[str] | None = None
    """Stored entries the listing no longer has (only when it is complete)."""
    complete: bool = False
    error: str | None = None


async def preview_sync(ctx: AppContext, instance_name: str, library_slug: str) -> SyncPreview:
    """List the whole list from the start and compare it with the stored entries."""
    library = await library_by_slug(ctx.readers, library_slug)
    found = find_instance(ctx, instance_name, "sync")
    if library is None or found is None or not in_scope(found, library) or ctx.plugins is None:
        return SyncPreview(library_slug, instance_name, error="not in scope")
    manager, instance = ctx.plugins, found.row
    stored = {
        r[0]: tuple(r[1:])
        for r in await ctx.readers.fetchall(
            "SELECT external_id, list_status, title, tvdb_id, tmdb_id, imdb_id, anilist_id,"
            " mal_id FROM wanted_items WHERE library_id = ? AND instance_id = ?"
            " AND removed_at IS NULL",
            (library.id, instance.id),
        )
    }
    listed: dict[str, tuple[object, ...]] = {}
    cursor: str | None = None
    complete = False
    error: str | None = None
    sync_ctx = SyncContext(library.slug, library.name, library.kind, instance.name)

    async def call(plugin: SyncPlugin) -> SyncResult:
        return await plugin.sync(sync_ctx, cursor)

    try:
        for _ in range(ctx.settings.wanted_sync_max_pages):
            result = await manager.call(found, call, library=library.library, job="preview")
            for item in result.items:
                ids = item.ids
                listed[item.external_id] = (
                    item.list_status, item.title, ids.tvdb, ids.tmdb, ids.imdb, ids.anilist,
                    ids.mal,
                )  # fmt: skip
            if result.error is not None:
                error = f"{result.error.code.value}: {result.error.message}"
                break
            if not result.has_more or result.next_cursor in (None, cursor):
                complete = not result.has_more
                break
            cursor = result.next_cursor
    except PluginError as raised:
        error = f"{raised.code.value}: {raised.message}"
    return SyncPreview(
        library.slug,
        instance.name,
        listed=len(listed),
        new=sorted(set(listed) - set(stored)),
        changed=sorted(k for k in set(listed) & set(stored) if listed[k] != stored[k]),
        removed=sorted(set(stored) - set(listed)) if complete else [],
        complete=complete,
        error=error,
    )
