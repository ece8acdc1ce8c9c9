"""``/api/v2`` handlers besides downloads: auth, app info and preferences, categories, sync and
transfer (see :mod:`.api` for evidence)."""

from __future__ import annotations

import shutil
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from anibridge_like.context import AppContext
from anibridge_like.downloads import store
from anibridge_like.downloads.forms import Params
from anibridge_like.downloads.paths import DownloadInputError, check_category, inside, save_dir
from anibridge_like.downloads.qbt_common import download_root, service_of, sessions_of, text
from anibridge_like.downloads.views import torrent_info

log = structlog.get_logger(__name__)
APP_VERSION = "v4.6.7"
WEBAPI_VERSION = "2.9.3"


# ---- auth and app ------------------------------------------------------------------------------
async def login(request: Request, ctx: AppContext, params: Params) -> Response:
    sid = sessions_of(ctx).login(params.text("username"), params.text("password"))
    if sid is None:
        log.info("qbittorrent.login_failed", client=request.client.host if request.client else None)
        return text("Fails.", 403)
    response = text("Ok.")
    response.set_cookie("SID", sid, httponly=True, samesite="strict", path="/")
    return response


async def logout(request: Request, ctx: AppContext, params: Params) -> Response:
    sessions_of(ctx).logout(request.cookies.get("SID"))
    return text("Ok.")


async def version(request: Request, ctx: AppContext, params: Params) -> Response:
    return text(APP_VERSION)


async def webapi_version(request: Request, ctx: AppContext, params: Params) -> Response:
    return text(WEBAPI_VERSION)


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
            "save_path": str(download_root(ctx)),
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
    return text("")


async def default_save_path(request: Request, ctx: AppContext, params: Params) -> Response:
    return text(str(download_root(ctx)))


# ---- categories, sync, transfer ---------------------------------------------------------------
def _category_path(ctx: AppContext, name: str, params: Params) -> str | None:
    raw = params.optional("savePath") or params.optional("savepath")
    if not raw:
        return None
    return str(inside(download_root(ctx), raw, f"savePath of category {name!r}"))


async def categories(request: Request, ctx: AppContext, params: Params) -> Response:
    root = download_root(ctx)
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
        return text("Category name is already in use", 409)
    return text("")


async def edit_category(request: Request, ctx: AppContext, params: Params) -> Response:
    name = check_category(params.text("category"))
    if not name or not await ctx.writer.run(
        store.category_unit(name, _category_path(ctx, name, params), create=False)
    ):
        return text("Category name does not exist", 409)
    return text("")


async def remove_categories(request: Request, ctx: AppContext, params: Params) -> Response:
    names = [check_category(n) for n in params.text("categories").splitlines() if n.strip()]
    await ctx.writer.run(store.remove_categories_unit(names))
    return text("")


async def tags(request: Request, ctx: AppContext, params: Params) -> Response:
    return JSONResponse([])


async def maindata(request: Request, ctx: AppContext, params: Params) -> Response:
    rows = await store.list_downloads(ctx.readers)
    service = service_of(ctx)
    live = service.snapshot() if service else {}
    root = download_root(ctx)
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
        "free_space_on_disk": shutil.disk_usage(download_root(ctx)).free,
    }


async def transfer_info(request: Request, ctx: AppContext, params: Params) -> Response:
    service = service_of(ctx)
    return JSONResponse(_transfer(ctx, service.snapshot() if service else {}))
