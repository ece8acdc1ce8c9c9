"""The canonical stage: map provider titles and episodes to TVDB numbering, absolute anime numbers
and movie ids.

Interface (what the pipeline calls)::

    stage = CanonicalStage(writer=writer, readers=readers, metadata=instances, settings=settings)
    result = await stage.run(title_ids, progress=lambda done, failed: ...)

``metadata`` is a sequence of :class:`~anibridge_like.plugins.metadata.MetadataInstance` (an
instance name + a built plugin). ``progress(done, failed)`` is called after each committed batch;
:class:`CanonicalResult` carries the counts and the last error.

Per title (batches of ``canonical_batch_size``, ``canonical_concurrency`` titles at once):

1. The title's category is ``movie`` (kind), ``anime`` (a series on a site whose provider
   instances serve an anime library) or ``series``. Instances are picked by their declared
   capabilities, never by name: the *primary* is the first instance whose ``kinds`` hold the
   category and that has ``numbering`` (series, anime) or ``movies`` (movies); *helpers* are
   instances with ``aliases`` for the category (AniList for anime), asked first — a helper's
   confirmed/high hit adds its names and year to the query and its AniList/MAL ids to the row (a
   confirmed hit also makes them explicit ids, which win against the primary's candidates).
2. A pinned title (manual override) keeps its series mapping; its episodes are mapped against
   the pinned series and empty canonical fields filled in (counted as ``skipped_pinned``).
3. Otherwise the primary's candidates are found by :func:`~anibridge_like.catalog.
   canonical_search.match_with` (linked ids looked up first, names second) and scored by
   :mod:`~anibridge_like.catalog.matching`. A helper hit for a sequel form ("X 2nd Season"
   matched to AniList's "X") lends names, not ids. A match carries a season hint (a sequel
   form, or the position of an explicit AniList/MAL id in the show's list — one per cour); a
   hinted season the show lacks makes the title ``unmatched``. Confirmed/high matches get their
   episodes mapped; ``low`` episode mappings are dropped (a release is never numbered by a
   guess); low, conflict and unmatched titles are stored with their reason and no episodes.
   A film page of an anime site (``movie`` kind, or a page listing only films) named in a film
   form (``X – The Movie: Y``) is first matched as a special of ``X``, then as a movie; one
   without that form only as a movie.
4. Each batch is persisted in one writer unit (:func:`~anibridge_like.catalog.canonical_store.
   persist_batch`) together with the new metadata cache rows.

Every metadata answer goes through the database cache (``metadata_cache``, TTL
``metadata_cache_hours``; empty answers ``metadata_miss_cache_hours``), so a restart does not ask
again — except a cached series that leaves regular site episodes unmapped, which is fetched once
more (the episodes may have aired after it was cached).

Plugin calls go through :class:`~anibridge_like.catalog.retry.Retrier` (the one place that
applies ``policy_for``): ``rate_limited`` waits ``retry_after`` — and holds every call to that
instance meanwhile — ``upstream``/``timeout`` back off with jitter. A title whose calls still fail
is ``failed`` with a next attempt by backoff and keeps its previous mappings. ``not_configured``
takes the instance out of the run and reports it (its titles stay pending, not failed); ``auth``,
``blocked`` or a rate limit longer than the backoff cap take it out too (its titles fail).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog

from anibridge_like.catalog.canonical_outcome import (
    CanonicalResult,
    missing_regulars,
    title_outcome,
)
from anibridge_like.catalog.canonical_search import SERVED, match_with
from anibridge_like.catalog.canonical_store import (
    MetadataCache,
    TitleOutcome,
    TitleRow,
    anime_sites,
    load_titles,
    persist_batch,
    pinned_fill_values,
)
from anibridge_like.catalog.match_titles import FILM
from anibridge_like.catalog.matching import (
    Query,
    map_episodes,
    resolve_hint,
    title_key,
)
from anibridge_like.catalog.metadata_calls import MetadataCalls, Unconfigured
from anibridge_like.catalog.retry import Retrier, title_retry_at
from anibridge_like.catalog.state import utcnow
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.metadata import MetadataInstance, MetadataKind
from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer
from anibridge_like.works.values import movie_values, series_work, work_key

log = structlog.get_logger(__name__).bind(stage="canonical")


class CanonicalStage:
    """Canonical enrichment of a set of titles (see the module docstring)."""

    def __init__(
        self,
        *,
        writer: Writer,
        readers: ReaderPool,
        metadata: Sequence[MetadataInstance],
        settings: Settings,
    ) -> None:
        self.writer = writer
        self.readers = readers
        self.metadata = list(metadata)
        self.settings = settings
        self._result = CanonicalResult()
        self._calls = self._new_calls()

    def _new_calls(self) -> MetadataCalls:
        cache = MetadataCache(
            self.readers,
            timedelta(hours=self.settings.metadata_cache_hours),
            timedelta(hours=self.settings.metadata_miss_cache_hours),
        )
        return MetadataCalls(
            self.metadata,
            cache,
            Retrier.from_settings(self.settings),
            concurrency=self.settings.canonical_concurrency,
            rate_limit_pause=self.settings.backoff_base_seconds,
        )

    # ---- the run -------------------------------------------------------------------------
    async def run(
        self, title_ids: Sequence[int], *, progress: Callable[[int, int], None] | None = None
    ) -> CanonicalResult:
        ids = sorted(set(title_ids))
        result = self._result = CanonicalResult(total=len(ids))
        calls = self._calls = self._new_calls()
        anime = await anime_sites(self.readers)
        limit = asyncio.Semaphore(self.settings.canonical_concurrency)
        size = self.settings.canonical_batch_size
        started = time.monotonic()
        for start in range(0, len(ids), size):
            titles = await load_titles(self.readers, ids[start : start + size], anime)

            async def one(t: TitleRow) -> TitleOutcome:
                async with limit:
                    return await self._guarded(t)

            outcomes = list(await asyncio.gather(*(one(t) for t in titles)))
            now = utcnow()
            rows = calls.cache.take_pending(now)

            async def unit(
                conn: Any,
                outcomes: list[TitleOutcome] = outcomes,
                rows: list[Any] = rows,
                now: datetime = now,
            ) -> None:
                await persist_batch(conn, outcomes, rows, now)

            await self.writer.run(unit, label="canonical.batch")
            for o in outcomes:
                self._tally(o)
            if progress is not None:
                progress(result.done, result.failed)
        result.cache_hits = calls.cache.hits
        result.requests = calls.requests
        result.not_configured = list(calls.not_configured)
        log.info(
            "canonical.finished",
            total=result.total,
            mapped=result.mapped,
            low=result.low,
            unmatched=result.unmatched,
            conflict=result.conflict,
            failed=result.failed,
            pinned=result.skipped_pinned,
            unconfigured=result.skipped_unconfigured,
            requests=result.requests,
            cache_hits=result.cache_hits,
            seconds=round(time.monotonic() - started, 3),
        )
        return result

    def _tally(self, o: TitleOutcome) -> None:
        r = self._result
        if o.kind == "failed":
            r.failed += 1
            r.last_error = o.error
        elif o.kind == "unconfigured":
            r.skipped_unconfigured += 1
            r.last_error = o.error
        elif o.kind == "pinned":
            r.skipped_pinned += 1
        elif o.kind == "mapped":
            status = o.series[0] if o.series else "high"
            if status == "low":
                r.low += 1
            else:
                r.mapped += 1
        elif o.kind == "conflict":
            r.conflict += 1
        else:
            r.unmatched += 1

    async def _guarded(self, t: TitleRow) -> TitleOutcome:
        category: MetadataKind = "movie" if t.kind == "movie" else "anime" if t.anime else "series"
        bound = log.bind(site=t.site, slug=t.slug, category=category)
        try:
            if t.override is not None or t.pinned:
                outcome = await self._pinned(t, category)
            elif t.anime and (category == "movie" or _films_only(t)):
                outcome = await self._film_page(t)
            elif category == "movie":
                outcome = await self._movie(t)
            else:
                outcome = await self._series(t, category)
        except Unconfigured as exc:
            return TitleOutcome(t, "unconfigured", error=str(exc))
        except PluginError as err:
            if err.code is ErrorCode.NOT_CONFIGURED:
                return TitleOutcome(t, "unconfigured", error=f"{err.code.value}: {err.message}")
            bound.warning("canonical.title_failed", code=err.code.value, error=err.message)
            retry_at = title_retry_at(
                err, failures=t.failures + 1, settings=self.settings, now=utcnow()
            )
            return TitleOutcome(
                t, "failed", error=f"{err.code.value}: {err.message}", retry_at=retry_at
            )
        bound.debug(
            "canonical.title_done",
            outcome=outcome.kind,
            status=outcome.series[0] if outcome.series else None,
        )
        return outcome

    # ---- flows ---------------------------------------------------------------------------
    async def _series(self, t: TitleRow, category: MetadataKind) -> TitleOutcome:
        primary = self._calls.pick(category, "numbering")[0]
        names = [t.title, *t.aliases]
        explicit = dict(t.explicit_ids)
        year, extra, notes = t.year, dict[str, str](), list[str]()
        for helper in self._calls.pick(category, "aliases"):
            query = Query(tuple(names), year, "series", explicit)
            try:
                found = await match_with(self._calls, helper, query, names[:2], year, False)
            except PluginError as err:
                notes.append(f"{helper.name} unavailable ({err.code.value})")
                continue
            if found.best is not None and found.status in ("confirmed", "high"):
                names += [n for n in found.best.names if n not in names]
                ids = {k: v for k, v in found.best.external_ids.items() if k in ("anilist", "mal")}
                extra.update(ids)
                if found.status == "confirmed" and found.season_hint is None:
                    # a sequel form matched to the franchise's entry is not that entry's id
                    explicit.update(ids)
                year = year or found.best.year
                notes.append(f"{helper.name} {found.status} {found.best.id}")
        outcome = await match_with(
            self._calls, primary, Query(tuple(names), year, "series", explicit), names, year, False
        )
        reason = "; ".join([outcome.reason, *notes])
        best = outcome.best
        if best is None:
            return title_outcome(
                t, outcome.status, outcome.score, primary.name, reason, episodes=[]
            )
        ids = {**best.external_ids, **extra, primary.capabilities.namespace: best.id}
        if outcome.status not in ("confirmed", "high"):
            return title_outcome(
                t,
                outcome.status,
                outcome.score,
                primary.name,
                reason,
                ids,
                best.names[0],
                best.year,
                episodes=[],
            )
        info = await self._calls.get_series(primary, best.id)
        if info is None:
            return title_outcome(
                t,
                "unmatched",
                outcome.score,
                primary.name,
                f"{best.id} vanished; {reason}",
                episodes=[],
            )
        hint = outcome.season_hint
        season = resolve_hint(hint, info.episodes, t.year)
        if season is not None and season not in {e.season for e in info.episodes}:
            why = f"{best.id} has no season {season}; {reason}"
            return title_outcome(t, "unmatched", outcome.score, primary.name, why, episodes=[])
        mappings = map_episodes(t.episodes, info.episodes, season_hint=hint, year=t.year)
        if missing_regulars(t, mappings):  # the cached series may predate new episodes
            info = await self._calls.get_series(primary, best.id, fresh=True) or info
            mappings = map_episodes(t.episodes, info.episodes, season_hint=hint, year=t.year)
        done = title_outcome(
            t,
            outcome.status,
            outcome.score,
            primary.name,
            reason,
            {**info.external_ids, **ids},
            info.title,
            info.year,
            episodes=mappings,
        )
        done.work = series_work(info, primary.capabilities.namespace, {**info.external_ids, **ids})
        return done

    async def _film_page(self, t: TitleRow) -> TitleOutcome:
        """A film page of an anime site: named in a film form (``X – The Movie: Y``) it is first
        a special of ``X`` in TVDB; otherwise, or when ``X`` is not found, a movie. A standalone
        film is never mapped to a TVDB series that merely shares its name."""
        outcome: TitleOutcome | None = None
        if any(title_key(n)[1] == FILM for n in (t.title, *t.aliases)):
            outcome = await self._series(t, "anime")
            if outcome.series is not None and outcome.series[0] in SERVED:
                return outcome
        try:
            return await self._movie(t)
        except Unconfigured as exc:
            if outcome is not None:
                return outcome
            why = f"film page, not matched as a movie: {exc}"
            return title_outcome(t, "unmatched", None, "-", why, episodes=[])

    async def _movie(self, t: TitleRow) -> TitleOutcome:
        primary = self._calls.pick("movie", "movies")[0]
        names = [t.title, *t.aliases]
        query = Query(tuple(names), t.year, "movie", dict(t.explicit_ids))
        outcome = await match_with(self._calls, primary, query, names, t.year, True)
        best = outcome.best
        if best is None:
            return title_outcome(t, outcome.status, outcome.score, primary.name, outcome.reason)
        ids = {**best.external_ids, primary.capabilities.namespace: best.id}
        title, year = best.names[0], best.year
        work: tuple[str, str, dict[str, Any]] | None = None
        if outcome.status in ("confirmed", "high", "low"):
            info = await self._calls.get_movie(primary, best.id)
            if info is not None:
                ids = {**info.external_ids, **ids}
                title, year = info.title, info.year
                key = work_key(ids, "movie")
                namespace = primary.capabilities.namespace
                if key is not None and outcome.status != "low":
                    work = (key, "movie", movie_values(info, namespace, ids))
        done = title_outcome(
            t, outcome.status, outcome.score, primary.name, outcome.reason, ids, title, year
        )
        done.work = work
        return done

    async def _pinned(self, t: TitleRow, category: MetadataKind) -> TitleOutcome:
        o = t.override
        if o is None:  # pinned row whose override is gone: keep everything as it is
            return TitleOutcome(t, "pinned")
        if category == "movie":
            if o.tmdb_id is None:
                return TitleOutcome(t, "pinned")
            inst = self._calls.pick("movie", "movies")[0]
            movie = await self._calls.get_movie(inst, str(o.tmdb_id))
            if movie is None:
                return TitleOutcome(t, "pinned")
            fill = pinned_fill_values(movie.title, movie.year, movie.external_ids)
            ids = {**movie.external_ids, "tmdb": str(o.tmdb_id)}
            key = work_key(ids, "movie")
            work = None if key is None else (key, "movie", movie_values(movie, "tmdb", ids))
            return TitleOutcome(t, "pinned", pinned_fill=fill, work=work)
        numbering = self._calls.pick(category, "numbering")
        primary = next((i for i in numbering if i.capabilities.namespace == "tvdb"), None)
        if o.tvdb_id is None or primary is None:
            return TitleOutcome(t, "pinned")
        info = await self._calls.get_series(primary, str(o.tvdb_id))
        if info is None:
            return TitleOutcome(t, "pinned", error=f"pinned tvdb {o.tvdb_id} not found")
        mappings = map_episodes(
            t.episodes, info.episodes, scheme=o.numbering, season_map=o.season_map
        )
        if missing_regulars(t, mappings):
            info = await self._calls.get_series(primary, str(o.tvdb_id), fresh=True) or info
            mappings = map_episodes(
                t.episodes, info.episodes, scheme=o.numbering, season_map=o.season_map
            )
        fill = pinned_fill_values(info.title, info.year, info.external_ids)
        served = [m for m in mappings if m.status != "low"]  # never number a release by a guess
        work = series_work(
            info, primary.capabilities.namespace, {**info.external_ids, "tvdb": str(o.tvdb_id)}
        )
        return TitleOutcome(t, "pinned", pinned_fill=fill, episodes=served, work=work)


def _films_only(t: TitleRow) -> bool:
    """A site page listing nothing but films (a film page, whatever kind the site gave it)."""
    return bool(t.episodes) and all(e.kind == "film" for e in t.episodes)
