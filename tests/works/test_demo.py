"""The demo's metadata_refresh jobs: one per library, seeded with the demo's instance names, and
a dry-run that shows a change made at the fake metadata service through its control path."""

from __future__ import annotations

import asyncio
import time
from contextlib import ExitStack
from typing import Any

import httpx
from pydantic import SecretStr

from anibridge_like.app import create_app
from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.metadata import metadata_apps
from anibridge_like.demo.run import demo_seed
from anibridge_like.plugins.registry import Registry
from anibridge_like.settings import Settings
from tests.fakes.sites import serve_app, serve_site

KEY = {"X-Api-Key": "adm1n"}


async def test_demo_lists_a_refresh_job_per_library_and_previews_a_fake_change(
    settings: Settings,
) -> None:
    catalogs = {
        "aniworld": GeneratedCatalog("aniworld", 8, 3, episodes_per_title=4),
        "sto": GeneratedCatalog("sto", 4, 3, episodes_per_title=4),
        "megakino": GeneratedCatalog("megakino", 6, 3, episodes_per_title=2),
    }
    with ExitStack() as stack:
        urls = {
            n: stack.enter_context(serve_site(n, catalog=c)).base_url for n, c in catalogs.items()
        }
        extra: list[dict[str, Any]] = []
        meta_urls: dict[str, str] = {}
        for name, service in metadata_apps(catalogs).items():
            meta_urls[name] = stack.enter_context(serve_app(service.app))
            extra.append(service.seed_entry(f"demo-{name}", meta_urls[name]))
        registry = Registry()
        seed = demo_seed(urls, registry, extra)
        app_settings = settings.model_copy(update={"admin_api_key": SecretStr("adm1n")})
        app = create_app(app_settings, seed=seed, registry=registry)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                deadline = time.monotonic() + 120
                while not (await client.get("/health/catalog")).json()["complete"]:
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.2)
                for slug in ("anime", "series", "movies"):
                    jobs = (await client.get(f"/api/v1/libraries/{slug}/jobs", headers=KEY)).json()
                    refresh = [j for j in jobs["jobs"] if j["type"] == "metadata_refresh"]
                    assert len(refresh) == 1 and refresh[0]["next_run_at"], slug
                job = next(
                    j
                    for j in (await client.get("/api/v1/libraries/anime/jobs", headers=KEY)).json()[
                        "jobs"
                    ]
                    if j["type"] == "metadata_refresh"
                )
                ctx = app.state.ctx
                key = (
                    await ctx.readers.fetchone(
                        "SELECT w.key FROM works w JOIN title_works tw ON tw.work = w.key"
                        " JOIN titles t ON t.id = tw.title_id WHERE t.site = 'aniworld'"
                        " AND w.key LIKE 'tvdb:%' ORDER BY w.key LIMIT 1"
                    )
                )[0]
                async with httpx.AsyncClient() as outside:
                    edited = await outside.post(
                        f"{meta_urls['skyhook']}/_control/records/{key.split(':')[1]}",
                        json={"status": "Upcoming", "overview": "Announced a sequel."},
                    )
                    assert edited.status_code == 200
                answer = await client.post(
                    f"/api/v1/libraries/anime/jobs/{job['id']}/dry-run",
                    json={"work_ids": [key]},
                    headers=KEY,
                )
                sample = answer.json()["sample"][0]
                assert sample["changes"]["status"]["after"] == "upcoming"
                assert sample["changes"]["overview"]["after"] == "Announced a sequel."
