from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from anibridge_like.storage.migrate import (
    MIGRATIONS_DIR,
    MigrationError,
    apply_migrations,
    schema_version,
)


def _tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_migrations_apply_once_and_are_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    first = apply_migrations(db)
    assert first and first[0] == "0001_core"
    before = _tables(db)
    assert {"libraries", "plugin_instances", "titles", "episodes", "series_mappings"} <= before
    assert apply_migrations(db) == []
    assert _tables(db) == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(first)


def test_failing_migration_leaves_no_trace(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_ok.sql").write_text("CREATE TABLE a (x INTEGER);")
    (folder / "0002_broken.sql").write_text(
        "CREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);\n"
    )
    db = tmp_path / "b.db"
    with pytest.raises(sqlite3.OperationalError):
        apply_migrations(db, folder)
    assert "a" in _tables(db)
    assert "b" not in _tables(db), "the half of a failed migration must be rolled back"
    with sqlite3.connect(db) as conn:
        assert [r[0] for r in conn.execute("SELECT version FROM schema_migrations")] == [1]
    (folder / "0002_broken.sql").write_text("CREATE TABLE b (x INTEGER);\n")
    assert apply_migrations(db, folder) == ["0002_broken"]


def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    apply_migrations(db)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO schema_migrations VALUES (9999, '9999_future', '2030-01-01T00:00:00')"
        )
    with pytest.raises(MigrationError, match="newer"):
        apply_migrations(db)


def test_badly_named_migration_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(MIGRATIONS_DIR, folder)
    (folder / "5_oops.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="badly named"):
        apply_migrations(tmp_path / "d.db", folder)


def test_schema_version_reports_latest(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    assert schema_version(db) is None
    apply_migrations(db)
    latest = max(int(p.name[:4]) for p in MIGRATIONS_DIR.glob("*.sql"))
    assert schema_version(db) == latest
