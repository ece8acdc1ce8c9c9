"""Shared fixtures: a settings object on a temporary data dir, a migrated database, the real
writer and a reader pool on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.migrate import apply_migrations
from anibridge_like.storage.writer import Writer


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def db(settings: Settings) -> Path:
    apply_migrations(settings.database_path)
    return settings.database_path


@pytest.fixture
async def writer(db: Path) -> AsyncIterator[Writer]:
    async with Writer(db, queue_size=16) as w:
        yield w


@pytest.fixture
async def readers(db: Path, writer: Writer) -> AsyncIterator[ReaderPool]:
    async with ReaderPool(db, 2) as pool:
        yield pool
