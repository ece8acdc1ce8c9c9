"""Test support for the canonical stage: a generated catalog written straight into the index
(as the title and detail stages would leave it) and metadata instances on the fake servers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiosqlite
import httpx

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.metadata.scoring import EpisodeRow, Score, SeriesRow, score
from anibridge_like.demo.metadata.world import MappingWorld
from anibridge_like.demo.metadata.world_catalog import WorldCatalog
from anibridge_like.metadata.anilist import AniListConfig, AniListMetadata
from anibridge_like.metadata.skyhook import SkyHookConfig, SkyHookMetadata
from anibridge_like.metadata.tmdb import TmdbConfig, TmdbMetadata
from anibridge_like.plugins.metadata import MetadataInstance
from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer
from tests.fakes.anilist import FakeAniList
from tests.fakes.metadata_common import FakeControl
from tests.fakes.skyhook import FakeSkyHook
from tests.fakes.tmdb import FakeTmdb

NOW = "2026-11-22T10:00:00.000Z"
LIBRARY_KIND = {"anime": "anime", "series": "series", "movies": "movies"}


async def index_catalog(
    writer: Writer,
    catalog: GeneratedCatalog,
    indices: Iterable[int] | None = None,
    *,
    links: bool = False,
) -> dict[str, int]:
    """Write ``catalog`` (or the titles at ``indices``) into the index; returns slug → id.

    ``links``: also the IMDb id each page links (as the detail stage stores it)."""
    titles = [catalog.title(i) for i in (indices if indices is not None else range(len(catalog)))]
    site = catalog.site

    async def unit(conn: aiosqlite.Connection) -> dict[str, int]:
        await conn.execute(
            "INSERT OR IGNORE INTO libraries(slug, name, kind) VALUES (?, ?, ?)",
            (f"lib-{site}", site, LIBRARY_KIND[catalog.flavor]),
        )
        await conn.execute(
            "INSERT OR IGNORE INTO plugin_instances(name, implementation, kind, site,"
            " all_libraries) VALUES (?, ?, 'provider', ?, 0)",
            (site, site, site),
        )
        await conn.execute(
            "INSERT OR IGNORE INTO plugin_instance_libraries(instance_id, library_id)"
            " SELECT p.id, l.id FROM plugin_instances p, libraries l"
            " WHERE p.name = ? AND l.slug = ?",
            (site, f"lib-{site}"),
        )
        await conn.executemany(
            "INSERT INTO titles(site, slug, title, kind, year, generation, first_seen, updated_at)"
            " VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
            sorted((site, t.slug, t.title, t.kind, t.year, NOW, NOW) for t in titles),
        )
        ids = {
            r[1]: r[0]
            for r in await conn.execute_fetchall(
                "SELECT id, slug FROM titles WHERE site = ?", (site,)
            )
        }
        await conn.executemany(
            "INSERT INTO title_aliases(title_id, alias) VALUES (?, ?)",
            sorted({(ids[t.slug], a) for t in titles for a in t.aliases}),
        )
        await conn.executemany(
            "INSERT INTO episodes(title_id, season, number, absolute, kind, names, first_seen)"
            " VALUES (?, ?, ?, NULL, ?, ?, ?)",
            sorted(
                (ids[t.slug], e.season, e.number, e.kind, json.dumps(e.titles), NOW)
                for t in titles
                for e in t.episodes
            ),
        )
        if links:
            await conn.executemany(
                "INSERT INTO title_external_ids(title_id, namespace, value) VALUES (?, 'imdb', ?)",
                sorted((ids[t.slug], t.imdb_id) for t in titles if t.imdb_id),
            )
        await conn.executemany(
            "INSERT OR IGNORE INTO title_state(title_id, detail_status) VALUES (?, 'ok')",
            sorted((ids[t.slug],) for t in titles),
        )
        return {t.slug: ids[t.slug] for t in titles}

    return await writer.run(unit)


@dataclass
class Fakes:
    skyhook: FakeSkyHook
    anilist: FakeAniList
    tmdb: FakeTmdb
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return (
            self.skyhook.control.requests
            + self.anilist.control.requests
            + self.tmdb.control.requests
        )


def build_fakes(*catalogs: GeneratedCatalog, world: MappingWorld | None = None) -> Fakes:
    """Fakes answering for ``catalogs`` (their generated titles only) and ``world``'s records."""
    bases = [c.base if isinstance(c, WorldCatalog) else c for c in catalogs]
    return Fakes(
        FakeSkyHook(*bases, shows=world.shows if world else (), control=FakeControl()),
        FakeAniList(
            *[c for c in bases if c.flavor == "anime"],
            media=world.media if world else (),
            control=FakeControl(),
        ),
        # every catalog: an anime site's film-only titles are movies TMDB knows as well
        FakeTmdb(
            *bases,
            movies=world.movies if world else (),
            api_key="k",
            control=FakeControl(),
        ),
    )


