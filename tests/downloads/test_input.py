"""Bad input to the qBittorrent API: fuzzed form fields, magnets from elsewhere, path traversal in
``savepath`` and category names — a clear 4xx naming the problem, never a 5xx, never a file
outside the download directory. And the API is closed beyond loopback without credentials."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from anibridge_like.app import create_app
from anibridge_like.settings import Settings
from tests.downloads.conftest import World, outside_files

pytestmark = pytest.mark.asyncio(loop_scope="module")

NASTY = [
    "",
    " ",
    "..",
    "../",
    "../../etc/passwd",
    "/etc",
    "/tmp/evil",
    "a/../../b",
    "\x00",
    "x\x00y",
    "%2e%2e%2f",
    "..\\..\\windows",
    "magnet:?xt=urn:btih:zz",
    "magnet:?xt=urn:btih:" + "a" * 40,
    "magnet:?dn=x",
    "http://example.com/a.torrent",
    "true",
    "false",
    "TRUE",
    "2",
    "-1",
    "all",
    "a" * 5000,
    "ÄÖÜ😀",
    "tv|sonarr",
    "f" * 40 + "|" + "0" * 40,
    "'; DROP TABLE downloads; --",
]
FIELDS = {
    "torrents/add": ["urls", "category", "savepath", "paused", "stopped", "tags"],
    "torrents/info": ["category", "filter", "hashes", "sort", "reverse", "limit", "offset"],
    "torrents/delete": ["hashes", "deleteFiles"],
    "torrents/pause": ["hashes"],
    "torrents/resume": ["hashes"],
    "torrents/setCategory": ["hashes", "category"],
    "torrents/createCategory": ["category", "savePath"],
    "torrents/editCategory": ["category", "savePath"],
    "torrents/removeCategories": ["categories"],
    "torrents/properties": ["hash"],
    "torrents/files": ["hash"],
    "torrents/topPrio": ["hashes"],
    "sync/maindata": ["rid"],
}


def _cases(n: int, seed: int = 13) -> Iterator[tuple[str, dict[str, str]]]:
    rng = random.Random(seed)
    endpoints = sorted(FIELDS)
    for _ in range(n):
        path = rng.choice(endpoints)
        fields = {f: rng.choice(NASTY) for f in FIELDS[path] if rng.random() < 0.8}
        yield path, fields


async def _login(world: World) -> dict[str, str]:
    sonarr = world.sonarr("fuzz")
    await sonarr.login()
    return sonarr.headers


async def test_fuzzed_form_fields_never_give_5xx_or_files_outside(world: World) -> None:
    headers = await _login(world)
    root = world.settings.data_dir.parent
    before = outside_files(root, world.settings.resolved_download_dir)
    statuses: set[int] = set()
    for path, fields in _cases(400):
        response = await world.client.post(f"/api/v2/{path}", data=fields, headers=headers)
        assert response.status_code < 500, (path, fields, response.text[:300])
        if response.status_code == 400:
            assert response.text and response.text != "Fails.", (path, fields)
        statuses.add(response.status_code)
    # a multipart body with a .torrent upload, and a body that is not a form at all
    upload = await world.client.post(
        "/api/v2/torrents/add", files={"torrents": ("x.torrent", b"d4:infoe")}, headers=headers
    )
    assert upload.status_code == 400 and "magnet" in upload.text
    garbage = await world.client.post(
        "/api/v2/torrents/add",
        content=b"\xff\xfe=\x00&&==",
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert garbage.status_code < 500
    assert {200, 400} <= statuses
    assert outside_files(root, world.settings.resolved_download_dir) == before


@pytest.mark.parametrize(
    ("path", "fields", "message"),
    [
        (
            "torrents/add",
            {"urls": "magnet:?xt=urn:btih:" + "c" * 40, "savepath": "../../x"},
            "savepath",
        ),
        (
            "torrents/add",
            {"urls": "magnet:?xt=urn:btih:" + "c" * 40, "savepath": "/tmp"},
            "outside the download directory",
        ),
        (
            "torrents/add",
            {"urls": "magnet:?xt=urn:btih:" + "c" * 40, "category": "../up"},
            "category",
        ),
        (
            "torrents/createCategory",
            {"category": "evil", "savePath": "/etc"},
            "outside the download directory",
        ),
        ("torrents/createCategory", {"category": "a/../../b"}, "is not allowed"),
        ("torrents/add", {"urls": "https://tracker.example/file.torrent"}, "not a magnet link"),
        ("torrents/delete", {"hashes": "../../etc"}, "not an info-hash"),
    ],
)
async def test_traversal_and_foreign_input_get_a_clear_400(
    world: World, path: str, fields: dict[str, str], message: str
) -> None:
    headers = await _login(world)
    response = await world.client.post(f"/api/v2/{path}", data=fields, headers=headers)
    assert response.status_code == 400 and message in response.text, response.text
    listing = await world.client.get("/api/v2/torrents/info", headers=headers)
    assert all(i["hash"] != "c" * 40 for i in listing.json())


async def test_api_is_closed_beyond_loopback_without_credentials(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "d", host="0.0.0.0")  # type: ignore[call-arg]
    app = create_app(settings, start_services=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://10.0.0.2") as client:
            login = await client.post("/api/v2/auth/login", data={"username": "", "password": ""})
            assert login.status_code == 403 and "QBITTORRENT_USERNAME" in login.text
            assert (await client.get("/api/v2/app/version")).status_code == 403
    open_settings = settings.model_copy(update={"host": "127.0.0.1"})
    app = create_app(open_settings, start_services=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            assert (await client.get("/api/v2/app/version")).text == "v4.6.7"
