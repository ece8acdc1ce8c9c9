"""The web UI in a real browser (headless Chromium via Playwright) against a demo-like daemon on
loopback: the overview's progress bars move to ready by themselves, login, a library search, a
job's run-now (a second click: 409 "already running"), a dry-run's table, a Sonarr-style grab
that finishes on the Downloads page, the plugins page — with axe-core checks on every page and a
screenshot of each under ``tests/web/artifacts/``. One flow: the bootstrap happens once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree as ET

import httpx
import pytest
from pydantic import SecretStr

from anibridge_like.app import create_app
from anibridge_like.demo.catalog import GeneratedCatalog
from anibridge_like.demo.faults import FaultController
from anibridge_like.demo.hosters import HosterState
from anibridge_like.demo.hosters import build_app as build_hosters
from anibridge_like.demo.mediaservers.tree import demo_media_server, with_media_jobs
from anibridge_like.demo.metadata import metadata_apps
from anibridge_like.demo.sites import build_site_app
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import parse_seed
from tests.downloads.conftest import KEY, PASSWORD, USER, daemon_settings, seed_data
from tests.downloads.sonarr_client import SonarrQbit
from tests.fakes.sites import serve_app
from tests.web.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    axe_violations,
    chromium_env,
    require_browser,
    serve_daemon,
    shot,
)

pytestmark = pytest.mark.slow
ADMIN = "web-admin-key"
LINKED = {"de_dub", "de_sub", "en_sub", "en_dub"}
TIMEOUT_MS = 20_000
METADATA_JOB = {
    "type": "metadata_refresh",
    "name": "metadata refresh",
    "cron": "45 3 * * *",
    "config": {"instances": ["skyhook"]},
}


class Deployment:
    def __init__(
        self, base: str, faults: dict[str, FaultController], data: Path, anime_title: str
    ) -> None:
        self.anime_title = anime_title
        self.skyhook = ""
        self.tvdb_ids: list[int] = []
        self.base = base
        self.faults = faults
        self.data = data


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    require_browser()
    catalogs = {
        "aniworld": GeneratedCatalog("aniworld", 16, 11, episodes_per_title=4),
        "sto": GeneratedCatalog("sto", 5, 11, episodes_per_title=3),
        "megakino": GeneratedCatalog("megakino", 6, 11, episodes_per_title=2),
    }
    faults = {name: FaultController() for name in catalogs}
    # every anime detail page answers slowly, so the bootstrap is visibly in progress
    faults["aniworld"].add("slow", path="/anime/stream/*", delay=0.8)
    with ExitStack() as stack:
        hosters = stack.enter_context(serve_app(build_hosters(HosterState(media_size=64 * 1024))))
        urls = {"hosters": hosters}
        for name, catalog in catalogs.items():
            app = build_site_app(name, catalog, faults[name])
            app.state.hosters_url = hosters
            urls[name] = stack.enter_context(serve_app(app))
        for name, service in metadata_apps(catalogs).items():
            urls[name] = stack.enter_context(serve_app(service.app))
        data = tmp_path_factory.mktemp("web")
        settings = daemon_settings(data).model_copy(update={"admin_api_key": SecretStr(ADMIN)})
        # the downloads suite's seed, without its Jellyfin fake (not served here)
        seed = seed_data({**urls, "jellyfin": "http://127.0.0.1:9"})
        seed["plugins"] = [p for p in seed["plugins"] if p.get("implementation") != "jellyfin"]
        seed["libraries"] = with_media_jobs(seed["libraries"])
        seed["libraries"][0]["jobs"].append(METADATA_JOB)
        seed["plugins"].append(demo_media_server(data / "media", catalogs))
        registry = Registry()
        daemon = create_app(
            settings, seed=parse_seed(seed, registry, environ={}), registry=registry
        )
        base = stack.enter_context(serve_daemon(daemon))
        deployment = Deployment(base, faults, data, catalogs["aniworld"].title(0).title)
        deployment.skyhook = urls["skyhook"]
        anime = catalogs["aniworld"]
        deployment.tvdb_ids = [
            t.tvdb_id for t in (anime.title(i) for i in range(anime.size)) if t.tvdb_id
        ]
        yield deployment


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Launched before the daemon starts, so the page opens while the bootstrap runs."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=chromium_env()
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def page(browser: Any, deployment: Deployment) -> Iterator[Any]:
    context = browser.new_context(base_url=deployment.base, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def _stage_states(page: Any) -> list[tuple[str, float | None]]:
    return list(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('tr[data-stage]')).map(row => {
                const bar = row.querySelector('progress');
                return [row.dataset.status, bar && bar.hasAttribute('value') ? bar.value : null];
            })"""
        )
    )


