"""The daemon as a user runs it (``serve --demo``: fake sites and metadata services on loopback,
with their injected faults), in a subprocess:

* a full run at **debug** level, with an admin key, a Torznab key, the demo's TMDB key (through
  ``api_key_env``) and its Sonarr key (written inline in the seed's plugin config) configured:
  none of them appears in the log or in the database files;
* SIGTERM while the catalog is busy indexing: the process drains and exits 0, and no stage is
  left ``running``.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from anibridge_like.demo.metadata import DEMO_TMDB_KEY
from anibridge_like.demo.wanted import DEMO_SONARR_KEY

ADMIN = "adm-secret-9f8e7d6c5b4a"
TORZNAB = "tz-secret-1a2b3c4d5e6f"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def demo(tmp_path: Path, level: str) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    port = _free_port()
    log = tmp_path / "daemon.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ANIBRIDGE_")},
        "ANIBRIDGE_DATA_DIR": str(tmp_path / "data"),
        "ANIBRIDGE_PORT": str(port),
        "ANIBRIDGE_HOST": "127.0.0.1",
        "ANIBRIDGE_LOG_FORMAT": "json",
        "ANIBRIDGE_LOG_LEVEL": level,
        "ANIBRIDGE_ADMIN_API_KEY": ADMIN,
        "ANIBRIDGE_API_KEY": TORZNAB,
    }
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "anibridge_like", "serve", "--demo"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, log.read_text()[-2000:]
                assert time.monotonic() < deadline, "the demo did not come up"
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code in (200, 503):
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            yield proc, base, log
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _catalog(base: str) -> dict[str, object]:
    body: dict[str, object] = httpx.get(
        f"{base}/health/catalog", headers={"X-Api-Key": ADMIN}, timeout=5
    ).json()
    return body


def _db_files(tmp_path: Path) -> list[Path]:
    return sorted(p for p in (tmp_path / "data").rglob("*") if ".db" in p.name)


@pytest.mark.slow
def test_a_debug_level_demo_run_keeps_every_secret_out_of_logs_and_database(
    tmp_path: Path,
) -> None:
    with demo(tmp_path, "debug") as (proc, base, log):
        deadline = time.monotonic() + 240  # ~25 s idle; generous for a loaded 2-core machine
        while not _catalog(base).get("complete"):
            assert time.monotonic() < deadline, "the demo catalog did not complete"
            time.sleep(0.5)
        for params in (
            {"t": "search", "apikey": TORZNAB},
            {"t": "tvsearch", "q": "a", "apikey": TORZNAB},
            {"t": "search", "apikey": "wrong-" + TORZNAB},
        ):
            assert httpx.get(f"{base}/torznab/anime/api", params=params, timeout=5).status_code
        httpx.get(f"{base}/api/v1/libraries", headers={"X-Api-Key": ADMIN}, timeout=5)
        httpx.get(f"{base}/api/v1/libraries", params={"apikey": ADMIN}, timeout=5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    text = log.read_bytes()
    assert len(text.splitlines()) > 50  # debug level really logged
    assert b'"level": "debug"' in text
    for secret in (ADMIN, TORZNAB, DEMO_TMDB_KEY, DEMO_SONARR_KEY):
        assert secret.encode() not in text, f"{secret} in the log"
        for path in _db_files(tmp_path):
            assert secret.encode() not in path.read_bytes(), f"{secret} in {path.name}"


@pytest.mark.slow
def test_sigterm_while_indexing_drains_and_exits_zero(tmp_path: Path) -> None:
    with demo(tmp_path, "info") as (proc, base, log):
        deadline = time.monotonic() + 60
        while not _catalog(base).get("running"):
            assert time.monotonic() < deadline, "indexing never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()[-2000:]
    db = tmp_path / "data" / "demo" / "anibridge.db"
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        running = conn.execute("SELECT instance, stage FROM stage_state WHERE status = 'running'")
        assert running.fetchall() == []
    finally:
        conn.close()
