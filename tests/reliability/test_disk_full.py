"""Faults of the machine on real small filesystems (tmpfs mounts; skipped with the reason where
the machine does not allow mounting):

* the demo daemon on a small tmpfs that the test fills to the last byte while it indexes: the
  daemon stays up and keeps answering, ``/health`` says ``degraded: storage`` and the failed
  stage is labelled ``storage``; once the ballast is removed, a write succeeds and ``/health``
  is ok again (the writer still running);
* a read-only data directory at start: one line naming the path, exit status 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.reliability.test_demo_run import ADMIN, demo


@contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def _health(base: str) -> tuple[int, dict[str, object]]:
    response = httpx.get(f"{base}/health", timeout=5)
    return response.status_code, response.json()


def _fill(directory: Path) -> Path:
    """Fill the filesystem of ``directory`` to the last byte with a ballast file."""
    ballast = directory / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                continue
    finally:
        os.close(fd)
    return ballast


@pytest.mark.slow
def test_a_full_disk_is_reported_and_survived(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with tmpfs(data, "size=32m,mode=0755"), demo(tmp_path, "info") as (proc, base, _):
        deadline = time.monotonic() + 60
        while not httpx.get(f"{base}/health/catalog", timeout=5).json().get("running"):
            assert time.monotonic() < deadline, "indexing never started"
            time.sleep(0.05)
        ballast = _fill(data)
        deadline = time.monotonic() + 90
        status, body = _health(base)
        while "storage" not in body.get("degraded", []):  # type: ignore[operator]
            assert proc.poll() is None, "the daemon died when the disk filled"
            assert time.monotonic() < deadline, f"/health never said degraded: storage: {body}"
            time.sleep(0.1)
            status, body = _health(base)
        assert status == 503
        storage = body["storage"]
        assert isinstance(storage, dict) and storage["fault"] == "disk_full"
        catalog = httpx.get(f"{base}/health/catalog", headers={"X-Api-Key": ADMIN}, timeout=5)
        assert catalog.status_code == 200  # still serving
        deadline = time.monotonic() + 60
        while "storage: disk full" not in catalog.text:
            assert time.monotonic() < deadline, "no stage was labelled as a storage failure"
            time.sleep(0.3)
            catalog = httpx.get(f"{base}/health/catalog", headers={"X-Api-Key": ADMIN}, timeout=5)
        assert "upstream: OperationalError" not in catalog.text
        ballast.unlink()
        # room again: the next write clears the fault — a manual refresh makes one now instead
        # of waiting for a stage's backoff (60 s and more)
        for instance in ("demo-aniworld", "demo-sto", "demo-megakino"):
            httpx.post(
                f"{base}/api/v1/plugins/{instance}/refresh", headers={"X-Api-Key": ADMIN}, timeout=5
            )
        deadline = time.monotonic() + 90
        while _health(base)[0] != 200:  # a write succeeded and cleared the fault
            assert proc.poll() is None
            assert time.monotonic() < deadline, f"never recovered: {_health(base)[1]}"
            time.sleep(0.5)
        assert _health(base)[1]["writer"]["running"] is True  # type: ignore[index]
        proc.terminate()
        assert proc.wait(timeout=30) == 0


def test_a_read_only_data_dir_at_start_is_one_clear_line(tmp_path: Path) -> None:
    data = tmp_path / "ro"
    with tmpfs(data, "size=1m,ro"):
        result = subprocess.run(
            [sys.executable, "-m", "anibridge_like", "serve"],
            env={"ANIBRIDGE_DATA_DIR": str(data), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [f"error: data directory {data} is not writable: Read-only file system"]
