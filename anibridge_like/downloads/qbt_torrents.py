"""``/api/v2/torrents/*`` handlers for downloads: add, info, properties, files, delete,
pause/resume (stop/start), setCategory and the accepted no-ops (see :mod:`.api` for evidence)."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import parse_qsl

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from anibridge_like.context import AppContext
from anibridge_like.downloads import store
from anibridge_like.downloads.forms import Params
from anibridge_like.downloads.job import temp_files
from anibridge_like.downloads.paths import DownloadInputError, check_category, inside, save_dir
from anibridge_like.downloads.qbt_common import download_root, service_of, text
from anibridge_like.downloads.views import FILTERS, torrent_files, torrent_info, torrent_properties
from anibridge_like.torznab.naming import info_hash, parse_magnet

log = structlog.get_logger(__name__)
MAX_URLS = 50


# ---- torrents ----------------------------------------------------------------------------------
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
    if len(urls) > MAX_URLS:
        raise DownloadInputError(f"urls has {len(urls)} links; at most {MAX_URLS} per request")
    category = check_category(params.text("category"))
    categories = await store.list_categories(ctx.readers)
    root = download_root(ctx)
    target_dir = save_dir(
        root,
        category,
        savepath=params.optional("savepath") or params.optional("savePath"),
        category_path=categories.get(category),
        folders=ctx.settings.download_category_folders,
    )
    paused = params.flag("paused") or params.flag("stopped")
    tags = params.text("tags")[:500]
    # every link is checked before anything is written: a bad one refuses the whole request
    rows = [await _row_for(ctx, url, category, tags, target_dir, paused) for url in urls]
    if category and category not in categories:  # qBittorrent creates an unknown category
        await ctx.writer.run(store.category_unit(category, None, create=True))
    for row in rows:
        if await ctx.writer.run(store.insert_unit(row), label="downloads.add"):
            log.info(
                "download.added",
                download=row.hash,
                name=row.name,
                state=row.state,
                category=category,
                error=row.error,
            )
            if row.state == "queued" and service_of(ctx) is not None:
                service_of(ctx).enqueue(row.hash)
    return text("Ok.")


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
    service = service_of(ctx)
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
        return text("Not Found", 404)
    service = service_of(ctx)
    return JSONResponse(torrent_properties(row, service.live(row.hash) if service else None))


async def files(request: Request, ctx: AppContext, params: Params) -> Response:
    row = await _one(ctx, params)
    if row is None:
        return text("Not Found", 404)
    service = service_of(ctx)
    return JSONResponse(torrent_files(row, service.live(row.hash) if service else None))


async def delete(request: Request, ctx: AppContext, params: Params) -> Response:
    rows = await _rows(ctx, params)
    delete_files = params.flag("deleteFiles")
    service = service_of(ctx)
    for row in rows:
        if service is not None:
            await service.stop(row.hash)
    removed = await ctx.writer.run(
        store.delete_unit([r.hash for r in rows]), label="downloads.delete"
    )
    if delete_files:
        root = download_root(ctx)
        for row in removed:
            await _remove_files(root, row)
    log.info("download.deleted", downloads=[r.hash for r in removed], files=delete_files)
    return text("")


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
    service = service_of(ctx)
    for row in rows:
        if service is not None:
            await service.stop(row.hash)
    return text("")


async def resume(request: Request, ctx: AppContext, params: Params) -> Response:
    rows = await _rows(ctx, params)
    changed = await ctx.writer.run(
        store.set_state_unit([r.hash for r in rows], "queued", only_from=("paused",))
    )
    service = service_of(ctx)
    for infohash in changed:
        if service is not None:
            service.enqueue(infohash)
    return text("")


async def set_category(request: Request, ctx: AppContext, params: Params) -> Response:
    rows = await _rows(ctx, params)
    category = check_category(params.text("category"))
    if category and category not in await store.list_categories(ctx.readers):
        return text("Incorrect category name", 409)
    for row in rows:
        await ctx.writer.run(store.update_unit(row.hash, category=category))
    return text("")


async def hashes_accepted(request: Request, ctx: AppContext, params: Params) -> Response:
    await _rows(ctx, params)  # validates the hashes
    return text("")
