from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anibridge_like", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("anibridge-like ")


def test_check_config_accepts_the_example_seed(tmp_path: Path) -> None:
    result = _run(
        "check-config",
        "--seed",
        str(ROOT / "config.example.yaml"),
        env={"ANIBRIDGE_DATA_DIR": str(tmp_path), "ANIME_TORZNAB_KEY": "anime-key-1"},
    )
    assert result.returncode == 0, result.stderr
    assert "3 libraries" in result.stdout


def test_check_config_takes_the_seed_as_a_positional_argument(tmp_path: Path) -> None:
    result = _run(
        "check-config", str(ROOT / "config.example.yaml"), env={"ANIBRIDGE_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr
    assert "3 libraries" in result.stdout


def test_check_config_without_a_seed_says_so_loudly(tmp_path: Path) -> None:
    result = _run("check-config", env={"ANIBRIDGE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "no seed file" in result.stderr and "config.example.yaml" in result.stderr
    empty = tmp_path / "empty.yaml"
    empty.write_text("libraries: []\n")
    result = _run("check-config", str(empty), env={"ANIBRIDGE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1 and "has no libraries" in result.stderr


def test_serve_on_a_port_in_use_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = _run(
            "serve",
            env={
                "ANIBRIDGE_DATA_DIR": str(tmp_path),
                "ANIBRIDGE_HOST": "127.0.0.1",
                "ANIBRIDGE_PORT": str(port),
            },
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use (another anibridge-like or another"
        " program); stop it or set ANIBRIDGE_PORT to a free port"
    ]
    assert not (tmp_path / "anibridge.db").exists()  # nothing started
    assert time.monotonic() - started < 30


def test_connect_names_an_unreachable_app_and_exits_1(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    result = _run(
        "connect", "sonarr", url, "k", "--seed", str(ROOT / "config.example.yaml"),
        env={"ANIBRIDGE_DATA_DIR": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: sonarr at {url}/api/v3 did not answer")
    assert "Traceback" not in result.stderr


def test_connect_dry_run_rejects_an_unknown_library(tmp_path: Path) -> None:
    result = _run(
        "connect", "radarr", "http://127.0.0.1:1", "k", "--library", "anime", "--dry-run",
        "--seed", str(ROOT / "config.example.yaml"), env={"ANIBRIDGE_DATA_DIR": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 1
    assert "library 'anime' is a anime library; radarr takes movies libraries" in result.stderr


def test_check_config_lists_every_error_with_its_path(tmp_path: Path) -> None:
    seed = yaml.safe_load((ROOT / "config.example.yaml").read_text())
    seed["plugins"][0]["libraries"] = ["animee"]
    seed["plugins"][1]["implementation"] = "nosuch"
    seed["libraries"][0]["kind"] = "cartoons"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(seed))
    result = _run("check-config", "--seed", str(path), env={"ANIBRIDGE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "3 error(s)" in result.stderr
    assert "libraries[0].kind" in result.stderr
    assert "plugins[0].libraries[0]: unknown library 'animee'" in result.stderr
    assert "plugins[1].implementation: unknown provider implementation 'nosuch'" in result.stderr


def test_check_config_names_bad_env_variables(tmp_path: Path) -> None:
    result = _run("check-config", env={"ANIBRIDGE_PORT": "eighty"})
    assert result.returncode == 2
    assert "ANIBRIDGE_PORT" in result.stderr


def test_migrate_command(tmp_path: Path) -> None:
    result = _run("migrate", env={"ANIBRIDGE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "anibridge.db").exists()
    again = _run("migrate", env={"ANIBRIDGE_DATA_DIR": str(tmp_path)})
    assert "applied 0 migration(s)" in again.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_health_and_exits_zero_on_sigterm(tmp_path: Path) -> None:
    """The Docker entrypoint (`anibridge-like serve`) and healthcheck command, for real."""
    port = _free_port()
    env = {
        **os.environ,
        "ANIBRIDGE_DATA_DIR": str(tmp_path),
        "ANIBRIDGE_PORT": str(port),
        "ANIBRIDGE_HOST": "127.0.0.1",
        "ANIBRIDGE_LOG_FORMAT": "json",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "anibridge_like", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("daemon did not come up")
        check = _run("healthcheck", env={"ANIBRIDGE_PORT": str(port)})
        assert check.returncode == 0, check.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out, err = proc.communicate()
    assert '"event": "app.stopping"' in err
    assert '"event": "seed.missing"' in err  # no seed: said loudly
    assert "No libraries" in out
    key = (tmp_path / "torznab_api_key").read_text().strip()
    assert len(key) == 32  # generated on first start, kept in the data dir


def test_healthcheck_fails_when_nothing_listens() -> None:
    result = _run("healthcheck", env={"ANIBRIDGE_PORT": str(_free_port())})
    assert result.returncode == 1


@pytest.mark.slow
def test_demo_prints_the_torznab_url_and_answers_within_a_minute(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "ANIBRIDGE_DATA_DIR": str(tmp_path),
        "ANIBRIDGE_PORT": str(port),
        "ANIBRIDGE_HOST": "127.0.0.1",
        "ANIBRIDGE_LOG_FORMAT": "json",
    }
    err_path = tmp_path / "stderr.log"
    with err_path.open("w") as err_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "anibridge_like", "serve", "--demo"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=err_file,
            text=True,
        )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("API Key" in line for line in lines):
            lines.append(proc.stdout.readline())
        text = "".join(lines)
        assert f"URL: http://127.0.0.1:{port}/torznab/anime   API Path: /api" in text, text
        key = next(line.split(":", 1)[1].split()[0] for line in lines if "API Key" in line)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            body = httpx.get(f"http://127.0.0.1:{port}/health/catalog", timeout=5).json()
            if body["ready"]:
                break
            time.sleep(0.5)
        else:
            pytest.fail("demo catalog not ready within a minute")
        # what Sonarr sends with its defaults: URL + API Path, Categories 5030,5040
        feed = httpx.get(
            f"http://127.0.0.1:{port}/torznab/anime/api",
            params={"t": "tvsearch", "cat": "5030,5040", "extended": "1", "apikey": key},
            timeout=5,
        )
        assert feed.status_code == 200 and "<item>" in feed.text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = err_path.read_text()
    # the demo's own fake sites stay quiet: one uvicorn start line, the daemon's
    assert log.count("Started server process") == 1, log[:3000]
    assert "Uvicorn running" not in log
    assert '"event": "http.request"' in log
