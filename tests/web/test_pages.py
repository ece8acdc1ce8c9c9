"""Rendering, escaping, login, CSRF and the read-only mode of the web UI (no browser)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from anibridge_like.app import create_app
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import parse_seed
from anibridge_like.settings import Settings
from tests.plugin_doubles import EXTRA

REGISTRY = Registry(extra=EXTRA)
ADMIN = "adm1n-key-for-tests"
EVIL = '<script>alert("x")</script>'
SEED: dict[str, Any] = {
    "libraries": [
        {"slug": "anime", "kind": "anime", "name": EVIL},
        {"slug": "movies", "kind": "movies", "api_key": "movies-own"},
    ],
    "plugins": [
        {
            "name": "echo-1",
            "implementation": "echo",
            "kind": "provider",
            "libraries": ["anime"],
            "enabled": False,
        },
    ],
}


async def _client(settings: Settings, admin: str | None) -> AsyncIterator[httpx.AsyncClient]:
    update: dict[str, Any] = {"admin_api_key": SecretStr(admin) if admin else None}
    media = settings.data_dir.parent / "media"
    (media / "anime").mkdir(parents=True)
    disk = {
        "name": "disk",
        "implementation": "filesystem",
        "kind": "media_server",
        "config": {"libraries": {"anime": str(media / "anime"), "movies": str(media / "gone")}},
    }
    app = create_app(
        settings.model_copy(update=update),
        seed=parse_seed({**SEED, "plugins": [*SEED["plugins"], disk]}, REGISTRY, environ={}),
        registry=REGISTRY,
        start_services=False,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            yield c


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(settings, ADMIN):
        yield c


@pytest.fixture
async def open_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(settings, None):
        yield c


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def _login(client: httpx.AsyncClient, key: str = ADMIN) -> httpx.Response:
    page = await client.get("/login")
    return await client.post("/login", data={"csrf": _csrf(page.text), "key": key, "next": "/jobs"})


async def test_overview_escapes_what_it_shows(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert EVIL not in response.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in response.text
    assert 'value="http://127.0.0.1/torznab/anime"' in response.text
    assert "this library&#39;s own key" in response.text  # movies has its own key
    assert "movies-own" not in response.text  # never the key itself


async def test_search_query_is_escaped_on_the_library_page(client: httpx.AsyncClient) -> None:
    await _login(client)
    response = await client.get("/libraries/anime", params={"q": EVIL})
    assert response.status_code == 200
    assert EVIL not in response.text
    assert "not ready yet" in response.text  # the catalog has not bootstrapped


async def test_without_an_admin_key_only_the_read_only_overview_shows(
    open_client: httpx.AsyncClient,
) -> None:
    overview = await open_client.get("/")
    assert overview.status_code == 200
    assert "ANIBRIDGE_ADMIN_API_KEY" in overview.text
    assert 'href="/jobs"' not in overview.text and "Log in" not in overview.text
    for path in ("/jobs", "/downloads", "/plugins", "/libraries/anime"):
        page = await open_client.get(path)
        assert page.status_code == 403, path
        assert "ANIBRIDGE_ADMIN_API_KEY" in page.text
    login = await _login(open_client, "anything")
    assert login.status_code == 403


async def test_admin_pages_send_a_visitor_to_the_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/downloads")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/downloads"


async def test_login_with_the_admin_key_sets_a_strict_httponly_session(
    client: httpx.AsyncClient,
) -> None:
    wrong = await _login(client, "not-the-key")
    assert wrong.status_code == 401
    assert "not the admin key" in wrong.text
    assert "abl_session" not in client.cookies
    right = await _login(client)
    assert right.status_code == 303 and right.headers["location"] == "/jobs"
    cookie = next(v for k, v in right.headers.multi_items() if v.startswith("abl_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert ADMIN not in cookie
    for path in ("/jobs", "/downloads", "/plugins", "/libraries/anime"):
        assert (await client.get(path)).status_code == 200, path
    plugins = await client.get("/plugins")
    assert "echo-1" in plugins.text and "disabled" in plugins.text
    out = await client.post("/logout", data={"csrf": _csrf(plugins.text)})
    assert out.status_code == 303
    assert (await client.get("/jobs")).status_code == 303


async def test_a_tampered_session_cookie_is_not_admin(client: httpx.AsyncClient) -> None:
    await _login(client)
    session = client.cookies["abl_session"]
    expiry, _, signature = session.partition(".")
    client.cookies.set("abl_session", f"{int(expiry) + 1000}.{signature}", domain="127.0.0.1")
    assert (await client.get("/jobs")).status_code == 303


async def test_the_admin_key_header_counts_as_admin(client: httpx.AsyncClient) -> None:
    assert (await client.get("/jobs", headers={"X-Api-Key": ADMIN})).status_code == 200
    assert (await client.get("/jobs", headers={"X-Api-Key": "nope"})).status_code == 303


async def test_posts_without_a_matching_csrf_token_are_refused(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    token = _csrf(page.text)
    missing = await client.post("/login", data={"key": ADMIN})
    assert missing.status_code == 403 and "CSRF" in missing.text
    wrong = await client.post("/login", data={"key": ADMIN, "csrf": "0" * 32})
    assert wrong.status_code == 403
    cross = await client.post(
        "/login", data={"key": ADMIN, "csrf": token}, headers={"Origin": "http://evil.example"}
    )
    assert cross.status_code == 403
    assert "abl_session" not in client.cookies
    await _login(client)
    for path in ("/jobs/1/run", "/downloads/" + "a" * 40 + "/delete", "/logout"):
        refused = await client.post(path, data={"csrf": "f" * 32})
        assert refused.status_code == 403, path
    assert (await client.get("/jobs")).status_code == 200  # still logged in


async def test_login_never_redirects_off_site(client: httpx.AsyncClient) -> None:
    page = await client.get("/login", params={"next": "//evil.example/x"})
    assert 'name="next" value="/"' in page.text
    response = await client.post(
        "/login", data={"csrf": _csrf(page.text), "key": ADMIN, "next": "https://evil.example"}
    )
    assert response.headers["location"] == "/"


async def test_run_now_without_the_jobs_runner_says_so(client: httpx.AsyncClient) -> None:
    await _login(client)
    jobs = await client.get("/jobs")
    assert "No job is scheduled" in jobs.text  # start_services=False: no runner
    response = await client.post("/jobs/999/run", data={"csrf": _csrf(jobs.text)})
    assert response.status_code == 404


async def test_static_files_are_served(client: httpx.AsyncClient) -> None:
    css = await client.get("/static/style.css")
    assert css.status_code == 200 and "--accent" in css.text
    js = await client.get("/static/app.js")
    assert js.status_code == 200 and "data-refresh" in js.text


async def _insert_download(client: httpx.AsyncClient, state: str) -> str:
    from anibridge_like.downloads import store

    app = client._transport.app  # type: ignore[attr-defined]
    infohash = ("f" if state == "failed" else "c") * 40
    row = store.DownloadRow(
        hash=infohash,
        name=f"Show S01E01 {EVIL}",
        magnet="magnet:?xt=urn:btih:" + infohash,
        site="aniworld",
        slug="show",
        season=1,
        number=1,
        language="de_dub",
        category="sonarr",
        tags="",
        save_path="/tmp/none",
        mode="media",
        state=state,
        size=1000,
        downloaded=250,
        file_name=None,
        host="VOE",
        error="every hoster failed" if state == "failed" else None,
        attempts=1,
        added_at="2026-12-03T08:00:00+00:00",
        completed_at=None,
        updated_at="2026-12-03T08:00:00+00:00",
    )
    await app.state.ctx.writer.run(store.insert_unit(row))
    return infohash


async def test_downloads_page_retries_a_failed_download_and_removes_one(
    client: httpx.AsyncClient,
) -> None:
    await _login(client)
    failed = await _insert_download(client, "failed")
    done = await _insert_download(client, "completed")
    page = await client.get("/downloads")
    assert EVIL not in page.text
    assert "every hoster failed" in page.text and "VOE" in page.text
    assert page.text.count("/retry") == 1  # only the failed one offers retry
    token = _csrf(page.text)
    retried = await client.post(f"/downloads/{failed}/retry", data={"csrf": token})
    assert retried.headers["location"] == "/downloads?notice=retried"
    again = await client.post(f"/downloads/{done}/retry", data={"csrf": token})
    assert again.headers["location"] == "/downloads?notice=not-retryable"
    removed = await client.post(f"/downloads/{done}/delete", data={"csrf": token})
    assert removed.headers["location"] == "/downloads?notice=deleted"
    after = await client.get("/downloads?notice=retried")
    assert "queued again" in after.text
    assert f'data-hash="{failed}" data-state="queued"' in after.text
    assert done not in after.text


async def test_overview_shows_media_servers_and_plugins_test_their_connection(
    client: httpx.AsyncClient,
) -> None:
    overview = await client.get("/")
    assert 'data-media-server="disk"' in overview.text
    assert "Media servers" in overview.text
    await _login(client)
    plugins = await client.get("/plugins")
    assert plugins.text.count("Test connection") == 1  # providers have no check
    assert "binds anime →" in plugins.text
    tested = await client.post("/plugins/disk/test", data={"csrf": _csrf(plugins.text)})
    assert tested.status_code == 200
    assert "disk: failed (" in tested.text and "gone" in tested.text  # the missing folder
    unknown = await client.post("/plugins/nope/test", data={"csrf": _csrf(plugins.text)})
    assert unknown.status_code == 404
    library = await client.get("/libraries/anime")
    assert "Nothing owned is known" in library.text


def test_a_dry_run_with_changes_renders_a_before_after_table() -> None:
    from anibridge_like.web.templating import environment
    from anibridge_like.web.views import summary_rows

    summary = {
        "status": "success",
        "dry_run": True,
        "changes": [
            {"item": EVIL, "field": "title", "before": "Old", "after": "New"},
            {"item": "Show B", "field": "year", "before": 1999, "after": 2000},
        ],
        "planned": 2,
    }
    view = summary_rows(summary)
    assert [c["after"] for c in view["changes"]] == ["New", 2000]
    assert view["fields"] == [("planned", ["2"])]
    job = {
        "id": 1, "name": "meta", "type": "metadata_refresh", "library": "anime",
        "instance": None, "cron": None, "interval_hours": None, "timezone": "UTC",
        "next_run_at": None, "running": False, "error": None,
    }  # fmt: skip
    run = {
        "id": 7, "status": "success", "dry_run": True, "trigger": "manual",
        "started_at": None, "finished_at": None, "message": None, "view": view,
    }  # fmt: skip
    html = (
        environment()
        .get_template("job.html")
        .render(
            title="Job meta",
            request_path="/jobs/1",
            csrf="a" * 32,
            admin=True,
            admin_configured=True,
            job=job,
            runs=[run],
            notice=None,
            refresh=False,
            default_interval=24,
        )
    )
    assert "What a run would change" in html
    assert "<td>Old</td><td>→ New</td>" in html
    assert EVIL not in html


async def test_the_downloads_page_shows_100_rows_per_page_newest_first(
    client: httpx.AsyncClient,
) -> None:
    from anibridge_like.downloads import store

    await _login(client)
    app = client._transport.app  # type: ignore[attr-defined]
    base = await _insert_download(client, "completed")
    row = await store.get_download(app.state.ctx.readers, base)
    assert row is not None
    for i in range(104):
        await app.state.ctx.writer.run(
            store.insert_unit(
                dataclasses.replace(
                    row,
                    hash=f"{i:040x}",
                    name=f"Item {i:03d}",
                    added_at=f"2026-12-04T{i // 60:02d}:{i % 60:02d}:00+00:00",
                )
            )
        )
    first = await client.get("/downloads")
    assert "105 downloads, 0 active · page 1 of 2" in first.text
    assert first.text.count("<tr data-hash=") == 100
    assert first.text.index("Item 103") < first.text.index("Item 102")  # newest first
    second = await client.get("/downloads?page=2")
    assert second.text.count("<tr data-hash=") == 5 and "Item 000" in second.text
    assert (await client.get("/downloads?page=x")).status_code == 200


async def test_library_page_lists_wanted_and_recommendations_and_dismisses(
    client: httpx.AsyncClient,
) -> None:
    await _login(client)
    page = await client.get("/libraries/anime")
    assert "No wanted list syncs into this library yet" in page.text
    assert "No recommendations yet" in page.text
    token = _csrf(page.text)
    done = await client.post(
        "/libraries/anime/recommendations/tvdb:81797/dismiss", data={"csrf": token}
    )
    assert done.headers["location"] == "/libraries/anime?notice=dismissed"
    bad = await client.post("/libraries/anime/recommendations/nope/dismiss", data={"csrf": token})
    assert bad.headers["location"] == "/libraries/anime?notice=not-dismissed"
    refused = await client.post("/libraries/anime/recommendations/tvdb:1/dismiss", data={})
    assert refused.status_code == 403
    shown = await client.get("/libraries/anime?notice=dismissed")
    assert "stays hidden after later refreshes" in shown.text
