"""The qBittorrent Web API v2 subset Sonarr, Radarr and Prowlarr use, under ``/api/v2``.

Evidence: ``Sonarr/Sonarr`` ``src/NzbDrone.Core/Download/Clients/QBittorrent/QBittorrentProxyV2.cs``
(the calls: ``app/webapiVersion`` probe without auth — 403 counts as "supported" —,
``auth/login``, ``app/version``, ``app/preferences``, ``torrents/add`` with ``urls``/``category``/
``paused``|``stopped``, ``torrents/info?category=``, ``torrents/properties|files?hash=``,
``torrents/delete`` with ``deleteFiles``, ``setCategory``, ``createCategory``, ``categories``,
``topPrio``, ``setForceStart``, ``setShareLimits``, ``addTags``) and ``QBittorrent.cs`` (a magnet
without ``&tr=`` is refused unless ``preferences.dht`` is true; the category test creates a
missing category). Radarr's ``QBittorrentProxyV2.cs`` makes the same calls.

Errors are plain text: 400 with the reason for bad input, 403 without a session, 404 for an
unknown hash, 409 for an unknown category — as qBittorrent answers them.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from anibridge_like.context import AppContext
from anibridge_like.downloads import store
from anibridge_like.downloads.forms import Params, read_params
from anibridge_like.downloads.job import temp_files
from anibridge_like.downloads.paths import DownloadInputError, check_category, inside, save_dir
from anibridge_like.downloads.session import Sessions
from anibridge_like.downloads.views import FILTERS, torrent_files, torrent_info, torrent_properties
from anibridge_like.torznab.naming import info_hash, parse_magnet

log = structlog.get_logger(__name__)
APP_VERSION = "v4.6.7"
WEBAPI_VERSION = "2.9.3"
Handler = Callable[[Request, AppContext, Params], Awaitable[Response]]


def _sessions(ctx: AppContext) -> Sessions:
    found = ctx.services.get("qbt_sessions")
    if found is None:
        found = ctx.services["qbt_sessions"] = Sessions(ctx.settings)
    assert isinstance(found, Sessions)
    return found


def _text(body: str, status: int = 200) -> Response:
    return PlainTextResponse(body, status_code=status)


def endpoint(handler: Handler, *, auth: bool = True) -> Callable[[Request], Awaitable[Response]]:
    async def call(request: Request) -> Response:
        ctx: AppContext = request.app.state.ctx
        sessions = _sessions(ctx)
        refusal = sessions.refusal()
        if refusal is not None:
            return _text(refusal, 403)
        if auth and not sessions.allowed(request.cookies.get("SID")):
            return _text("Forbidden", 403)
        try:
            params = await read_params(request)
            return await handler(request, ctx, params)
        except DownloadInputError as exc:
            return _text(str(exc), 400)

    return call


def _root(ctx: AppContext) -> Path:
    root = ctx.settings.resolved_download_dir
    root.mkdir(parents=True, exist_ok=True)
    return root


# ---- auth and app ------------------------------------------------------------------------------
async def login(request: Request, ctx: AppContext, params: Params) -> Response:
    sid = _sessions(ctx).login(params.text("username"), params.text("password"))
    if sid is None:
        log.info("qbittorrent.login_failed", client=request.client.host if request.client else None)
        return _text("Fails.", 403)
    response = _text("Ok.")
    response.set_cookie("SID", sid, httponly=True, samesite="strict", path="/")
    return response


async def logout(request: Request, ctx: AppContext, params: Params) -> Response:
    _sessions(ctx).logout(request.cookies.get("SID"))
    return _text("Ok.")


async def version(request: Request, ctx: AppContext, params: Params) -> Response:
    return _text(APP_VERSION)


async def webapi_version(request: Request, ctx: AppContext, params: Params) -> Response:
    return _text(WEBAPI_VERSION)


async def build_info(request: Request, ctx: AppContext, params: Params) -> Response:
    return JSONResponse(
        {
            "qt": "6.4.2",
            "libtorrent": "2.0.9.0",
            "boost": "1.83.0",
            "openssl": "3.0.0",
            "zlib": "1.3",
            "bitness": 64,
        }
    )


async def preferences(request: Request, ctx: AppContext, params: Params) -> Response:
    return JSONResponse(
        {
            "save_path": str(_root(ctx)),
            "temp_path_enabled": False,
            "max_ratio_enabled": True,
            "max_ratio": 0,
            "max_ratio_act": 0,
            "max_seeding_time_enabled": False,
            "max_seeding_time": -1,
            "queueing_enabled": True,
            "max_active_downloads": ctx.settings.download_concurrency,
            "max_active_torrents": ctx.settings.download_concurrency,
            "max_active_uploads": 0,
            "dht": True,
            "pex": False,
            "lsd": False,
            "dl_limit": ctx.settings.download_rate_limit or 0,
            "up_limit": 0,
            "create_subfolder_enabled": False,
            "torrent_content_layout": "NoSubfolder",
            "auto_tmm_enabled": False,
        }
    )


async def accepted(request: Request, ctx: AppContext, params: Params) -> Response:
    return _text("")


async def default_save_path(request: Request, ctx: AppContext, params: Params) -> Response:
    return _text(str(_root(ctx)))


# ---- torrents ----------------------------------------------------------------------------------
def _service(ctx: AppContext) -> Any:
    return ctx.services.get("downloads")


async def _rows(
    ctx: AppContext, params: Params, *, name: str = "hashes"
) -> list[store.DownloadRow]:
    hashes = params.hashes(name)
    return await store.list_downloads(ctx.readers, hashes=hashes)


async def add(request: Request, ctx: AppContext, params: Params) -> Response:
    if "torrents" in params.files:
        raise DownloadInputError(
            "torrent files are not supported: this client takes the indexer's magnet links (urls)"
        )
    urls = [u.strip() for u in params.text("urls").splitlines() if u.strip()]
    if not urls:
        raise DownloadInputError("urls is empty: send the magnet link of a release")
    category = check_category(params.text("category"))
    categories = await store.list_categories(ctx.readers)
    if category and category not in categories:
        await ctx.writer.run(store.category_unit(category, None, create=True))
    root = _root(ctx)
    target_dir = save_dir(
        root,
        category,
        savepath=params.optional("savepath") or params.optional("savePath"),
        category_path=categories.get(category),
        folders=ctx.settings.download_category_folders,
    )
    paused = params.flag("paused") or params.flag("stopped")
    tags = params.text("tags")[:500]
    added = 0
    for url in urls[:50]:
        row = await _row_for(ctx, url, category, tags, target_dir, paused)
        if await ctx.writer.run(store.insert_unit(row), label="downloads.add"):
            added += 1
            log.info(
                "download.added",
                download=row.hash,
                name=row.name,
                state=row.state,
                category=category,
                error=row.error,
            )
            if row.state == "queued" and _service(ctx) is not None:
                _service(ctx).enqueue(row.hash)
    return _text("Ok.")


async def _row_for(
    ctx: AppContext, url: str, category: str, tags: str, target: Path, paused: bool
) -> store.DownloadRow:
    if not url.startswith("magnet:?"):
        raise DownloadInputError(f"urls: {url[:120]!r} is not a magnet link")
    raw = dict(parse_qsl(url[len("magnet:?") :], keep_blank_values=True))
    btih = raw.get("xt", "").removeprefix("urn:btih:").lower()
    if len(btih) != 40 or any(c not in "0123456789abcdef" for c in btih):
        raise DownloadInputError("urls: the magnet has no hex btih info-hash (xt=urn:btih:…)")
    name = " ".join((raw.get("dn") or btih).split())[:300] or btih
    now = store.now_iso()
    error: str | None = None
    site = slug = language = None
    season = number = None
    try:
        target_ep = parse_magnet(url)
    except ValueError as exc:
        error = f"not a release of this indexer: {exc}"
    else:
        site, slug, language = target_ep.site, target_ep.slug, target_ep.language.value
        season, number = target_ep.season, target_ep.number
        if info_hash(site, slug, season, number, language) != btih:
            error = "the magnet's episode parameters do not match its info-hash (edited magnet?)"
        elif not await store.episode_indexed(ctx.readers, site, slug, season, number, language):
            error = (
                f"{site}/{slug} S{season}E{number} ({language}) is not in the index "
                "(gone from the site, or not indexed yet)"
            )
    mode = "strm" if category and category in ctx.settings.download_strm_categories else "media"
    state = "failed" if error else ("paused" if paused else "queued")
    return store.DownloadRow(
        hash=btih,
        name=name,
        magnet=url[:4000],
        site=site,
        slug=slug,
        season=season,
        number=number,
        language=language,
        category=category,
        tags=tags,
        save_path=str(target),
        mode=mode,
        state=state,
        size=0,
        downloaded=0,
        file_name=None,
        host=None,
        error=error,
        attempts=0,
        added_at=now,
        completed_at=None,
        updated_at=now,
    )


async def info(request: Request, ctx: AppContext, params: Params) -> Response:
    category = params.optional("category")
    if category:
        category = check_category(category)
    wanted = FILTERS.get(params.text("filter", "all") or "all")
    if wanted is None:
        raise DownloadInputError(f"filter {params.text('filter')[:40]!r} is unknown")
    hashes = params.hashes() if params.optional("hashes") else None
    rows = await store.list_downloads(ctx.readers, category=category, hashes=hashes)
    service = _service(ctx)
    items = [
        torrent_info(r, service.live(r.hash) if service else None)
        for r in rows
        if r.state in wanted
    ]
    sort = params.optional("sort")
    if sort and items and sort in items[0]:
        items.sort(key=lambda i: (i[sort] is None, i[sort]), reverse=params.flag("reverse"))
    offset = max(params.integer("offset", 0), 0)
    limit = params.integer("limit", 0)
    items = items[offset:]
    if limit > 0:
        items = items[:limit]
    return JSONResponse(items)


async def _one(ctx: AppContext, params: Params) -> store.DownloadRow | None:
    hashes = params.hashes("hash", allow_all=False) or []
    return await store.get_download(ctx.readers, hashes[0])


async def properties(request: Request, ctx: AppContext, params: Params) -> Response:
    row = await _one(ctx, params)
    if row is None:
        return _text("Not Found", 404)
    service = _service(ctx)
    return JSONResponse(torrent_properties(row, service.live(row.hash) if service else None))


async def files(request: Request, ctx: AppContext, params: Params) -> Response:
    row = await _one(ctx, params)
    if row is None:
        return _text("Not Found", 404)
    service = _service(ctx)
    return JSONResponse(torrent_files(row, service.live(row.hash) if service else None))


async def delete(request: Request, ctx: AppContext, params: Params) -> Response:
    rows = await _rows(ctx, params)
    delete_files = params.flag("deleteFiles")
    service = _service(ctx)
    for row in rows:
        if service is not None:
            await service.stop(row.hash)
    removed = await ctx.writer.run(
        store.delete_unit([r.hash for r in rows]), label="downloads.delete"
    )
    if delete_files:
        root = _root(ctx)
        for row in removed:
            await _remove_files(root, row)
    log.info("download.deleted", downloads=[r.hash for r in removed], files=delete_files)
    return _text("")


async def _remove_files(root: Path, row: store.DownloadRow) -> None:
    try:
        save = inside(root, row.save_path, "save path")
    except DownloadInputError:
        return
    if row.file_name:
        target = (save / row.file_name).resolve()
        if target.is_relative_to(root) and target.is_file():
            target.unlink()
    for leftover in temp_files(save, row.hash):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


async def pause(request: Request, ctx: AppContext, params: Params) -> Response:
    rows = await _rows(ctx, params)
    await ctx.writer.run(
        store.set_state_unit([r.hash for r in rows], "paused", only_from=("queued", "downloading"))
    )
    service = _service(ctx)
    for row in rows:
        if service is not None:
            await service.stop(row.hash)
    return _text("")


async def resume(request: Request, ctx: AppContext, params: Params) -> Response:
    rows = await _rows(ctx, params)
    changed = await ctx.writer.run(
        store.set_state_unit([r.hash for r in rows], "queued", only_from=("paused",))
    )
    service = _service(ctx)
    for infohash in changed:
        if service is not None:
            service.enqueue(infohash)
    return _text("")


async def set_category(request: Request, ctx: AppContext, params: Params) -> Response:
    rows = await _rows(ctx, params)
    category = check_category(params.text("category"))
    if category and category not in await store.list_categories(ctx.readers):
        return _text("Incorrect category name", 409)
    for row in rows:
        await ctx.writer.run(store.update_unit(row.hash, category=category))
    return _text("")


async def hashes_accepted(request: Request, ctx: AppContext, params: Params) -> Response:
    await _rows(ctx, params)  # validates the hashes
    return _text("")


# ---- categories, sync, transfer ---------------------------------------------------------------
def _category_path(ctx: AppContext, name: str, params: Params) -> str | None:
    raw = params.optional("savePath") or params.optional("savepath")
    if not raw:
        return None
    return str(inside(_root(ctx), raw, f"savePath of category {name!r}"))


async def categories(request: Request, ctx: AppContext, params: Params) -> Response:
    root = _root(ctx)
    out = {}
    for name, path in (await store.list_categories(ctx.readers)).items():
        shown = path or str(
            save_dir(
                root,
                name,
                savepath=None,
                category_path=None,
                folders=ctx.settings.download_category_folders,
            )
        )
        out[name] = {"name": name, "savePath": shown}
    return JSONResponse(out)


async def create_category(request: Request, ctx: AppContext, params: Params) -> Response:
    name = check_category(params.text("category"))
    if not name:
        raise DownloadInputError("category is required")
    if not await ctx.writer.run(
        store.category_unit(name, _category_path(ctx, name, params), create=True)
    ):
        return _text("Category name is already in use", 409)
    return _text("")


async def edit_category(request: Request, ctx: AppContext, params: Params) -> Response:
    name = check_category(params.text("category"))
    if not name or not await ctx.writer.run(
        store.category_unit(name, _category_path(ctx, name, params), create=False)
    ):
        return _text("Category name does not exist", 409)
    return _text("")


async def remove_categories(request: Request, ctx: AppContext, params: Params) -> Response:
    names = [check_category(n) for n in params.text("categories").splitlines() if n.strip()]
    await ctx.writer.run(store.remove_categories_unit(names))
    return _text("")


async def tags(request: Request, ctx: AppContext, params: Params) -> Response:
    return JSONResponse([])


async def maindata(request: Request, ctx: AppContext, params: Params) -> Response:
    rows = await store.list_downloads(ctx.readers)
    service = _service(ctx)
    live = service.snapshot() if service else {}
    root = _root(ctx)
    cats = {
        name: {"name": name, "savePath": path or str(root / name)}
        for name, path in (await store.list_categories(ctx.readers)).items()
    }
    return JSONResponse(
        {
            "rid": params.integer("rid", 0) + 1,
            "full_update": True,
            "torrents": {r.hash: torrent_info(r, live.get(r.hash)) for r in rows},
            "categories": cats,
            "tags": [],
            "server_state": _transfer(ctx, live),
        }
    )


def _transfer(ctx: AppContext, live: dict[str, Any]) -> dict[str, Any]:
    return {
        "dl_info_speed": int(sum(lv.speed for lv in live.values())),
        "dl_info_data": int(sum(lv.downloaded for lv in live.values())),
        "up_info_speed": 0,
        "up_info_data": 0,
        "dl_rate_limit": ctx.settings.download_rate_limit or 0,
        "up_rate_limit": 0,
        "dht_nodes": 0,
        "connection_status": "connected",
        "free_space_on_disk": shutil.disk_usage(_root(ctx)).free,
    }


async def transfer_info(request: Request, ctx: AppContext, params: Params) -> Response:
    service = _service(ctx)
    return JSONResponse(_transfer(ctx, service.snapshot() if service else {}))


_BOTH = ["GET", "POST"]
_TABLE: list[tuple[str, Handler, list[str], bool]] = [
    ("auth/login", login, ["POST"], False),
    ("auth/logout", logout, ["POST"], True),
    ("app/version", version, _BOTH, True),
    ("app/webapiVersion", webapi_version, _BOTH, True),
    ("app/buildInfo", build_info, _BOTH, True),
    ("app/preferences", preferences, _BOTH, True),
    ("app/setPreferences", accepted, ["POST"], True),
    ("app/defaultSavePath", default_save_path, _BOTH, True),
    ("torrents/add", add, ["POST"], True),
    ("torrents/info", info, _BOTH, True),
    ("torrents/properties", properties, _BOTH, True),
    ("torrents/files", files, _BOTH, True),
    ("torrents/delete", delete, ["POST"], True),
    ("torrents/pause", pause, ["POST"], True),
    ("torrents/stop", pause, ["POST"], True),
    ("torrents/resume", resume, ["POST"], True),
    ("torrents/start", resume, ["POST"], True),
    ("torrents/setCategory", set_category, ["POST"], True),
    ("torrents/topPrio", hashes_accepted, ["POST"], True),
    ("torrents/bottomPrio", hashes_accepted, ["POST"], True),
    ("torrents/setForceStart", hashes_accepted, ["POST"], True),
    ("torrents/setShareLimits", hashes_accepted, ["POST"], True),
    ("torrents/addTags", hashes_accepted, ["POST"], True),
    ("torrents/removeTags", hashes_accepted, ["POST"], True),
    ("torrents/tags", tags, _BOTH, True),
    ("torrents/categories", categories, _BOTH, True),
    ("torrents/createCategory", create_category, ["POST"], True),
    ("torrents/editCategory", edit_category, ["POST"], True),
    ("torrents/removeCategories", remove_categories, ["POST"], True),
    ("sync/maindata", maindata, _BOTH, True),
    ("transfer/info", transfer_info, _BOTH, True),
]

routes: list[BaseRoute] = [
    Route(f"/api/v2/{path}", endpoint(handler, auth=auth), methods=methods)
    for path, handler, methods, auth in _TABLE
]
