"""Configuration that cannot hurt (issue 12, items 8–10; issue 11, mistyped variables)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from anibridge_like.app import create_app
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import Seed, SeedError, load_seed, parse_seed
from anibridge_like.seed_guard import EmptySeedRefusedError
from anibridge_like.settings import Settings, unknown_env_names

REGISTRY = Registry()
TWO_LIBRARIES: dict[str, Any] = {
    "libraries": [{"slug": "anime", "kind": "anime"}, {"slug": "movies", "kind": "movies"}]
}


def _write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "config.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8")
    return path


def _issues(path: Path) -> list[str]:
    with pytest.raises(SeedError) as info:
        load_seed(path, REGISTRY, environ={})
    return [str(issue) for issue in info.value.issues]


@pytest.mark.parametrize("content", ["", "\n\n", "# nothing here\n  # still nothing\n", "---\n"])
def test_an_empty_or_comment_only_seed_is_refused(tmp_path: Path, content: str) -> None:
    (issue,) = _issues(_write(tmp_path, content))
    assert "the seed is empty" in issue and "libraries: []" in issue


def test_libraries_empty_list_is_the_explicit_none(tmp_path: Path) -> None:
    seed = load_seed(_write(tmp_path, "libraries: []\n"), REGISTRY, environ={})
    assert seed.libraries == []


def test_duplicate_keys_are_an_error_with_both_lines(tmp_path: Path) -> None:
    content = (
        "libraries:\n"
        "  - slug: anime\n"
        "    kind: anime\n"
        "plugins: []\n"
        "libraries:\n"
        "  - slug: movies\n"
        "    kind: movies\n"
    )
    (issue,) = _issues(_write(tmp_path, content))
    assert "duplicate key 'libraries'" in issue
    assert "line 5" in issue and "line 1" in issue


def test_duplicate_keys_inside_an_entry_are_found_too(tmp_path: Path) -> None:
    content = "libraries:\n  - slug: anime\n    kind: anime\n    slug: other\n"
    (issue,) = _issues(_write(tmp_path, content))
    assert "duplicate key 'slug' (line 4; first given on line 2)" in issue


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file (NUL byte at offset 8)"),
        (b"libraries:\n  - slug: caf\xe9\n", "not UTF-8 text (invalid byte 0xe9 at offset 24)"),
    ],
)
def test_a_binary_or_non_utf8_seed_is_a_clear_error(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    (issue,) = _issues(_write(tmp_path, content))
    assert expected in issue


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, "\ufefflibraries: []\n".encode())
    assert load_seed(path, REGISTRY, environ={}).libraries == []


@pytest.mark.parametrize("url", ["ftp://site.test", "site.test", "javascript:alert(1)", "http://"])
def test_base_url_must_be_an_http_url(url: str) -> None:
    data = {
        **TWO_LIBRARIES,
        "plugins": [
            {"name": "p", "implementation": "aniworld", "kind": "provider",
             "config": {"base_url": url}},
        ],
    }  # fmt: skip
    with pytest.raises(SeedError, match=r"plugins\[0\]\.config\.base_url"):
        parse_seed(data, REGISTRY, environ={})


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"tvdb_id": 2**63}, "mapping_overrides[1].tvdb_id"),
        ({"tvdb_id": True}, "mapping_overrides[1].tvdb_id"),
        ({"tvdb_id": 1, "season_map": {1: -3}}, "mapping_overrides[1].season_map"),
        ({"imdb_id": "tt" + "9" * 40}, "mapping_overrides[1].imdb_id"),
    ],
)
def test_override_values_out_of_range_fail_with_their_yaml_path(
    override: dict[str, Any], path: str
) -> None:
    data = {
        **TWO_LIBRARIES,
        "mapping_overrides": [
            {"site": "sto", "slug": "a", "tvdb_id": 5},
            {"site": "sto", "slug": "b", **override},
        ],
    }
    with pytest.raises(SeedError) as info:
        parse_seed(data, REGISTRY, environ={})
    assert any(str(issue).startswith(path) for issue in info.value.issues), info.value


async def _start(settings: Settings, seed: Seed) -> None:
    app = create_app(settings, seed=seed, registry=REGISTRY, start_services=False)
    async with app.router.lifespan_context(app):
        pass


def _slugs(settings: Settings) -> list[str]:
    conn = sqlite3.connect(settings.database_path)
    try:
        return [r[0] for r in conn.execute("SELECT slug FROM libraries ORDER BY slug")]
    finally:
        conn.close()


async def test_a_seed_removing_every_library_is_refused(settings: Settings) -> None:
    await _start(settings, parse_seed(TWO_LIBRARIES, REGISTRY, environ={}))
    for empty in (Seed(), parse_seed({"libraries": []}, REGISTRY, environ={})):
        with pytest.raises(EmptySeedRefusedError, match="--allow-empty"):
            await _start(settings, empty)
        assert _slugs(settings) == ["anime", "movies"]
    # removing some is an ordinary change
    one = {"libraries": TWO_LIBRARIES["libraries"][:1]}
    await _start(settings, parse_seed(one, REGISTRY, environ={}))
    assert _slugs(settings) == ["anime"]
    # on purpose
    await _start(settings.model_copy(update={"allow_empty_seed": True}), Seed())
    assert _slugs(settings) == []


def test_unknown_anibridge_variables_are_named_with_a_suggestion() -> None:
    lines = unknown_env_names(
        {"ANIBRIDGE_ADMIN_APIKEY": "x", "ANIBRIDGE_PORT": "1", "ANIBRIDGE_LOGLEVEL": "debug",
         "ANIBRIDGE_ZZZ": "1", "OTHER": "1"}
    )  # fmt: skip
    assert lines == [
        "ANIBRIDGE_ADMIN_APIKEY: unknown setting (did you mean ANIBRIDGE_ADMIN_API_KEY?)",
        "ANIBRIDGE_LOGLEVEL: unknown setting (did you mean ANIBRIDGE_LOG_LEVEL?)",
        "ANIBRIDGE_ZZZ: unknown setting",
    ]


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANIBRIDGE_")}
    return subprocess.run(
        [sys.executable, "-m", "anibridge_like", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=60,
    )


def test_check_config_warns_about_mistyped_variables(tmp_path: Path) -> None:
    seed = _write(tmp_path, "libraries:\n  - slug: anime\n    kind: anime\n")
    result = _cli(
        "check-config",
        "--seed",
        str(seed),
        env={"ANIBRIDGE_DATA_DIR": str(tmp_path), "ANIBRIDGE_ADMN_API_KEY": "x"},
    )
    assert result.returncode == 0, result.stderr
    assert "warning: ANIBRIDGE_ADMN_API_KEY: unknown setting" in result.stderr
    assert "did you mean ANIBRIDGE_ADMIN_API_KEY?" in result.stderr


def test_check_config_refuses_an_unset_api_key_env(tmp_path: Path) -> None:
    seed = _write(tmp_path, "libraries:\n  - {slug: anime, kind: anime, api_key_env: NOPE_KEY}\n")
    result = _cli("check-config", "--seed", str(seed), env={"ANIBRIDGE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "libraries[0].api_key_env: names 'NOPE_KEY', which is not set" in result.stderr


def test_serve_refuses_an_empty_seed_over_existing_libraries_in_one_line(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    conn = sqlite3.connect(data / "anibridge.db")
    conn.execute("CREATE TABLE libraries (slug TEXT)")
    conn.execute("INSERT INTO libraries VALUES ('anime')")
    conn.commit()
    conn.close()
    seed = _write(tmp_path, "libraries: []\n")
    result = _cli("serve", "--seed", str(seed), env={"ANIBRIDGE_DATA_DIR": str(data)})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: refusing to apply a seed without libraries: it would remove every library "
        "(anime); fix the seed, or start with --allow-empty (ANIBRIDGE_ALLOW_EMPTY_SEED=true) "
        "to remove them on purpose"
    ]


def test_serve_with_an_unusable_data_dir_says_so_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = _cli("serve", env={"ANIBRIDGE_DATA_DIR": str(blocker / "data")})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(blocker / "data") in lines[0] and "cannot be created" in lines[0]
