"""Arbitrary parameter values never produce a 5xx, and every answer is well-formed XML."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from pydantic import SecretStr

from anibridge_like.seed import parse_seed
from anibridge_like.settings import Settings
from tests.torznab.conftest import (
    GLOBAL_KEY,
    REGISTRY,
    SEED,
    build_app,
    default_catalog,
    write_catalog,
)

PARAMS = ["t", "q", "season", "ep", "tvdbid", "imdbid", "tmdbid", "rid", "tvmazeid", "cat",
          "offset", "limit", "extended", "apikey", "attrs", "maxage"]  # fmt: skip
FUNCTIONS = ["caps", "search", "tvsearch", "movie", "movie-search", "tv-search", "music", ""]

values = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["00", "01", "tt0133093", "0133093", "5070,5000", "03/15", "+", "'", '"',
                     "*", "NEAR(", "\x00", "١٢", "ｔｔ１", "AND", "a\"*OR", "-1", " 7 "]),
)  # fmt: skip
queries = st.fixed_dictionaries(
    {"t": st.one_of(st.sampled_from(FUNCTIONS), values)},
    optional={name: values for name in PARAMS if name != "t"},
)
paths = st.sampled_from(["/torznab/api", "/torznab/anime/api", "/torznab/movies/api",
                         "/torznab/series/api", "/torznab/x%00y/api"])  # fmt: skip


class Harness:
    """One started app on its own event loop, shared by every generated example."""

    def __init__(self, settings: Settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.app = build_app(settings, parse_seed(SEED, REGISTRY, environ={}))
        self.lifespan = self.app.router.lifespan_context(self.app)
        self.loop.run_until_complete(self._start())

    async def _start(self) -> None:
        await self.lifespan.__aenter__()
        await write_catalog(self.app.state.ctx.writer, default_catalog())
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://127.0.0.1"
        )

    def get(self, path: str, query: dict[str, str]) -> httpx.Response:
        encoded = urlencode(query)
        return self.loop.run_until_complete(self.client.get(f"{path}?{encoded}"))

    def close(self) -> None:
        async def stop() -> None:
            await self.client.aclose()
            await self.lifespan.__aexit__(None, None, None)

        self.loop.run_until_complete(stop())
        self.loop.close()


@pytest.fixture
def harness(settings: Settings) -> Iterator[Harness]:
    h = Harness(settings.model_copy(update={"api_key": SecretStr(GLOBAL_KEY)}))
    yield h
    h.close()


@hsettings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=paths, query=queries, keyed=st.booleans())
def test_arbitrary_parameters_never_answer_5xx(
    harness: Harness, path: str, query: dict[str, str], keyed: bool
) -> None:
    if keyed:
        query = {**query, "apikey": GLOBAL_KEY}
    response = harness.get(path, query)
    assert response.status_code < 500, response.text
    root = ET.fromstring(response.content)
    assert root.tag in ("caps", "rss", "error")
    if root.tag == "error":
        assert int(root.attrib["code"]) in (100, 200, 201, 202, 203)
