"""What each page shows, gathered from the functions the JSON endpoints call.

Every reader here is one the API already uses: :func:`catalog_snapshot` (``/health/catalog``),
:func:`jobs_report` / :func:`list_runs` / :func:`load_jobs` (admin jobs API), the download store
and :func:`torrent_info` (``/api/v2/torrents/info``), the plugin manager's built instances and
Torznab's :func:`search`. Nothing here calls a plugin, so no page waits on a remote site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from anibridge_like.catalog.report import catalog_snapshot, jobs_report
from anibridge_like.context import AppContext
from anibridge_like.downloads import store
from anibridge_like.downloads.views import ETA_UNKNOWN
from anibridge_like.downloads.views import _numbers as download_numbers
from anibridge_like.jobs.model import JobRow
from anibridge_like.jobs.store import list_runs, load_jobs
from anibridge_like.libraries.model import Library
from anibridge_like.mediaservers.gaps import UnknownLibraryError, gap_report
from anibridge_like.mediaservers.status import media_server_states
from anibridge_like.plugins.manager import PluginInstance
from anibridge_like.storage.database import run_sync
from anibridge_like.torznab.errors import CatalogNotReady, TorznabError
from anibridge_like.torznab.params import parse_params
from anibridge_like.torznab.search import search
from anibridge_like.web.templating import duration, when
from anibridge_like.web.templating import size as fmt_size

ACTIVE_DOWNLOADS = frozenset({"queued", "downloading"})
SEARCH_LIMIT = 50


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def key_hint(ctx: AppContext, library: Library) -> str:
    if library.api_key is not None:
        return "this library's own key (seed: libraries → api_key)"
    if ctx.settings.api_key is not None and ctx.settings.api_key.get_secret_value():
        return "the global key (ANIBRIDGE_API_KEY)"
    return "none needed (no key configured)"


def library_rows(
    request: Request, ctx: AppContext, snapshot: dict[str, Any]
) -> list[dict[str, Any]]:
    by_slug = {lib["library"]: lib for lib in snapshot["libraries"]}
    titles = {inst["instance"]: inst["titles"] for inst in snapshot["instances"]}
    base = base_url(request)
    rows = []
    for library in ctx.libraries:
        report = by_slug.get(library.slug, {"ready": False, "instances": []})
        rows.append(
            {
                "slug": library.slug,
                "name": library.name,
                "kind": library.kind,
                "languages": [str(lang) for lang in library.languages],
                "categories": list(library.categories),
                "ready": report["ready"],
                "instances": report["instances"],
                "titles": sum(titles.get(name, 0) for name in report["instances"]),
                "torznab_url": f"{base}/torznab/{library.slug}",
                "api_path": "/api",
                "key_hint": key_hint(ctx, library),
                "owned_works": None,
            }
        )
    return rows


@dataclass(frozen=True, slots=True)
class DownloadView:
    """One queue row as the page shows it (display strings made once, in Python)."""

    hash: str
    name: str
    state: str
    category: str
    mode: str
    percent: float
    sizes: str
    speed: str
    host: str | None
    error: str | None
    added_at: str


def download_view(row: store.DownloadRow, live: Any) -> DownloadView:
    """The numbers ``/api/v2/torrents/info`` reports (the same computation), for display."""
    size, done, progress, speed, eta = download_numbers(row, live)
    return DownloadView(
        hash=row.hash,
        name=row.name,
        state=row.state,
        category=row.category,
        mode=row.mode,
        percent=round(100.0 * progress, 1),
        sizes=f"{fmt_size(done)} / {fmt_size(size)}",
        speed=(
            f"{fmt_size(speed)}/s · {duration(None if eta == ETA_UNKNOWN else eta)}"
            if speed
            else "–"
        ),
        host=row.host,
        error=row.error,
        added_at=when(row.added_at),
    )


@dataclass(frozen=True, slots=True)
class DownloadPage:
    items: list[DownloadView]
    number: int
    pages: int
    total: int
    active: int


async def downloads(ctx: AppContext, number: int = 1, size: int = 100) -> DownloadPage:
    """Page ``number`` of the queue, newest first (the store's rows; the numbers of
    ``/api/v2/torrents/info``)."""
    rows = await store.list_downloads(ctx.readers)
    rows.reverse()
    pages = max(1, -(-len(rows) // size))
    number = min(number, pages)
    service = ctx.services.get("downloads")
    chosen = rows[(number - 1) * size : number * size]
    return DownloadPage(
        items=[download_view(r, service.live(r.hash) if service else None) for r in chosen],
        number=number,
        pages=pages,
        total=len(rows),
        active=sum(1 for r in rows if r.state in ACTIVE_DOWNLOADS),
    )


async def overview(request: Request, ctx: AppContext) -> dict[str, Any]:
    snapshot = await catalog_snapshot(ctx)
    rows = await store.list_downloads(ctx.readers)
    active = sum(1 for r in rows if r.state in ACTIVE_DOWNLOADS)
    busy = bool(snapshot["running"]) or snapshot["bootstrapping"] or bool(active)
    servers = await media_server_states(ctx.readers)
    libraries = library_rows(request, ctx, snapshot)
    if servers:
        for row in libraries:
            report = await gaps(ctx, row["slug"], 0, 0)
            row["owned_works"] = report["total"] if report else None
    return {
        "snapshot": snapshot,
        "media_servers": servers,
        "libraries": libraries,
        "downloads_active": active,
        "downloads_total": len(rows),
        "refresh": busy,
    }


def find_library(ctx: AppContext, slug: str) -> Library | None:
    return next((lib for lib in ctx.libraries if lib.slug == slug), None)


async def library_search(ctx: AppContext, library: Library, q: str) -> dict[str, Any]:
    """Torznab's own search for ``q`` in one library: the releases Sonarr would see."""
    try:
        params = parse_params({"t": "search", "q": q, "limit": str(SEARCH_LIMIT)})
        async with ctx.readers.connection() as conn:
            releases = await search(conn, [library], params)
    except CatalogNotReady:
        return {"releases": [], "error": "The catalog of this library is not ready yet."}
    except TorznabError as error:
        return {"releases": [], "error": str(error) or type(error).__name__}
    return {"releases": releases, "error": None}


