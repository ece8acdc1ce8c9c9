"""Ordered SQL migrations: each file and its bookkeeping row applied in one transaction.

Files live in the package's ``migrations/`` folder (package data, so a wheel install has them)
and are named ``NNNN_description.sql``.
The ``schema_migrations`` table records what ran. A database that records a migration this code
does not know (written by a newer version) is refused rather than guessed at.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    """The database and the code disagree about the schema."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    if not directory.is_dir():
        raise MigrationError(f"migrations directory not found: {directory}")
    found: list[Migration] = []
    for path in sorted(directory.iterdir()):
        if path.suffix != ".sql":
            continue
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(f"badly named migration file: {path.name} (want NNNN_name.sql)")
        found.append(Migration(int(match.group(1)), path.stem, path.read_text("utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration numbers in {directory}")
    return found


def _split_statements(sql: str) -> list[str]:
    """Split a script into complete statements (trigger bodies included)."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
    ):
        raise MigrationError(f"incomplete SQL statement at end of migration: {buffer[:80]!r}")
    return statements


def apply_migrations(db_path: Path, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; returns the names applied. Runs before the writer starts.

    Each migration runs inside ``BEGIN IMMEDIATE`` together with its ``schema_migrations`` row,
    so a failure leaves the database exactly as it was before that migration.
    """
    migrations = discover(directory)
    known = {m.version for m in migrations}
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        unknown = sorted(applied - known)
        if unknown:
            raise MigrationError(
                f"database {db_path} has migrations {unknown} that this version does not know; "
                "it was written by a newer anibridge-like — refusing to start"
            )
        done: list[str] = []
        for migration in migrations:
            if migration.version in applied:
                continue
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _split_statements(migration.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, datetime.now(UTC).isoformat()),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            log.info("migration.applied", migration=migration.name)
            done.append(migration.name)
        return done
    finally:
        conn.close()


def schema_version(db_path: Path) -> int | None:
    if not db_path.exists():
        return None
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()
    return None if row is None else row[0]
