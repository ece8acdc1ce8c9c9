"""The web UI's routes, mounted by :mod:`anibridge_like.app` after the API's."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from anibridge_like.web import actions, lists, pages

STATIC_DIR = Path(__file__).parent / "static"

routes: list[BaseRoute] = [
    Route("/", pages.overview, methods=["GET"]),
    Route("/login", pages.login_form, methods=["GET"]),
    Route("/login", actions.action(actions.login, admin=False), methods=["POST"]),
    Route("/logout", actions.action(actions.logout, admin=False), methods=["POST"]),
    Route("/libraries/{slug}", pages.admin_only(pages.library), methods=["GET"]),
    Route(
        "/libraries/{slug}/recommendations/{work_id}/dismiss",
        actions.action(lists.dismiss),
        methods=["POST"],
    ),
    Route("/jobs", pages.admin_only(pages.jobs), methods=["GET"]),
    Route("/jobs/{job_id}", pages.admin_only(pages.job_page), methods=["GET"]),
    Route("/jobs/{job_id}/run", actions.action(actions.run_job), methods=["POST"]),
    Route("/downloads", pages.admin_only(pages.downloads), methods=["GET"]),
    Route(
        "/downloads/{infohash}/delete",
        actions.action(actions.delete_download),
        methods=["POST"],
    ),
    Route("/downloads/{infohash}/retry", actions.action(actions.retry_download), methods=["POST"]),
    Route("/plugins", pages.admin_only(pages.plugins_page), methods=["GET"]),
    Route("/plugins/{name}/test", actions.action(actions.test_plugin), methods=["POST"]),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]
