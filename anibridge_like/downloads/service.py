"""The download service, owned by the app lifespan: a bounded set of worker tasks fed by a queue
of info-hashes, and one flusher task that writes every running download's progress in a single
writer unit per interval (coalesced: no write per progress tick).

A completed download asks the media servers bound to its libraries to rescan
(:mod:`anibridge_like.mediaservers.after_download`) on a task of its own.

Start-up re-queues what a stopped process left ``downloading`` (yt-dlp continues the partial
files) and everything still ``queued``. Stop: every transfer is asked to cancel, workers end,
progress is flushed; rows stay ``downloading`` so the next start resumes them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

import structlog

from anibridge_like.context import AppContext
from anibridge_like.downloads import store
from anibridge_like.downloads.hosting import Hosters
from anibridge_like.downloads.job import DownloadFailed, JobDeps, run_job
from anibridge_like.downloads.tokens import sign, stream_key
from anibridge_like.downloads.ytdlp import Cancelled, Live
from anibridge_like.mediaservers.after_download import scan_after_download
from anibridge_like.providers.links import EpisodeLinks, EpisodeRef

log = structlog.get_logger(__name__)
STOP_WAIT_SECONDS = 15.0


class DownloadService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self._live: dict[str, Live] = {}
        self._done: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.deps: JobDeps | None = None
        self.progress_writes = 0
        """Writer units of progress so far (one per flush that had news)."""
        self.stream_key = b""
        """Key of ``/stream/{token}`` signatures (read once at start)."""
        self._stopping = False
        self._followers: set[asyncio.Task[object]] = set()
        """Scan requests to media servers after completed downloads (bounded, best effort)."""

    # ---- lifecycle ---------------------------------------------------------------------------
    async def __aenter__(self) -> DownloadService:
        ctx = self.ctx
        key = self.stream_key = await asyncio.to_thread(stream_key, self.settings)
        base = stream_base(self.settings)
        assert ctx.plugins is not None, "the plugin manager starts before the services"
        links = EpisodeLinks(
            ctx.plugins,
            ctx.http,
            max_age=self.settings.download_links_max_age_minutes * 60,
        )
        hosters = Hosters.from_manager(
            ctx.plugins, host_timeout=self.settings.download_host_timeout_seconds
        )

        def stream_url(ref: EpisodeRef) -> str:
            return f"{base}/stream/{sign(key, ref)}"

        self.deps = JobDeps(self.settings, links, hosters, stream_url)
        resumed = await ctx.writer.run(store.requeue_unfinished_unit(), label="downloads.requeue")
        for row in await store.list_downloads(ctx.readers):
            if row.state == "queued":
                self.enqueue(row.hash)
        for n in range(self.settings.download_concurrency):
            self._tasks.append(asyncio.create_task(self._worker(), name=f"download-worker-{n}"))
        self._tasks.append(asyncio.create_task(self._flusher(), name="download-progress"))
        log.info(
            "downloads.started",
            resumed=resumed,
            queued=len(self._queued),
            concurrency=self.settings.download_concurrency,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        # running transfers stop at their next progress tick; their rows stay "downloading"
        # so the next start resumes them from the partial files
        self._stopping = True
        for live in self._live.values():
            live.cancel.set()
        waits = [done.wait() for done in self._done.values()]
        if waits:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STOP_WAIT_SECONDS):
                    await asyncio.gather(*waits)
        for task in [*self._tasks, *self._followers]:
            task.cancel()
        for task in [*self._tasks, *self._followers]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._flush()

    # ---- API for the routes ------------------------------------------------------------------
    def enqueue(self, infohash: str) -> None:
        if infohash not in self._queued and infohash not in self._live:
            self._queued.add(infohash)
            self._queue.put_nowait(infohash)

    def live(self, infohash: str) -> Live | None:
        return self._live.get(infohash)

    def snapshot(self) -> dict[str, Live]:
        return dict(self._live)

    async def stop(self, infohash: str) -> None:
        """Stop the transfer of ``infohash`` if one runs, and wait until its worker let go."""
        live = self._live.get(infohash)
        done = self._done.get(infohash)
        if live is None or done is None:
            return
        live.cancel.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STOP_WAIT_SECONDS):
                await done.wait()

    # ---- workers -----------------------------------------------------------------------------
    async def _worker(self) -> None:
        while not self._stopping:
            infohash = await self._queue.get()
            self._queued.discard(infohash)
            try:
                await self._run(infohash)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the one boundary per job run
                log.exception("download.crashed", download=infohash, error=repr(exc))
                await self._finish(infohash, state="failed", error=f"internal error: {exc!r}")

    async def _run(self, infohash: str) -> None:
        row = await store.get_download(self.ctx.readers, infohash)
        if row is None or row.state != "queued":
            return
        await self.ctx.writer.run(
            store.update_unit(infohash, state="downloading", attempts=row.attempts + 1, error=None),
            label="downloads.start",
        )
        live = Live()
        self._live[infohash] = live
        self._done[infohash] = asyncio.Event()
        assert self.deps is not None
        try:
            fields = await run_job(row, live, self.deps)
        except Cancelled:
            log.info("download.stopped", download=infohash)
            return
        except DownloadFailed as exc:
            log.info("download.failed", download=infohash, error=str(exc))
            await self._finish(infohash, state="failed", error=str(exc))
            return
        finally:
            self._live.pop(infohash, None)
            if live.dirty:  # where a paused or stopped transfer got to
                await self.ctx.writer.run(
                    store.progress_unit([(infohash, live.downloaded, live.size)]),
                    label="downloads.progress",
                )
            self._done.pop(infohash).set()
        await self._finish(infohash, state="completed", completed_at=store.now_iso(), **fields)
        log.info(
            "download.completed",
            download=infohash,
            file=fields.get("file_name"),
            host=fields.get("host"),
        )
        # media servers rescan on their own task: a slow server never holds this worker
        self._follow(scan_after_download(self.ctx, row.site, row.slug, download=infohash))

    def _follow(self, work: Coroutine[Any, Any, object]) -> None:
        task = asyncio.create_task(work, name="download-scan-trigger")
        self._followers.add(task)
        task.add_done_callback(self._followers.discard)

    async def followers_done(self) -> None:
        """Wait for the scan requests started so far (each bounded by its timeout)."""
        while self._followers:
            await asyncio.gather(*self._followers, return_exceptions=True)

    async def _finish(self, infohash: str, **fields: Any) -> None:
        # a failure only lands on a row still downloading (a pause or delete meanwhile wins);
        # a completed file wins over a pause that came too late to stop it
        allowed = ("downloading", "paused") if fields["state"] == "completed" else ("downloading",)

        async def unit(conn: Any) -> None:
            cur = await conn.execute("SELECT state FROM downloads WHERE hash = ?", (infohash,))
            state = await cur.fetchone()
            if state is not None and state[0] in allowed:
                await store.update_unit(infohash, **fields)(conn)

        await self.ctx.writer.run(unit, label="downloads.finish")

    # ---- coalesced progress ------------------------------------------------------------------
    async def _flusher(self) -> None:
        while True:
            await asyncio.sleep(self.settings.download_progress_flush_seconds)
            await self._flush()

    async def _flush(self) -> None:
        updates = []
        for infohash, live in list(self._live.items()):
            if live.dirty:
                live.dirty = False
                updates.append((infohash, live.downloaded, live.size))
        if updates:
            self.progress_writes += 1
            await self.ctx.writer.run(store.progress_unit(updates), label="downloads.progress")


def stream_base(settings: Any) -> str:
    if settings.public_url:
        return str(settings.public_url).rstrip("/")
    host = settings.host if settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
    return f"http://{host}:{settings.port}"
