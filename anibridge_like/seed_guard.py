"""Guards that keep a configuration from hurting: checks the seed model cannot express alone.

* :func:`library_key_issues` — a library key that is empty or whitespace, or an ``api_key_env``
  naming a variable that is unset or empty, is an error (such a library used to be served
  without any key while ``check-config`` said ok).
* :func:`refuse_emptying` — a reconcile that would remove every library the database holds is
  refused unless asked for (``serve --allow-empty`` / ``ANIBRIDGE_ALLOW_EMPTY_SEED``): a seed
  that lost its content must not wipe the configuration on the next start.
* :func:`emptying_preflight` — the same check, read-only, before the daemon starts (one clear
  line instead of a failed start-up).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path


class EmptySeedRefusedError(RuntimeError):
    """The seed would remove every library; ``--allow-empty`` was not given."""

    def __init__(self, removed: Sequence[str]) -> None:
        self.removed = list(removed)
        shown = ", ".join(self.removed[:10]) + (" …" if len(self.removed) > 10 else "")
        super().__init__(
            f"refusing to apply a seed without libraries: it would remove every library "
            f"({shown}); fix the seed, or start with --allow-empty "
            "(ANIBRIDGE_ALLOW_EMPTY_SEED=true) to remove them on purpose"
        )


def library_key_issues(
    where: str, api_key: str | None, api_key_env: str | None, env: Mapping[str, str]
) -> list[tuple[str, str]]:
    """``(yaml path, message)`` for each problem with one library's key settings."""
    issues: list[tuple[str, str]] = []
    if api_key is not None and not api_key.strip():
        issues.append((f"{where}.api_key", "an empty or whitespace-only key is not allowed"))
    if api_key_env is not None:
        if not api_key_env.strip():
            issues.append((f"{where}.api_key_env", "empty variable name"))
        elif api_key_env not in env:
            issues.append((f"{where}.api_key_env", f"names {api_key_env!r}, which is not set"))
        elif not env[api_key_env].strip():
            issues.append(
                (f"{where}.api_key_env", f"{api_key_env!r} is set but empty or whitespace")
            )
    return issues


def refuse_emptying(current: Sequence[str], wanted: Sequence[str], allow_empty: bool) -> None:
    """Raise EmptySeedRefusedError when ``wanted`` is empty but ``current`` is not."""
    if not wanted and current and not allow_empty:
        raise EmptySeedRefusedError(sorted(current))


def emptying_preflight(database: Path, wanted: Sequence[str], allow_empty: bool) -> None:
    """:func:`refuse_emptying` against the database file, read-only (nothing when it is new)."""
    if wanted or allow_empty or not database.exists():
        return
    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT slug FROM libraries").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return  # a database without the table (new or foreign): the migrations will say
    refuse_emptying([r[0] for r in rows], wanted, allow_empty)
