"""Pipeline fixtures: an ``env`` bundling settings (small queues, tiny backoffs), the real writer
and readers on a migrated temp database, and a registry that knows the in-memory provider."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from anibridge_like.settings import Settings
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer
from tests.catalog.support import Env, fast_settings
from tests.fakes import memory_provider


@pytest.fixture(autouse=True)
def _clean_memory_sites() -> Iterator[None]:
    yield
    memory_provider.SITES.clear()


@pytest.fixture
async def env(settings: Settings, writer: Writer, readers: ReaderPool) -> AsyncIterator[Env]:
    async with httpx.AsyncClient() as http:
        yield Env(fast_settings(settings), writer, readers, http)
