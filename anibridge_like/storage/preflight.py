"""Before anything starts: can the data directory hold the database?

:func:`data_dir_problem` answers with one line naming the path (``None`` when all is well). A
missing directory is created when its parent allows it (a first start); one that cannot be
created, is not a directory, or cannot be written (a read-only mount, wrong owner) is a problem —
found by creating and removing a probe file, as SQLite will need to create its journal files.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def data_dir_problem(data_dir: Path) -> str | None:
    """One line saying why ``data_dir`` cannot hold the database, or ``None``."""
    shown = (
        str(data_dir.resolve()) if data_dir.is_absolute() else f"{data_dir} ({data_dir.resolve()})"
    )
    if data_dir.exists() and not data_dir.is_dir():
        return f"data directory {shown} is not a directory (ANIBRIDGE_DATA_DIR)"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"data directory {shown} is missing and cannot be created: {exc.strerror or exc}"
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=data_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"data directory {shown} is not writable: {exc.strerror or exc}"
    database = data_dir / "anibridge.db"
    if database.exists() and not os.access(database, os.R_OK | os.W_OK):
        return f"database {database.resolve()} is not readable and writable by this user"
    return None
