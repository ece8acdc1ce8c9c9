"""The canonical stage against the fake metadata servers, on a real database and writer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import pytest

from anibridge_like.catalog.canonical import CanonicalResult, CanonicalStage
from anibridge_like.catalog.episodes import DetailOutcome, persist_details
from anibridge_like.catalog.overrides import MappingOverride, apply_overrides, put_override
from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.plugins.metadata import MetadataInstance
from anibridge_like.plugins.provider import Episode, TitleDetail
from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer
from tests.catalog.canonical_support import build_fakes, index_catalog, instances

ANIME = GeneratedCatalog("aniworld", 220, seed=11)
SERIES = GeneratedCatalog("sto", 120, seed=11)
MOVIES = GeneratedCatalog("megakino", 80, seed=11)
SERVED = ("confirmed", "high")


@pytest.fixture
def fast(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "backoff_base_seconds": 0.01,
            "backoff_cap_seconds": 0.5,
            "retry_attempts": 2,
            "canonical_batch_size": 40,
            "canonical_concurrency": 4,
        }
    )


async def run_stage(
    writer: Writer,
    readers: ReaderPool,
    metadata: Sequence[MetadataInstance],
    settings: Settings,
    ids: Sequence[int],
    **kw: Any,
) -> CanonicalResult:
    stage = CanonicalStage(writer=writer, readers=readers, metadata=metadata, settings=settings)
    return await stage.run(ids, **kw)


async def series_rows(readers: ReaderPool) -> dict[int, Any]:
    return {r["title_id"]: r for r in await readers.fetchall("SELECT * FROM series_mappings")}


async def episode_rows(readers: ReaderPool) -> list[Any]:
    return await readers.fetchall(
        "SELECT m.*, e.season, e.number, e.kind, t.slug, t.site, s.status AS series_status"
        " FROM episode_mappings m JOIN episodes e ON e.id = m.episode_id"
        " JOIN titles t ON t.id = m.title_id JOIN series_mappings s ON s.title_id = m.title_id"
    )


async def test_generated_catalog_maps_accurately_and_serves_no_wrong_episode(
    writer: Writer, readers: ReaderPool, fast: Settings
) -> None:
    fakes = build_fakes(ANIME, SERIES, MOVIES)
    ids: dict[tuple[str, str], int] = {}
    for catalog in (ANIME, SERIES, MOVIES):
        for slug, tid in (await index_catalog(writer, catalog)).items():
            ids[(catalog.site, slug)] = tid
    seen: list[tuple[int, int]] = []
    async with instances(fakes) as metadata:
        result = await run_stage(
            writer,
            readers,
            metadata,
            fast,
            list(ids.values()),
            progress=lambda d, f: seen.append((d, f)),
        )
    assert result.total == len(ids) == result.done
    assert result.failed == 0 and result.skipped_unconfigured == 0
    assert seen[-1] == (len(ids), 0) and seen == sorted(seen)
    rows = await series_rows(readers)
    by_truth = {(c.site, t.slug): t for c in (ANIME, SERIES, MOVIES) for t in c}
    right = matchable = 0
    for key, tid in ids.items():
        t, row = by_truth[key], rows[tid]
        if t.kind == "movie":
            if t.tmdb_id is None:
                assert row["status"] not in SERVED, (t.title, row["reason"])
                continue
            matchable += 1
            right += (
                row["status"] in SERVED
                and row["tmdb_id"] == t.tmdb_id
                and row["imdb_id"] == t.imdb_id
            )
        elif t.tvdb_id is None:
            assert row["status"] not in SERVED, (t.title, row["reason"])
        else:
            matchable += 1
            ok = row["status"] in SERVED and row["tvdb_id"] == t.tvdb_id
            right += ok
            if ok and t.anilist_id is not None:
                assert row["anilist_id"] == t.anilist_id
    assert right / matchable >= 0.95, (right, matchable)
    unmatchable = [k for k, t in by_truth.items() if t.tvdb_id is None and t.kind == "series"]
    assert sum(rows[ids[k]]["status"] == "unmatched" for k in unmatchable) >= 0.75 * len(
        unmatchable
    )

    # Episodes: every mapping that is served is right; nearly every regular episode is served.
    wrong, served, films = [], Counter[str](), Counter[str]()
    for r in await episode_rows(readers):
        t = by_truth[(r["site"], r["slug"])]
        truth = next(e for e in t.episodes if (e.season, e.number) == (r["season"], r["number"]))
        if r["series_status"] in SERVED and r["status"] in SERVED:
            served[truth.kind] += 1
            if (r["tvdb_season"], r["tvdb_episode"]) != (truth.tvdb_season, truth.tvdb_episode):
                wrong.append((t.slug, t.numbering, dict(r), truth))
            if truth.kind == "episode":
                assert r["absolute"] == truth.absolute
        if truth.kind == "film":
            films[str(truth.tvdb_season)] += 1
    assert wrong == []
    regular = sum(
        1
        for k, tid in ids.items()
        if rows[tid]["status"] in SERVED
        for e in by_truth[k].episodes
        if e.kind == "episode"
    )
    assert served["episode"] >= 0.97 * regular
    assert served["special"] > 0 and served["film"] > 0
    assert films.get("None", 0) == 0  # films TVDB lacks are never mapped
    numbering = Counter(
        t.numbering for k, t in by_truth.items() if rows[ids[k]]["status"] in SERVED
    )
    assert numbering["split"] > 5 and numbering["continuous"] > 5


async def test_low_conflict_and_unmatched_titles_get_no_episode_mappings(
    writer: Writer, readers: ReaderPool, fast: Settings
) -> None:
    remake = next(t for t in SERIES if t.index > 10 and t.index % 97 == 0)
    original = next(
        t for t in SERIES if t.canonical_title == remake.canonical_title and t.index != remake.index
    )
    assert remake.tvdb_id and original.tvdb_id and remake.year != original.year

    async def add_yearless(conn: aiosqlite.Connection) -> int:
        cur = await conn.execute(
            "INSERT INTO titles(site, slug, title, kind, year, generation, first_seen,"
            " updated_at) VALUES ('sto', 'yearless', ?, 'series', NULL, 1, 'x', 'x')",
            (remake.canonical_title,),
        )
        assert cur.lastrowid is not None
        await conn.execute(
            "INSERT INTO episodes(title_id, season, number, kind, names, first_seen)"
            " VALUES (?, 1, 1, 'episode', '{}', 'x')",
            (cur.lastrowid,),
        )
        return cur.lastrowid

    ids = await index_catalog(writer, SERIES, [remake.index, original.index])
    yearless = await writer.run(add_yearless)
    fakes = build_fakes(SERIES)
    async with instances(fakes) as metadata:
        result = await run_stage(writer, readers, metadata, fast, [*ids.values(), yearless])
    assert result.conflict == 1 and result.mapped == 2
    rows = await series_rows(readers)
    assert rows[yearless]["status"] == "conflict"
    assert str(remake.tvdb_id) in rows[yearless]["reason"]
    assert str(original.tvdb_id) in rows[yearless]["reason"]
    assert rows[ids[remake.slug]]["tvdb_id"] == remake.tvdb_id
    assert rows[ids[original.slug]]["tvdb_id"] == original.tvdb_id
    mapped_titles = {
        r["title_id"]
        for r in await readers.fetchall("SELECT DISTINCT title_id FROM episode_mappings")
    }
    assert yearless not in mapped_titles and ids[remake.slug] in mapped_titles


async def test_overrides_pin_mappings_and_survive_re_enrichment(
    writer: Writer, readers: ReaderPool, fast: Settings
) -> None:
    picked = [t for t in SERIES if t.tvdb_id is not None][:3]
    a, b, c = picked
    # seed override declared before the title is indexed: pin `a` to b's show
    seeded = MappingOverride(site="sto", slug=a.slug, tvdb_id=b.tvdb_id, note="seed")
    await writer.run(lambda conn: apply_overrides(conn, [seeded]))
    ids = await index_catalog(writer, SERIES, [t.index for t in picked])
    fakes = build_fakes(SERIES)
    async with instances(fakes) as metadata:
        first = await run_stage(writer, readers, metadata, fast, list(ids.values()))
        assert first.skipped_pinned == 1 and first.mapped == 2
        # API override on `c`, pinned to its right show with an explicit canonical name
        api = MappingOverride(
            site="sto",
            slug=c.slug,
            tvdb_id=c.tvdb_id,
            canonical_title="Pinned Name",
            imdb_id="tt0944947",
        )
        await writer.run(lambda conn: put_override(conn, api))
        second = await run_stage(writer, readers, metadata, fast, list(ids.values()))
        assert second.skipped_pinned == 2 and second.mapped == 1
        third = await run_stage(writer, readers, metadata, fast, list(ids.values()))
    rows = await series_rows(readers)
    pinned_a, pinned_c = rows[ids[a.slug]], rows[ids[c.slug]]
    assert (pinned_a["pinned"], pinned_a["status"], pinned_a["source"]) == (
        1,
        "confirmed",
        "override",
    )
    assert pinned_a["tvdb_id"] == b.tvdb_id and pinned_a["canonical_title"] == b.canonical_title
    assert pinned_c["canonical_title"] == "Pinned Name" and pinned_c["imdb_id"] == "tt0944947"
    assert rows[ids[b.slug]]["pinned"] == 0 and rows[ids[b.slug]]["tvdb_id"] == b.tvdb_id
    assert third.skipped_pinned == 2
    # the pinned title's episodes are mapped against the pinned show
    eps = await readers.fetchall(
        "SELECT count(*) FROM episode_mappings WHERE title_id = ?", (ids[c.slug],)
    )
    assert eps[0][0] == sum(1 for e in c.episodes if e.tvdb_season is not None)
    # the seed reconcile again (unchanged) is a no-op; dropping it from the seed unpins
    assert await writer.run(lambda conn: apply_overrides(conn, [seeded])) == 0
    assert await writer.run(lambda conn: apply_overrides(conn, [])) == 1
    rows = await series_rows(readers)
    assert rows[ids[a.slug]]["pinned"] == 0 and rows[ids[c.slug]]["pinned"] == 1
    async with instances(fakes) as metadata:
        await run_stage(writer, readers, metadata, fast, [ids[a.slug]])
    assert (await series_rows(readers))[ids[a.slug]]["tvdb_id"] == a.tvdb_id


async def test_restart_answers_from_the_database_cache(db: Any, fast: Settings) -> None:
    fakes = build_fakes(ANIME)
    async with Writer(db) as writer, ReaderPool(db) as readers:
        ids = list((await index_catalog(writer, ANIME, range(40))).values())
        async with instances(fakes) as metadata:
            first = await run_stage(writer, readers, metadata, fast, ids)
        before = await series_rows(readers)
    sent = fakes.requests
    assert sent == first.requests > 40
    # a new process: new writer, readers, stage and plugin objects on the same file
    async with Writer(db) as writer, ReaderPool(db) as readers:
        async with instances(fakes) as metadata:
            second = await run_stage(writer, readers, metadata, fast, ids)
        after = await series_rows(readers)
        assert fakes.requests == sent and second.requests == 0
        assert second.cache_hits >= first.requests
        assert {k: (r["status"], r["tvdb_id"]) for k, r in after.items()} == {
            k: (r["status"], r["tvdb_id"]) for k, r in before.items()
        }
        # expired entries are asked for again
        await writer.execute("UPDATE metadata_cache SET expires_at = '2000-01-01T00:00:00.000Z'")
        async with instances(fakes) as metadata:
            third = await run_stage(writer, readers, metadata, fast, ids[:5])
        assert third.requests > 0 and fakes.requests > sent


async def test_rate_limits_are_waited_out(
    writer: Writer, readers: ReaderPool, fast: Settings
) -> None:
    ids = list((await index_catalog(writer, SERIES, range(12))).values())
    fakes = build_fakes(SERIES)
    fakes.skyhook.control.fail_next(2, status=429, retry_after=0.05)
    async with instances(fakes) as metadata:
        result = await run_stage(writer, readers, metadata, fast, ids)
    assert result.failed == 0 and result.mapped + result.unmatched == 12
    assert result.requests == fakes.requests  # the two 429s were retried, not lost


async def test_failing_upstream_fails_titles_with_backoff_and_keeps_old_mappings(
    writer: Writer, readers: ReaderPool, fast: Settings
) -> None:
    ids = list((await index_catalog(writer, SERIES, range(6))).values())
    fakes = build_fakes(SERIES)
    async with instances(fakes) as metadata:
        await run_stage(writer, readers, metadata, fast, ids)
    before_eps = (await readers.fetchall("SELECT count(*) FROM episode_mappings"))[0][0]
    before = {k: tuple(r) for k, r in (await series_rows(readers)).items()}
    assert before_eps > 0
    await writer.execute("DELETE FROM metadata_cache")
    fakes.skyhook.control.fail_next(500, status=503)
    async with instances(fakes) as metadata:
        result = await run_stage(writer, readers, metadata, fast, ids)
    assert result.failed == 6 and result.last_error and result.last_error.startswith("upstream")
    states = await readers.fetchall(
        "SELECT canonical_status, canonical_failures, canonical_next_at FROM title_state"
    )
    assert all(s[0] == "failed" and s[1] == 1 and s[2] for s in states)
    assert (await readers.fetchall("SELECT count(*) FROM episode_mappings"))[0][0] == before_eps
    assert {k: tuple(r) for k, r in (await series_rows(readers)).items()} == before


async def test_instance_without_key_is_reported_not_configured(
    writer: Writer, readers: ReaderPool, fast: Settings
) -> None:
    movie_ids = list((await index_catalog(writer, MOVIES, range(10))).values())
    fakes = build_fakes(MOVIES)
    async with instances(fakes, tmdb_key=None) as metadata:
        result = await run_stage(writer, readers, metadata, fast, movie_ids)
    movies = sum(1 for i in range(10) if MOVIES.title(i).kind == "movie")
    assert result.not_configured == ["tmdb"]
    assert result.skipped_unconfigured == movies and result.failed == 0
    assert fakes.tmdb.control.requests == 0
    states = await readers.fetchall(
        "SELECT canonical_status, canonical_error FROM title_state ts JOIN titles t"
        " ON t.id = ts.title_id WHERE t.kind = 'movie'"
    )
    assert {s[0] for s in states} == {"pending"} and "API key" in states[0][1]


async def test_rejected_key_takes_the_instance_out_after_one_request(
    writer: Writer, readers: ReaderPool, fast: Settings
) -> None:
    movie_ids = list((await index_catalog(writer, MOVIES, range(10))).values())
    fakes = build_fakes(MOVIES)
    async with instances(fakes, tmdb_key="wrong") as metadata:
        result = await run_stage(writer, readers, metadata, fast, movie_ids)
    movies = sum(1 for i in range(10) if MOVIES.title(i).kind == "movie")
    assert result.failed == movies and result.last_error and "auth" in result.last_error
    assert fakes.tmdb.control.requests <= fast.canonical_concurrency


async def test_anime_without_helper_still_maps_through_skyhook(
    writer: Writer, readers: ReaderPool, fast: Settings
) -> None:
    ids = await index_catalog(writer, ANIME, range(30))
    fakes = build_fakes(ANIME)
    async with instances(fakes, with_anilist=False) as metadata:
        result = await run_stage(writer, readers, metadata, fast, list(ids.values()))
    assert fakes.anilist.control.requests == 0
    rows = await series_rows(readers)
    good = sum(
        1
        for t in (ANIME.title(i) for i in range(30))
        if t.tvdb_id and rows[ids[t.slug]]["tvdb_id"] == t.tvdb_id
    )
    assert good >= 0.9 * sum(1 for i in range(30) if ANIME.title(i).tvdb_id)
    assert result.mapped >= good


async def test_a_cached_series_is_refetched_once_when_site_episodes_are_missing(
    writer: Writer, readers: ReaderPool, fast: Settings
) -> None:
    t = next(t for t in SERIES if t.tvdb_id is not None)
    ids = await index_catalog(writer, SERIES, [t.index])
    fakes = build_fakes(SERIES)
    async with instances(fakes) as metadata:
        await run_stage(writer, readers, metadata, fast, list(ids.values()))
        last = max(e.number for e in t.episodes if e.season == 1)
        await writer.execute(
            "INSERT INTO episodes(title_id, season, number, kind, names, first_seen)"
            " VALUES (?, 1, ?, 'episode', '{}', 'x')",
            (ids[t.slug], last + 50),
        )
        before = fakes.skyhook.control.paths[:]
        again = await run_stage(writer, readers, metadata, fast, list(ids.values()))
    new_paths = fakes.skyhook.control.paths[len(before) :]
    assert new_paths == [f"/v1/tvdb/shows/en/{t.tvdb_id}"]  # searches came from the cache
    assert again.mapped == 1


async def test_an_imdb_id_linked_by_the_site_maps_a_title_its_name_and_year_cannot(
    writer: Writer, readers: ReaderPool, fast: Settings
) -> None:
    # SkyHook candidates carry the show's imdb id, so a linked imdb id decides among the shows
    # the name search returns. Both titles below say a year ten years off (name 100, year -35:
    # unmatched by name); only the one whose page links the imdb id gets mapped.
    linked, bare = [t for t in SERIES if t.tvdb_id and t.imdb_id and t.year][:2]
    ids = await index_catalog(writer, SERIES, [linked.index, bare.index])

    async def detail_unit(conn: aiosqlite.Connection) -> None:
        await conn.execute("DELETE FROM title_aliases")
        outcomes = [
            DetailOutcome(
                ids[t.slug],
                t.slug,
                0,
                detail=TitleDetail(
                    slug=t.slug,
                    title=t.canonical_title,
                    year=t.year + 10,
                    episodes=[Episode(e.season, e.number, kind=e.kind) for e in t.episodes],
                    external_ids={"imdb": t.imdb_id} if t is linked else {},
                ),
            )
            for t in (linked, bare)
            if t.year is not None and t.imdb_id is not None
        ]
        await persist_details(conn, outcomes, moment=datetime.now(UTC), refresh_hours=24.0)

    await writer.run(detail_unit)
    fakes = build_fakes(SERIES)
    async with instances(fakes) as metadata:
        await run_stage(writer, readers, metadata, fast, list(ids.values()))
    rows = await series_rows(readers)
    got, control = rows[ids[linked.slug]], rows[ids[bare.slug]]
    assert control["status"] not in SERVED, control["reason"]
    assert got["status"] == "confirmed", got["reason"]
    assert f"explicit id imdb={linked.imdb_id}" in got["reason"]
    assert (got["tvdb_id"], got["imdb_id"]) == (linked.tvdb_id, linked.imdb_id)
    served = await readers.fetchall(
        "SELECT COUNT(*) AS n FROM episode_mappings WHERE title_id = ? AND status IN (?, ?)",
        (ids[linked.slug], *SERVED),
    )
    assert served[0]["n"] > 0
