"""The Docker packaging, checked without a Docker engine: the build context, the layer order
(dependencies from the lock before the code), a numeric USER, the entrypoint's PUID/PGID
handling (run for real with ``sh``), and a compose example that never creates a directory in
place of a missing file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


def _instructions() -> list[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def test_dockerignore_keeps_the_context_to_what_the_image_needs() -> None:
    lines = [ln for ln in (ROOT / ".dockerignore").read_text().splitlines() if ln and ln[0] != "#"]
    assert lines[0] == "*"  # everything out (.git, .venv, data, tests, caches) …
    kept = [ln[1:].rstrip("/") for ln in lines if ln.startswith("!")]
    for path in kept:  # … but what the Dockerfile copies
        assert (ROOT / path).exists(), path
    copied = {
        part for line in _instructions() if line.startswith("COPY ") for part in line.split()[1:-1]
    }
    assert {c.rstrip("/") for c in copied} <= set(kept)


def test_dependencies_are_installed_from_the_lock_before_the_code() -> None:
    steps = _instructions()
    lock_copy = steps.index("COPY requirements.lock ./")
    lock_install = next(i for i, s in enumerate(steps) if "-r requirements.lock" in s)
    code_copy = next(i for i, s in enumerate(steps) if s.startswith("COPY anibridge_like"))
    code_install = next(i for i, s in enumerate(steps) if "pip install" in s and " ." in s)
    assert lock_copy < lock_install < code_copy < code_install
    assert "--no-deps" in steps[code_install]


def test_the_user_is_numeric() -> None:
    steps = _instructions()
    args = dict(
        s.split(None, 1)[1].split("=", 1) for s in steps if s.startswith("ARG ") and "=" in s
    )
    (user,) = [s.split(None, 1)[1] for s in steps if s.startswith("USER ")]
    resolved = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], user)
    assert re.fullmatch(r"[1-9]\d*:\d+", resolved), resolved


def test_the_lock_pins_every_runtime_dependency_within_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not pinned: {line}"
            pins[canonicalize_name(name)] = version
    for dependency in project["dependencies"]:
        req = Requirement(dependency)
        name = canonicalize_name(req.name)
        assert name in pins, f"{name} is missing from requirements.lock: run `make lock`"
        assert req.specifier.contains(pins[name]), f"{name}=={pins[name]} vs {req.specifier}"


def test_compose_example_mounts_only_the_data_directory() -> None:
    compose = yaml.safe_load((ROOT / "compose.example.yaml").read_text())
    service = compose["services"]["anibridge"]
    for volume in service["volumes"]:
        assert isinstance(volume, dict), "short syntax creates a directory for a missing file"
        assert volume["type"] == "bind" and volume["bind"]["create_host_path"] is False
        assert not Path(volume["source"]).suffix  # a directory, never a single file
    assert service["environment"]["ANIBRIDGE_PUBLIC_URL"].startswith("http://")
    assert service["environment"]["ANIBRIDGE_LOG_FORMAT"] in ("json", "console")


needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv"
)


def _entrypoint(data: Path, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *command],
        env={"PATH": os.environ["PATH"], "ANIBRIDGE_DATA_DIR": str(data), **env},
        capture_output=True,
        text=True,
        timeout=20,
    )


@needs_root
def test_started_as_root_the_entrypoint_hands_data_to_puid_and_drops_root(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "anibridge.db").write_text("")
    tmp_path.chmod(0o755)
    result = _entrypoint(data, "sh", "-c", "id -u; id -g", PUID="4242", PGID="4343")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["4242", "4343"]
    assert (data.stat().st_uid, (data / "anibridge.db").stat().st_gid) == (4242, 4343)


@needs_root
def test_the_entrypoint_refuses_root_and_non_numeric_ids(tmp_path: Path) -> None:
    assert "would run anibridge-like as root" in _entrypoint(tmp_path, "true", PUID="0").stderr
    assert "must be numbers" in _entrypoint(tmp_path, "true", PUID="abc").stderr


@needs_root
def test_a_non_root_start_on_an_unwritable_data_dir_is_one_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    tmp_path.chmod(0o755)
    result = subprocess.run(
        [
            "setpriv",
            "--reuid=4242",
            "--regid=4242",
            "--clear-groups",
            "sh",
            str(ENTRYPOINT),
            "true",
        ],
        env={"PATH": os.environ["PATH"], "ANIBRIDGE_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 1
    assert f"error: {data} is not writable by uid 4242" in result.stderr


def test_the_image_listens_beyond_loopback_and_logs_json_by_default() -> None:
    env = " ".join(s for s in _instructions() if s.startswith("ENV "))
    assert "ANIBRIDGE_HOST=0.0.0.0" in env  # reachable from Sonarr's container
    assert "ANIBRIDGE_LOG_FORMAT=json" in env
    assert "ANIBRIDGE_DATA_DIR=/data" in env