def _assert_accessible(page: Any, name: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {name}: {violations}"


def watch_bootstrap(page: Any) -> None:
    """The overview, never reloaded by the test, shows stages in progress and then all ready."""
    page.goto("/")
    seen: set[str] = set()
    percents: set[float] = set()
    midway = False
    deadline = time.monotonic() + 90
    while True:
        states = _stage_states(page)
        seen.update(status for status, _ in states)
        percents.update(p for _, p in states if p is not None and 0 < p < 100)
        if not midway and any(s == "running" for s, _ in states):
            shot(page, "overview-bootstrapping")
            midway = True
        if states and all(status == "ready" for status, _ in states):
            break
        assert time.monotonic() < deadline, f"not ready in time: {states}"
        page.wait_for_timeout(150)
    assert seen - {"ready"}, f"the page never showed a stage before ready: {seen}"
    assert percents, "no progress bar between 0 and 100 % was ever shown"
    page.wait_for_selector("main#live:not([data-refresh])")  # live refresh stops when idle
    assert page.get_by_label("Torznab URL").first.input_value().endswith("/torznab/anime")
    shot(page, "overview")
    _assert_accessible(page, "overview")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "overview-phone")
    page.set_viewport_size({"width": 1280, "height": 900})


def login(page: Any) -> None:
    """A wrong key is refused; then by keyboard only: the key field has focus, Enter submits."""
    page.goto("/jobs")
    assert page.url.endswith("/login?next=/jobs")
    _assert_accessible(page, "login")
    page.get_by_label("Admin key").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("not the admin key").wait_for()
    assert page.evaluate("() => document.activeElement.id") == "key"
    page.keyboard.type(ADMIN)
    page.keyboard.press("Enter")
    page.wait_for_url("**/jobs")


def scan_media(page: Any) -> None:
    """Run the anime library's media scan from the Jobs page; the gap report then fills."""
    page.goto("/jobs")
    row = page.locator("tr[data-job='media scan']", has_text="anime")
    row.get_by_role("button", name="Run now").click()
    page.get_by_text("The run started.").wait_for()
    page.locator("article.run[data-status='success']").first.wait_for()


def search_library(page: Any, deployment: Deployment) -> None:
    page.goto("/libraries/anime")
    assert page.locator("table.gaps tbody tr").count() > 0, "no gap report after the scan"
    page.get_by_label("Title (as Sonarr or Radarr would search)").fill(deployment.anime_title)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/libraries/anime?q=*")
    rows = page.locator("table.releases tbody tr")
    assert rows.count() > 0
    assert "S01E" in rows.first.inner_text() or " - " in rows.first.inner_text()
    shot(page, "library")
    _assert_accessible(page, "library")


def run_now_twice(page: Any, deployment: Deployment) -> None:
    page.goto("/jobs")
    shot(page, "jobs")
    _assert_accessible(page, "jobs")
    page.get_by_role("link", name="catalog refresh demo-aniworld").click()
    page.wait_for_url("**/jobs/*")
    # the title listing answers slowly now, so the run is still going at the second click
    deployment.faults["aniworld"].add("slow", path="/animes*", delay=3.0, count=1)
    page.get_by_role("button", name="Run now").click()
    page.get_by_text("The run started.").wait_for()
    with page.expect_response(lambda r: r.url.endswith("/run")) as second:
        page.get_by_role("button", name="Run now").click()
    assert second.value.status == 409
    page.get_by_text("Already running").wait_for()
    shot(page, "job-already-running")
    page.locator("article.run[data-status='running']").first.wait_for(state="detached")


