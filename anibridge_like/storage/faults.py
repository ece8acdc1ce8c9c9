"""Faults of the machine under the database, told apart from everything else.

:func:`storage_fault_of` classifies an exception raised by SQLite (``sqlite3.Error``, which
aiosqlite re-raises unchanged) by its extended result code: a full disk (``SQLITE_FULL``, also
what ``max_page_count`` raises), a read-only file or directory (``SQLITE_READONLY``), an I/O
error (``SQLITE_IOERR``), a database that cannot be opened (``SQLITE_CANTOPEN``) or is damaged
(``SQLITE_CORRUPT``, ``SQLITE_NOTADB``). Constraint violations, syntax errors and a busy
database are not faults of the machine (``None``).

The writer (:class:`~anibridge_like.storage.writer.Writer`) keeps the current fault until a unit
commits again; ``/health`` reports ``degraded: storage`` meanwhile, and the catalog labels a
stage that failed this way ``storage`` (not ``upstream``).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from enum import StrEnum


class StorageFaultKind(StrEnum):
    DISK_FULL = "disk_full"
    READ_ONLY = "read_only"
    IO_ERROR = "io_error"
    CANNOT_OPEN = "cannot_open"
    CORRUPT = "corrupt"


_PRIMARY: dict[int, StorageFaultKind] = {
    sqlite3.SQLITE_FULL: StorageFaultKind.DISK_FULL,
    sqlite3.SQLITE_READONLY: StorageFaultKind.READ_ONLY,
    sqlite3.SQLITE_IOERR: StorageFaultKind.IO_ERROR,
    sqlite3.SQLITE_CANTOPEN: StorageFaultKind.CANNOT_OPEN,
    sqlite3.SQLITE_CORRUPT: StorageFaultKind.CORRUPT,
    sqlite3.SQLITE_NOTADB: StorageFaultKind.CORRUPT,
}
_MESSAGES: tuple[tuple[str, StorageFaultKind], ...] = (
    ("database or disk is full", StorageFaultKind.DISK_FULL),
    ("no space left on device", StorageFaultKind.DISK_FULL),
    ("readonly database", StorageFaultKind.READ_ONLY),
    ("read-only file system", StorageFaultKind.READ_ONLY),
    ("disk i/o error", StorageFaultKind.IO_ERROR),
    ("unable to open database file", StorageFaultKind.CANNOT_OPEN),
    ("database disk image is malformed", StorageFaultKind.CORRUPT),
    ("file is not a database", StorageFaultKind.CORRUPT),
)


@dataclass(frozen=True, slots=True)
class StorageFault:
    kind: StorageFaultKind
    message: str
    since: float = field(default_factory=time.time)
    """Unix time of the first failure of this streak."""

    def describe(self) -> str:
        return f"{self.kind.value.replace('_', ' ')} ({self.message})"


def storage_fault_of(exc: BaseException) -> StorageFault | None:
    """The storage fault ``exc`` stands for, or ``None`` when it is not one."""
    if isinstance(exc, OSError) and exc.errno is not None:
        import errno

        if exc.errno == errno.ENOSPC:
            return StorageFault(StorageFaultKind.DISK_FULL, str(exc))
        if exc.errno == errno.EROFS:
            return StorageFault(StorageFaultKind.READ_ONLY, str(exc))
        if exc.errno == errno.EIO:
            return StorageFault(StorageFaultKind.IO_ERROR, str(exc))
        return None
    if not isinstance(exc, sqlite3.Error):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        kind = _PRIMARY.get(code & 0xFF)
        if kind is not None:
            return StorageFault(kind, str(exc))
    text = str(exc).lower()
    for needle, kind in _MESSAGES:
        if needle in text:
            return StorageFault(kind, str(exc))
    return None
