"""Torznab fixtures: the real app (create_app) on a temp database, its seed reconciled, and a
small catalog written directly through the app's Writer (titles, aliases, episodes, languages,
mappings, readiness) — the rows the pipeline and the canonical stage would have written."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiosqlite
import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from anibridge_like.app import create_app
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import Seed, parse_seed
from anibridge_like.settings import Settings
from anibridge_like.storage.writer import Writer
from tests.plugin_doubles import EXTRA

REGISTRY = Registry(extra=EXTRA)
NOW = "2026-11-20T12:00:00+00:00"


@dataclass
class Ep:
    season: int
    number: int
    languages: dict[str, str]
    """language → first_seen (ISO-8601 UTC)."""
    absolute: int | None = None
    tvdb: tuple[int | None, int | None, int | None, str] | None = None
    """(tvdb_season, tvdb_episode, absolute, status) of the episode mapping."""


@dataclass
class Show:
    site: str
    slug: str
    title: str
    episodes: list[Ep]
    kind: str = "series"
    year: int | None = 2020
    aliases: tuple[str, ...] = ()
    mapping: dict[str, Any] | None = None
    """series_mappings columns (status, tvdb_id, imdb_id, tmdb_id, canonical_title, …)."""
    gone: int = 0


@dataclass
class Catalog:
    shows: list[Show] = field(default_factory=list)
    ready: tuple[str, ...] = ()
    """Instance names whose title stage is ready."""
    pending: tuple[str, ...] = ()
    """Instance names with a title stage that is running (never ready yet)."""


async def write_catalog(writer: Writer, catalog: Catalog) -> None:
    """Everything in one writer unit, bulk rows through executemany."""

    async def unit(conn: aiosqlite.Connection) -> None:
        await conn.executemany(
            "INSERT INTO stage_state(instance, stage, status, ready_at, live_generation)"
            " VALUES (?, 'title', 'ready', ?, 1)",
            [(name, NOW) for name in catalog.ready],
        )
        await conn.executemany(
            "INSERT INTO stage_state(instance, stage, status, started_at)"
            " VALUES (?, 'title', 'running', ?)",
            [(name, NOW) for name in catalog.pending],
        )
        for show in catalog.shows:
            cursor = await conn.execute(
                "INSERT INTO titles(site, slug, title, kind, year, generation, gone, first_seen,"
                " updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)",
                (show.site, show.slug, show.title, show.kind, show.year, show.gone, NOW, NOW),
            )
            title_id = cursor.lastrowid
            await conn.executemany(
                "INSERT INTO title_aliases(title_id, alias) VALUES (?, ?)",
                [(title_id, alias) for alias in show.aliases],
            )
            if show.mapping is not None:
                m = {"status": "confirmed", **show.mapping}
                await conn.execute(
                    "INSERT INTO series_mappings(title_id, status, tvdb_id, tmdb_id, imdb_id,"
                    " canonical_title, canonical_year, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        title_id, m["status"], m.get("tvdb_id"), m.get("tmdb_id"),
                        m.get("imdb_id"), m.get("canonical_title"), m.get("canonical_year"), NOW,
                    ),
                )  # fmt: skip
            for ep in show.episodes:
                kind = "film" if ep.season < 0 else "special" if ep.season == 0 else "episode"
                cursor = await conn.execute(
                    "INSERT INTO episodes(title_id, season, number, absolute, kind, first_seen)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (title_id, ep.season, ep.number, ep.absolute, kind, NOW),
                )
                episode_id = cursor.lastrowid
                await conn.executemany(
                    "INSERT INTO episode_languages(episode_id, language, first_seen)"
                    " VALUES (?, ?, ?)",
                    sorted((episode_id, lang, seen) for lang, seen in ep.languages.items()),
                )
                if ep.tvdb is not None:
                    season, number, absolute, status = ep.tvdb
                    await conn.execute(
                        "INSERT INTO episode_mappings(episode_id, title_id, tvdb_season,"
                        " tvdb_episode, absolute, status, method) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (episode_id, title_id, season, number, absolute, status, "direct"),
                    )

    await writer.run(unit, label="tests.write_catalog")


def ts(day: int, hour: int = 12) -> str:
    return f"2026-11-{day:02d}T{hour:02d}:00:00+00:00"


SEED: dict[str, Any] = {
    "libraries": [
        {
            "slug": "anime",
            "kind": "anime",
            "categories": [5070],
            "languages": ["de_dub", "de_sub"],
            "api_key": "anime-key",
        },
        {"slug": "series", "kind": "series", "categories": [5000, 5040]},
        {"slug": "movies", "kind": "movies", "categories": [2000]},
    ],
    "plugins": [
        {"name": "aw", "implementation": "echo", "kind": "provider",
         "config": {"site": "aniworld"}, "libraries": ["anime"]},
        {"name": "sto", "implementation": "echo", "kind": "provider",
         "config": {"site": "sto"}, "libraries": ["series"]},
        {"name": "mk", "implementation": "echo", "kind": "provider",
         "config": {"site": "megakino"}, "libraries": ["movies"]},
    ],
}  # fmt: skip
GLOBAL_KEY = "global-key"


def _eps(count: int, languages: Sequence[str], day0: int, mapped: str | None = "confirmed",
         season: int = 1, tvdb_season: int = 1, offset: int = 0) -> list[Ep]:  # fmt: skip
    out = []
    for n in range(1, count + 1):
        seen = ts(day0, n)
        tvdb = (tvdb_season, n + offset, n + offset, mapped) if mapped else None
        out.append(Ep(season, n, {lang: seen for lang in languages}, n + offset, tvdb))
    return out


def default_catalog() -> Catalog:
    """A small catalog covering the cases the tests name."""
    return Catalog(
        ready=("aw", "sto", "mk"),
        shows=[
            Show("aniworld", "shingeki-no-kyojin", "Shingeki no Kyojin",
                 _eps(3, ["de_dub", "de_sub", "en_sub"], 10),
                 aliases=("Attack on Titan",),
                 mapping={"tvdb_id": 267440, "imdb_id": "tt2560140",
                          "canonical_title": "Attack on Titan", "canonical_year": 2013}),
            # the site splits the TVDB season: site S02E01 is TVDB S01E13, absolute 13
            Show("aniworld", "dragons-garden", "Dragon's Garden",
                 _eps(2, ["de_sub"], 11, season=2, offset=12),
                 aliases=("Doragon no Niwa",),
                 mapping={"status": "high", "tvdb_id": 1001,
                          "canonical_title": "The Dragon's Garden"}),
            Show("aniworld", "cafe-nocturne", "Café Nocturne", _eps(1, ["de_dub"], 12, "low"),
                 mapping={"status": "low", "tvdb_id": 2002, "canonical_title": "Cafe Nocturne"}),
            Show("aniworld", "konflikt", "Konflikt", _eps(1, ["de_dub"], 12, "conflict"),
                 mapping={"status": "conflict", "tvdb_id": 3003, "canonical_title": "Conflict"}),
            Show("aniworld", "ohne-mapping", "Ohne Mapping", _eps(1, ["de_dub"], 9, None),
                 aliases=("ダンジョン飯",)),
            Show("aniworld", "verschwunden", "Verschwunden", _eps(1, ["de_dub"], 13, None),
                 gone=1),
            Show("sto", "breaking-things", "Breaking Things",
                 _eps(4, ["de_dub", "en_dub"], 14),
                 mapping={"tvdb_id": 4004, "imdb_id": "tt0903747", "tmdb_id": 1396,
                          "canonical_title": "Breaking Things"}),
            # same slug on another site: must get another info-hash
            Show("sto", "shingeki-no-kyojin", "Shingeki no Kyojin (Realfilm)",
                 _eps(1, ["de_dub"], 8, None)),
            Show("megakino", "the-matrix", "Matrix", [Ep(-1, 1, {"de_dub": ts(15)})],
                 kind="movie", year=1999,
                 mapping={"imdb_id": "tt0133093", "tmdb_id": 603,
                          "canonical_title": "The Matrix", "canonical_year": 1999}),
        ],
    )  # fmt: skip


def build_app(settings: Settings, seed: Seed) -> Starlette:
    """The real app (routes mounted by ``create_app``) without background services: the
    catalog is what the tests write, never what a pipeline would fetch."""
    return create_app(settings, seed=seed, registry=REGISTRY, environ={}, start_services=False)


AppFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def make_client(settings: Settings) -> AsyncIterator[AppFactory]:
    """``await make_client(catalog, seed=..., api_key=...)`` → a client of a started app."""
    stack: list[Any] = []

    async def factory(
        catalog: Catalog | None = None,
        *,
        seed: dict[str, Any] | None = None,
        api_key: str | None = GLOBAL_KEY,
    ) -> httpx.AsyncClient:
        update = {"api_key": SecretStr(api_key) if api_key else None}
        app = build_app(
            settings.model_copy(update=update), parse_seed(seed or SEED, REGISTRY, environ={})
        )
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        stack.append(lifespan)
        await write_catalog(app.state.ctx.writer, catalog or default_catalog())
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        )
        stack.append(client)
        client.app = app  # type: ignore[attr-defined]
        return client

    yield factory
    for item in reversed(stack):
        if isinstance(item, httpx.AsyncClient):
            await item.aclose()
        else:
            await item.__aexit__(None, None, None)


@pytest.fixture
async def client(make_client: AppFactory) -> httpx.AsyncClient:
    return await make_client()
