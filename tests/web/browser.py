"""What the browser tests run on: a demo-like daemon served by uvicorn on loopback in a thread
(its lifespan on, like ``anibridge-like serve --demo``; fake sites and hosters on loopback), the
system Chromium (Debian's ``chromium``) driven by Playwright, and axe-core for accessibility.

Install both with ``make browser-deps`` (``.ci/run`` does): no browser is ever downloaded."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.types import ASGIApp

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / ".cache/axe/node_modules/axe-core/axe.min.js"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_browser() -> None:
    missing = [str(p) for p in (Path(CHROMIUM), AXE) if not p.exists()]
    if missing or shutil.which("chromium") is None:
        pytest.fail(f"browser test dependencies missing ({missing}): run `make browser-deps`")


@contextmanager
def serve_daemon(app: ASGIApp, *, startup_timeout: float = 60.0) -> Iterator[str]:
    """The daemon app on 127.0.0.1 (a free port) with its lifespan, in a background thread."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="web-daemon", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the daemon did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2 A/AA violations on the page (rule id, impact, first targets)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text("utf-8"))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            });
            const where = v => v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ');
            return result.violations.map(v => `${v.id} (${v.impact}): ${where(v)}`);
        }"""
    )
    return list(found)


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def chromium_env() -> dict[str, str]:
    """Chromium must not reach anything beyond loopback (no proxy either)."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    return env
