"""A non-editable install works: the wheel carries the migrations, and ``migrate`` run from the
installed copy (not this checkout) creates the schema. Built offline with the venv's build
backend (``--no-build-isolation``); dependencies come from the venv."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        check=True,
        capture_output=True,
        timeout=300,
    )


def test_the_wheel_installs_and_migrates_from_its_own_copy(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "anibridge_like",
        source / "anibridge_like",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source))
    (wheel,) = wheels.glob("anibridge_like-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    sql_files = sorted(
        Path(n).name
        for n in names
        if n.startswith("anibridge_like/migrations/") and n.endswith(".sql")
    )
    shipped = sorted(p.name for p in (ROOT / "anibridge_like" / "migrations").glob("*.sql"))
    assert sql_files == shipped and "0009_jobs.sql" in sql_files
    target = tmp_path / "site"
    _pip("install", "--no-deps", "--target", str(target), str(wheel))
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(target), "ANIBRIDGE_DATA_DIR": str(data)}
    where = subprocess.run(
        [sys.executable, "-c", "import anibridge_like; print(anibridge_like.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert where.stdout.startswith(str(target)), where.stdout  # the installed copy, not ROOT
    result = subprocess.run(
        [sys.executable, "-m", "anibridge_like", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"applied {len(shipped)} migration(s)" in result.stdout
    with sqlite3.connect(data / "anibridge.db") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"libraries", "plugin_instances", "jobs", "job_runs"} <= tables
