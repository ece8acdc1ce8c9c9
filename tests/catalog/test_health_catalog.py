"""``/health/catalog``, ``/health``'s catalog summary and the refresh route, through the real app
(lifespan, seed reconcile, CatalogService, APScheduler) with the in-memory provider."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.settings import Settings
from tests.catalog.support import fast_settings, open_app, poll, provider, seed
from tests.fakes.memory_provider import MemorySite, register_site

KEY = {"X-Api-Key": "adm1n"}


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    return fast_settings(settings, admin_api_key=SecretStr("adm1n"))


@pytest.fixture
def site() -> MemorySite:
    return register_site("mem", GeneratedCatalog("aniworld", 150, seed=21), page_size=40)


@pytest.fixture
async def client(app_settings: Settings, site: MemorySite) -> AsyncIterator[httpx.AsyncClient]:
    async with open_app(app_settings, seed(provider("mem-1", "mem", libraries=["anime"]))) as c:
        yield c


async def test_bootstrap_is_visible_and_completes(
    client: httpx.AsyncClient, site: MemorySite
) -> None:
    body = await poll(client, lambda b: b["complete"])
    assert body["ready"] and not body["bootstrapping"] and body["running"] == []
    (inst,) = body["instances"]
    assert inst["instance"] == "mem-1" and inst["site"] == "mem" and inst["titles"] == 150
    title, detail, canonical = (inst["stages"][s] for s in ("title", "detail", "canonical"))
    assert title["status"] == "ready" and title["percent"] == 100.0
    assert title["persisted"] == 150 and title["live_generation"] == 1
    assert title["staging_generation"] is None and title["ready_at"]
    assert detail["status"] == "ready" and detail["persisted"] == 150 and detail["failed"] == 0
    assert canonical["status"] == "ready"
    assert canonical["last_error"] == "no metadata instance in scope"
    libraries = {lib["library"]: lib for lib in body["libraries"]}
    assert libraries["anime"]["ready"] and libraries["anime"]["instances"] == ["mem-1"]
    assert not libraries["series"]["ready"] and libraries["series"]["instances"] == []
    assert set(body["writer"]) >= {"queue_depth", "lag_seconds", "utilisation"}
    health = (await client.get("/health")).json()
    assert health["catalog"]["ready"] and health["catalog"]["complete"]
    assert health["catalog"]["instances"]["mem-1"]["detail"] == "ready"


async def test_running_stage_reports_progress_fields(
    app_settings: Settings, site: MemorySite
) -> None:
    site.detail_delay = 0.01
    async with open_app(app_settings, seed(provider("mem-1", "mem"))) as client:
        body = await poll(
            client,
            lambda b: (
                b["instances"][0]["stages"]["detail"]["status"] == "running"
                and b["instances"][0]["stages"]["detail"]["persisted"] > 20
            ),
        )
        assert body["bootstrapping"] and not body["complete"] and body["running"] == ["mem-1"]
        detail = body["instances"][0]["stages"]["detail"]
        assert detail["total"] == 150 and 0 < detail["percent"] < 100
        assert detail["rate"] > 0 and detail["eta_seconds"] is not None
        assert detail["current"] in site.catalog.slugs
        assert detail["writer_lag_seconds"] is not None and "queue_depth" in detail
        summary = (await client.get("/health")).json()["catalog"]
        assert summary["bootstrapping"] and summary["instances"]["mem-1"]["detail"] == "running"


async def test_refresh_route_starts_refuses_while_running_and_knows_instances(
    client: httpx.AsyncClient, site: MemorySite
) -> None:
    await poll(client, lambda b: b["complete"])
    assert (await client.post("/api/v1/plugins/mem-1/refresh")).status_code == 401
    assert (await client.post("/api/v1/plugins/nope/refresh", headers=KEY)).status_code == 404
    site.list_delay = 0.3
    calls = site.calls["list"]
    response = await client.post("/api/v1/plugins/mem-1/refresh", headers=KEY)
    assert response.status_code == 202 and response.json()["status"] == "started"
    again = await client.post("/api/v1/plugins/mem-1/refresh", headers=KEY)
    assert again.status_code == 409 and "already running" in again.json()["error"]
    body = await poll(client, lambda b: b["complete"])
    assert site.calls["list"] > calls  # a manual refresh lists even when the listing is fresh
    assert body["instances"][0]["stages"]["title"]["live_generation"] == 2


async def test_failed_stage_is_reported_and_retried_by_backoff(
    app_settings: Settings, site: MemorySite
) -> None:
    site.fail("list", code="invalid_data", at=1, count=1)
    async with open_app(app_settings, seed(provider("mem-1", "mem"))) as client:
        body = await poll(
            client, lambda b: b["instances"][0]["stages"]["title"]["status"] == "failed"
        )
        title = body["instances"][0]["stages"]["title"]
        assert title["last_error"].startswith("invalid_data:") and title["attempts"] == 1
        assert title["next_attempt_at"] and not body["ready"] and body["bootstrapping"]
        assert body["instances"][0]["stages"]["detail"]["status"] == "pending"