@asynccontextmanager
async def instances(
    fakes: Fakes, *, tmdb_key: str | None = "k", with_anilist: bool = True
) -> AsyncIterator[list[MetadataInstance]]:
    """Metadata instances (skyhook, anilist, tmdb) talking to the fakes in-process."""
    sky = httpx.AsyncClient(transport=httpx.ASGITransport(app=fakes.skyhook.app))
    ani = httpx.AsyncClient(transport=httpx.ASGITransport(app=fakes.anilist.app))
    tm = httpx.AsyncClient(transport=httpx.ASGITransport(app=fakes.tmdb.app))
    async with sky, ani, tm:
        out = [
            MetadataInstance(
                "tvdb", SkyHookMetadata(SkyHookConfig(base_url="http://skyhook.test/v1/tvdb"), sky)
            ),
            MetadataInstance(
                "tmdb",
                TmdbMetadata(TmdbConfig(base_url="http://tmdb.test/3", api_key=tmdb_key), tm),
            ),
        ]
        if with_anilist:
            out.insert(
                1,
                MetadataInstance(
                    "anilist", AniListMetadata(AniListConfig(base_url="http://anilist.test"), ani)
                ),
            )
        yield out


@dataclass
class WorldRun:
    scores: dict[str, Score]
    titles: int
    requests: int


WORLD_SIZES = {"aniworld": 120, "sto": 80, "megakino": 80}


async def run_world(
    writer: Writer,
    readers: ReaderPool,
    settings: Settings,
    *,
    seed: int = 11,
    sizes: Mapping[str, int] = WORLD_SIZES,
) -> WorldRun:
    """Index generated catalogs plus a :class:`MappingWorld` (page IMDb links included), run the
    canonical stage against the fakes and score what it serves."""
    from anibridge_like.catalog.canonical import CanonicalStage

    world = MappingWorld(seed=seed)
    catalogs = [world.catalog(GeneratedCatalog(site, n, seed)) for site, n in sizes.items()]
    ids: list[int] = []
    for catalog in catalogs:
        ids += (await index_catalog(writer, catalog, links=True)).values()
    fakes = build_fakes(*catalogs, world=world)
    async with instances(fakes) as metadata:
        stage = CanonicalStage(writer=writer, readers=readers, metadata=metadata, settings=settings)
        await stage.run(ids)
    series = {
        (r["site"], r["slug"]): SeriesRow(r["status"], r["tvdb_id"], r["tmdb_id"])
        for r in await readers.fetchall(
            "SELECT t.site, t.slug, s.status, s.tvdb_id, s.tmdb_id"
            " FROM series_mappings s JOIN titles t ON t.id = s.title_id"
        )
    }
    episodes = {
        (r["site"], r["slug"], r["season"], r["number"]): EpisodeRow(
            r["status"], r["tvdb_season"], r["tvdb_episode"]
        )
        for r in await readers.fetchall(
            "SELECT t.site, t.slug, e.season, e.number, m.status, m.tvdb_season, m.tvdb_episode"
            " FROM episode_mappings m JOIN episodes e ON e.id = m.episode_id"
            " JOIN titles t ON t.id = m.title_id"
        )
    }
    groups = []
    for catalog in catalogs:
        for t in catalog:
            groups.append((t, world.phenomenon.get((t.site, t.slug), "generated")))
    scores = score(groups, series, episodes, world.conflicts)
    return WorldRun(scores, len(ids), fakes.requests)
