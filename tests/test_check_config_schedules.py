"""``check-config`` validates ``ANIBRIDGE_TIMEZONE`` and every job's timezone and crontab (an
invalid one used to pass and then kill ``serve`` with a traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anibridge_like", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


def test_check_config_refuses_an_unknown_server_timezone(tmp_path: Path) -> None:
    env = {"ANIBRIDGE_DATA_DIR": str(tmp_path), "ANIBRIDGE_TIMEZONE": "Europe/Atlantis"}
    for command in ("check-config", "serve"):
        result = _run(command, env=env)
        assert result.returncode == 2, result.stderr
        assert "ANIBRIDGE_TIMEZONE: unknown timezone 'Europe/Atlantis'" in result.stderr
        assert "Traceback" not in result.stderr


def test_check_config_names_bad_job_schedules_by_yaml_path(tmp_path: Path) -> None:
    seed = yaml.safe_load((ROOT / "config.example.yaml").read_text())
    seed["libraries"][0]["jobs"] = [
        {"name": "weekly", "type": "library_refresh", "cron": "0 4 * * 0", "timezone": "Moon/Base"},
    ]
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(seed))
    result = _run("check-config", "--seed", str(path), env={"ANIBRIDGE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "libraries[0].jobs[0].timezone: unknown timezone 'Moon/Base'" in result.stderr
    seed["libraries"][0]["jobs"][0]["timezone"] = "Europe/Berlin"
    path.write_text(yaml.safe_dump(seed))
    result = _run("check-config", "--seed", str(path), env={"ANIBRIDGE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "1 library jobs" in result.stdout
