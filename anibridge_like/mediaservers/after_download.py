"""After a download completed: ask the media servers bound to its libraries to rescan.

A download knows its episode by its magnet (``downloads.site`` / ``downloads.slug``). Its
libraries are the ones whose Torznab endpoint serves that title: an enabled provider instance of
the site has the library in its scope (:func:`anibridge_like.libraries.scope.serving_sql`, the one
scope rule) and the library holds the title's kind (a movie lands in ``movies`` libraries, a
series in ``series``/``anime`` ones). The qBittorrent category is the client's own name (Sonarr's
``tv-sonarr``) and says nothing about libraries.

For each library :func:`~anibridge_like.mediaservers.engine.trigger_scans` asks the servers that
opted in (``trigger_scan: true``) and declare the capability; it logs a ``PluginError`` through
the plugin manager's boundary and goes on. The whole request per library is bounded by
``media_trigger_timeout_seconds``; anything else that goes wrong is logged and skipped. The
download service runs this as its own task, so a slow server never holds a download worker.
"""

from __future__ import annotations

import asyncio

import structlog

from anibridge_like.context import AppContext
from anibridge_like.libraries.model import title_kind_sql
from anibridge_like.libraries.scope import serving_sql
from anibridge_like.mediaservers.engine import trigger_scans
from anibridge_like.storage.database import ReaderPool

log = structlog.get_logger(__name__)

_LIBRARIES_OF_TITLE = f"""
SELECT DISTINCT l.slug FROM libraries l
JOIN plugin_instances pi ON {serving_sql("pi", "l")}
WHERE pi.site = ? AND EXISTS (SELECT 1 FROM titles t WHERE t.site = pi.site AND t.slug = ?
                              AND t.kind = {title_kind_sql("l")})
ORDER BY l.slug
"""


async def libraries_of_title(readers: ReaderPool, site: str, slug: str) -> list[str]:
    """The slugs of the libraries that serve the title ``slug`` of ``site``."""
    rows = await readers.fetchall(_LIBRARIES_OF_TITLE, (site, slug))
    return [str(r[0]) for r in rows]


async def scan_after_download(
    ctx: AppContext, site: str | None, slug: str | None, *, download: str
) -> dict[str, list[str]]:
    """Ask for rescans of the title's libraries; library → the instances asked (logged)."""
    if site is None or slug is None or ctx.plugins is None:
        return {}
    timeout = ctx.settings.media_trigger_timeout_seconds
    asked: dict[str, list[str]] = {}
    try:
        libraries = await libraries_of_title(ctx.readers, site, slug)
    except Exception as exc:  # a failed lookup costs a rescan, never the download
        log.warning("media.trigger.lookup_failed", download=download, error=repr(exc))
        return {}
    for library in libraries:
        try:
            async with asyncio.timeout(timeout):
                asked[library] = await trigger_scans(ctx, library)
        except TimeoutError:
            log.warning(
                "media.trigger.timeout", download=download, library=library, seconds=timeout
            )
        except Exception as exc:  # the download is done; a rescan is a courtesy
            log.warning(
                "media.trigger.crashed", download=download, library=library, error=repr(exc)
            )
        else:
            if asked[library]:
                log.info(
                    "media.trigger.asked",
                    download=download,
                    library=library,
                    instances=asked[library],
                )
    return asked