async def gaps(ctx: AppContext, slug: str, offset: int, limit: int) -> dict[str, Any] | None:
    """``GET /api/v1/libraries/{slug}/gaps``'s report (the same function), or None."""
    async with ctx.readers.connection() as conn:
        try:
            report: dict[str, Any] = await run_sync(conn, gap_report, slug, None, offset, limit)
        except UnknownLibraryError:
            return None
    return report


def job_views(ctx: AppContext, report: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(report, key=lambda j: (j["library"] or "", j["instance"] or "", j["name"]))


async def jobs(ctx: AppContext) -> list[dict[str, Any]]:
    return job_views(ctx, await jobs_report(ctx))


async def job_detail(ctx: AppContext, job_id: int) -> tuple[dict[str, Any], list[Any]] | None:
    """The job as ``jobs_report`` shows it and its last runs (newest first)."""
    found: list[JobRow] = await load_jobs(ctx.readers, job_id=job_id)
    if not found:
        return None
    report = next((j for j in await jobs_report(ctx) if j["id"] == job_id), None)
    if report is None:
        job = found[0]
        report = {**job.public(), "next_run_at": None, "running": False, "error": None}
        report.setdefault("timezone", job.timezone)
    runs = await list_runs(ctx.readers, job_id, 20)
    return report, runs


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_flat(v)}" for k, v in value.items()) or "–"
    if isinstance(value, list):
        return ", ".join(_flat(v) for v in value) or "–"
    return str(value)


def _lines(value: Any) -> list[str]:
    """A summary field as display lines: a mapping one line per key, a list one line."""
    if isinstance(value, dict):
        return [f"{k}: {_flat(v)}" for k, v in value.items()]
    return [_flat(value)]


def summary_rows(summary: dict[str, Any] | None) -> dict[str, Any]:
    """A run summary split for display: ``changes`` (rows with before → after) and the other
    non-empty fields as ``(name, lines)``."""
    if not summary:
        return {"changes": [], "fields": []}
    changes: list[dict[str, Any]] = []
    fields: list[tuple[str, list[str]]] = []
    for key, value in summary.items():
        if key in ("status", "message", "dry_run") or value is None or value in ({}, [], ""):
            continue
        if isinstance(value, list) and all(
            isinstance(v, dict) and "before" in v and "after" in v for v in value
        ):
            changes.extend(value)
        else:
            fields.append((key, _lines(value)))
    return {"changes": changes, "fields": fields}


def plugin_views(
    ctx: AppContext, snapshot: dict[str, Any], servers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every configured instance: kind, scope, and health from what is already known (its build
    result, for providers the catalog's readiness, for media servers their bindings and last
    connection state) — no plugin is called."""
    media = {ms["name"]: ms for ms in servers}
    manager = ctx.plugins
    if manager is None:
        return []
    providers = {inst["instance"]: inst for inst in snapshot["instances"]}
    out = []
    for name in manager.names():
        instance: PluginInstance[Any] = manager.get(name)
        row = instance.row
        health, detail = "ok", None
        if not row.enabled:
            health = "disabled"
        elif instance.error is not None:
            health, detail = "error", f"{instance.error.code}: {instance.error}"
        elif name in providers:
            report = providers[name]
            errors = [s["last_error"] for s in report["stages"].values() if s["last_error"]]
            if errors:
                health, detail = "degraded", errors[0]
            elif not report["ready"]:
                health = "not ready"
        elif name in media:
            connection = media[name]["connection"]
            health = "ok" if connection == "connected" else connection
            errors = [b.get("last_error") for b in media[name]["libraries"] if b.get("last_error")]
            detail = errors[0] if errors else None
        scope = "all libraries" if row.libraries is None else ", ".join(row.libraries)
        if name in media:
            bound = [f"{b['library']} → {b['server_library']}" for b in media[name]["libraries"]]
            scope = "binds " + (", ".join(bound) or "no library")
        out.append(
            {
                "name": name,
                "implementation": row.implementation,
                "kind": row.kind,
                "site": row.site,
                "enabled": row.enabled,
                "scope": scope,
                "health": health,
                "detail": detail,
            }
        )
    return sorted(out, key=lambda p: (p["kind"], p["name"]))
