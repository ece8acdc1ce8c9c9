"""The pipeline's canonical stage: which titles are due, in bounded chunks, to
:class:`anibridge_like.catalog.canonical.CanonicalStage`, and the stage's readiness.

The matching itself (metadata calls, scoring, mapping rows, ``title_state.canonical_*``) belongs
to ``CanonicalStage``; this module decides *when* and *what*:

* the metadata instances in scope of the provider instance (enabled ``kind = 'metadata'``
  instances sharing a library with it, or serving all libraries) are built through the registry;
  with none in scope the stage is ``ready`` with nothing to do, and says so;
* due titles are those whose details are stored (``detail_status = 'ok'``) and whose canonical
  state is ``pending`` or whose ``canonical_next_at`` passed; a feeder pages through their ids
  (wanted titles first, :mod:`anibridge_like.sync.priority`) into a bounded channel of chunks,
  and one consumer hands each chunk to ``CanonicalStage.run``;
* the stage fails (and backs off) when more than ``max_failed_share`` of the due titles failed or
  when ``CanonicalStage`` raised a :class:`PluginError`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from anibridge_like.catalog.canonical import CanonicalStage
from anibridge_like.catalog.channel import Channel, ChannelClosedError, EndOfStream
from anibridge_like.catalog.retry import as_plugin_error
from anibridge_like.catalog.stage import InstanceRun, StageLifecycle, StageResult
from anibridge_like.catalog.state import (
    StageName,
    fetch_named,
    iso,
    read_stage,
    utcnow,
    write_stage,
)
from anibridge_like.libraries.scope import shares_library_sql
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.instances import InstanceRow, build_plugin, load_instances
from anibridge_like.plugins.metadata import MetadataInstance, MetadataProvider
from anibridge_like.sync.priority import WANTED_TITLE

CHUNK = 100
"""Titles handed to ``CanonicalStage.run`` per call."""

_DUE = (
    " FROM titles t JOIN title_state s ON s.title_id = t.id"
    " WHERE t.site = :site AND t.gone = 0 AND s.detail_status = 'ok'"
    " AND (s.canonical_status = 'pending' OR s.canonical_next_at <= :cutoff)"
)

_WANTED = " AND " + WANTED_TITLE.format(title="t.id")

_SCOPE = (
    "SELECT m.name FROM plugin_instances m, plugin_instances p"
    " WHERE p.name = :instance AND m.kind = 'metadata' AND m.enabled = 1"
    f" AND {shares_library_sql('m', 'p')} ORDER BY m.name"
)


async def metadata_in_scope(run: InstanceRun) -> list[InstanceRow]:
    """The enabled metadata instances serving this provider instance (sharing a library)."""
    names = {r[0] for r in await fetch_named(run.readers, _SCOPE, {"instance": run.spec.name})}
    if not names:
        return []
    return [r for r in await load_instances(run.readers, "metadata") if r.name in names]


def build_metadata(run: InstanceRun, rows: list[InstanceRow]) -> list[MetadataInstance]:
    """``MetadataInstance`` objects for ``rows``: the plugin manager's (built once per reload),
    or built through the registry when the run has no manager."""
    built: list[MetadataInstance] = []
    for row in rows:
        if run.plugins is not None and row.name in run.plugins.names("metadata"):
            instance = run.plugins.get(row.name, MetadataProvider)
            if instance.plugin is None:
                raise instance.error or PluginError(ErrorCode.NOT_CONFIGURED, row.name)
            plugin: Any = instance.plugin
        else:
            plugin = build_plugin(run.registry, row, run.http)
        built.append(MetadataInstance(name=row.name, plugin=plugin))
    return built


class CanonicalEnrichment:
    name = StageName.CANONICAL

    async def run(self, run: InstanceRun) -> StageResult:
        log = run.log.bind(stage=self.name.value)
        now = utcnow()
        cutoff = iso(now)
        async with run.readers.connection() as conn:
            state = await read_stage(conn, run.spec.name, self.name)
            rows = await conn.execute_fetchall(
                "SELECT COUNT(*)" + _DUE, {"site": run.site, "cutoff": cutoff}
            )
        total = int(list(rows)[0][0])
        life = StageLifecycle(run, self.name, state)
        if (skip := life.backing_off()) is not None:
            return skip
        scope = await metadata_in_scope(run)
        if not scope or total == 0:
            note = "no metadata instance in scope" if not scope else None
            counts = {"listed": 0, "persisted": 0, "failed": 0, "total": 0} if not scope else {}
            return await life.nothing_due(note=note, always_record=True, **counts)
        progress = await life.begin(total)
        log.info("canonical.started", due=total, metadata=[r.name for r in scope])
        chunks: Channel[list[int]] = Channel(2, name="canonical")
        progress.queue_depth = lambda: chunks.depth * CHUNK
        tally = {"done": 0, "failed": 0}
        error: PluginError | None = None
        try:
            stage = self._stage(run, scope)
            async with asyncio.TaskGroup() as group:
                group.create_task(self._feed(run, chunks, cutoff))
                consumer = group.create_task(self._consume(run, stage, chunks, tally))
            error = consumer.result()
        except BaseExceptionGroup as group_error:
            raise group_error.exceptions[0] from None
        except PluginError as exc:
            error = exc
        if error is None and tally["failed"] > run.settings.max_failed_share * total:
            error = PluginError(
                ErrorCode.UPSTREAM, f"{tally['failed']} of {total} titles failed to map"
            )
        if error is not None:
            return await life.fail(error, **tally)
        result = await life.ready()
        log.info("canonical.ready", mapped=tally["done"], failed=tally["failed"])
        return result

    @staticmethod
    def _stage(run: InstanceRun, scope: list[InstanceRow]) -> CanonicalStage:
        try:
            metadata = build_metadata(run, scope)
        except PluginError:
            raise
        except Exception as exc:  # a metadata instance that cannot be built is not configured
            raise PluginError(ErrorCode.NOT_CONFIGURED, f"metadata instance: {exc}") from exc
        return CanonicalStage(
            writer=run.writer, readers=run.readers, metadata=metadata, settings=run.settings
        )

    async def _feed(self, run: InstanceRun, chunks: Channel[list[int]], cutoff: str | None) -> None:
        fed: set[int] = set()  # wanted titles first (anibridge_like.sync.priority)
        try:
            for wanted in (True, False):
                last = 0
                while True:
                    rows = await fetch_named(
                        run.readers,
                        "SELECT t.id" + _DUE + (_WANTED if wanted else "")
                        + " AND t.id > :last ORDER BY t.id LIMIT :n",
                        {"site": run.site, "cutoff": cutoff, "last": last, "n": CHUNK},
                    )  # fmt: skip
                    ids = [int(r[0]) for r in rows]
                    if wanted:
                        fed.update(ids)
                    chunk = [i for i in ids if wanted or i not in fed]
                    if chunk:
                        await chunks.put(chunk)
                    if len(rows) < CHUNK:
                        break
                    last = ids[-1]
        except ChannelClosedError:
            return
        finally:
            chunks.close()

    async def _consume(
        self,
        run: InstanceRun,
        stage: CanonicalStage,
        chunks: Channel[list[int]],
        tally: dict[str, int],
    ) -> PluginError | None:
        progress = run.progress(self.name)
        while True:
            try:
                ids = await chunks.get()
            except EndOfStream:
                return None
            base_done, base_failed = tally["done"], tally["failed"]

            def on_progress(
                done: int, failed: int, b: int = base_done, f: int = base_failed
            ) -> None:
                progress.persisted, progress.failed = b + done - failed, f + failed
                progress.tick()

            progress.current = f"titles {ids[0]}…{ids[-1]}"
            try:
                result = await stage.run(ids, progress=on_progress)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the plugin/stage call boundary
                chunks.abort(ChannelClosedError("canonical stage stopped"))
                return as_plugin_error(exc)
            failed = result.failed
            tally["failed"] += failed
            tally["done"] += len(ids) - failed
            progress.persisted, progress.failed = tally["done"], tally["failed"]
            progress.tick()
            await self._counts(run, tally)

    async def _counts(self, run: InstanceRun, tally: dict[str, int]) -> None:
        await write_stage(
            run.writer,
            run.spec.name,
            self.name,
            label="canonical.counts",
            persisted=tally["done"],
            failed=tally["failed"],
            listed=tally["done"] + tally["failed"],
        )