def dry_run(page: Any) -> None:
    page.get_by_role("button", name="Dry-run").click()
    page.get_by_text("The dry-run started").wait_for()
    article = page.locator("article.run").first
    article.locator("text=dry-run").first.wait_for()
    page.locator(
        "article.run[data-status='success'] table caption", has_text="Dry-run result"
    ).first.wait_for()
    shot(page, "job-dry-run")
    _assert_accessible(page, "job")


def preview_metadata(page: Any, deployment: Deployment) -> None:
    """A show's status changes at the fake SkyHook; the metadata_refresh dry-run previews it
    as before → after (real metadata calls, nothing written)."""
    for tvdb in deployment.tvdb_ids:
        changed = httpx.post(
            f"{deployment.skyhook}/_control/records/{tvdb}", json={"status": "Upcoming"}
        )
        assert changed.status_code < 300, changed.text
    page.goto("/jobs")
    row = page.locator("tr[data-job='metadata refresh']", has_text="anime")
    row.get_by_role("button", name="Dry-run").click()
    page.get_by_role("heading", name="Dry-run preview (nothing was written)").wait_for()
    assert page.locator("[role=alert]").count() == 0, page.locator("[role=alert]").inner_text()
    assert "planned works" in page.locator("#preview-h + p").inner_text()
    rows = page.locator("table.changes tbody tr")
    assert rows.count() > 0, "the preview shows no change"
    first = rows.first.locator("td").all_inner_texts()
    assert first[1] == "status" and first[3] == "→ upcoming", first
    shot(page, "job-metadata-preview")
    _assert_accessible(page, "metadata preview")


async def _grab(base: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        feed = await client.get("/torznab/anime/api", params={"apikey": KEY, "t": "search"})
        magnets = []
        for item in ET.fromstring(feed.text).findall("channel/item"):
            uri = item.find("enclosure").get("url", "")  # type: ignore[union-attr]
            params = dict(parse_qsl(uri[len("magnet:?") :]))
            if params.get("ab_lang") in LINKED:
                magnets.append((uri, params["xt"].removeprefix("urn:btih:")))
        uri, infohash = magnets[0]
        sonarr = SonarrQbit(client, username=USER, password=PASSWORD, category="sonarr-anime")
        await sonarr.probe()
        await sonarr.add(uri)
        return infohash.lower()


def grab_and_finish(page: Any, deployment: Deployment) -> None:
    with ThreadPoolExecutor(1) as pool:
        infohash = pool.submit(asyncio.run, _grab(deployment.base)).result(timeout=60)
    page.goto("/downloads")
    row = page.locator(f"tr[data-hash='{infohash}']")
    row.wait_for()
    page.locator(f"tr[data-hash='{infohash}'][data-state='completed']").wait_for(timeout=60_000)
    cells = row.locator("td").all_inner_texts()
    assert "completed" in cells[0] and "100" in cells[1]
    assert cells[4] not in ("", "–"), f"no host shown: {cells}"
    shot(page, "downloads")
    _assert_accessible(page, "downloads")


def plugins(page: Any) -> None:
    page.goto("/plugins")
    row = page.locator("tr[data-plugin='demo-aniworld']")
    assert "provider" in row.inner_text() and "ok" in row.inner_text()
    disk = page.locator("tr[data-plugin='demo-disk']")
    disk.get_by_role("button", name="Test connection").click()
    page.get_by_text("demo-disk: Connected to filesystem").wait_for()
    shot(page, "plugins")
    _assert_accessible(page, "plugins")
    page.keyboard.press("Tab")  # the first stop on a page is the skip link
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.url.endswith("#live")


def test_the_web_ui_in_a_browser(browser: Any, deployment: Deployment, page: Any) -> None:
    watch_bootstrap(page)
    login(page)
    scan_media(page)
    search_library(page, deployment)
    run_now_twice(page, deployment)
    dry_run(page)
    preview_metadata(page, deployment)
    grab_and_finish(page, deployment)
    plugins(page)
