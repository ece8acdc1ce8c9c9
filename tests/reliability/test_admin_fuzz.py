"""Bounded fuzz of the admin API (hypothesis): arbitrary JSON bodies, raw bytes, path segments and
keys never produce a 5xx, and every error is JSON with an ``error``. (The Torznab fuzz lives in
``tests/torznab/test_properties.py``.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from pydantic import SecretStr

from anibridge_like.app import create_app
from anibridge_like.seed import Seed
from anibridge_like.settings import Settings

KEY = {"X-Api-Key": "fuzz-admin-key"}
FIELDS = ["tvdb_id", "tmdb_id", "imdb_id", "anilist_id", "mal_id", "canonical_title",
          "canonical_year", "numbering", "season_map", "note", "site", "slug", "extra"]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["tt0133093", "0133093", "direct", "absolute", "auto", "１２", "-0", "1e3"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)
segments = st.text(min_size=1, max_size=20).map(lambda s: quote(s, safe=""))


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, httpx.AsyncClient]]:
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path_factory.mktemp("fuzz"),
        admin_api_key=SecretStr(KEY["X-Api-Key"]),
        max_body_bytes=8192,
        _env_file=None,
    )
    app = create_app(settings, seed=Seed(), start_services=False)
    loop = asyncio.new_event_loop()
    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    try:
        yield loop, client
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(lifespan.__aexit__(None, None, None))
        loop.close()


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert "error" in response.json()


FUZZ = hsettings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(body=bodies, site=segments, slug=segments)
def test_put_mapping_never_answers_5xx(
    app_client: tuple[Any, httpx.AsyncClient], body: dict[str, Any], site: str, slug: str
) -> None:
    loop, client = app_client
    url = f"/api/v1/titles/{site}/{slug}/mapping"
    for method in ("PUT", "GET", "DELETE"):
        content = json.dumps(body) if method == "PUT" else None
        _check(loop.run_until_complete(client.request(method, url, content=content, headers=KEY)))


@FUZZ
@given(
    raw=st.binary(max_size=300),
    key=st.one_of(
        st.none(), st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
    ),
)
def test_raw_bodies_and_keys_never_answer_5xx(
    app_client: tuple[Any, httpx.AsyncClient], raw: bytes, key: str | None
) -> None:
    loop, client = app_client
    headers = (
        KEY
        if key is None
        else {"X-Api-Key": key.encode("utf-8", "ignore").decode("latin-1", "ignore")}
    )
    for path in ("/api/v1/titles/sto/x/mapping", "/api/v1/plugins/x/refresh", "/api/v1/libraries"):
        for method in ("PUT", "POST", "GET"):
            response = loop.run_until_complete(
                client.request(method, path, content=raw, headers=headers)
            )
            if path.endswith("/refresh") and response.status_code == 503:
                # documented: the catalog service is not started in this app
                assert response.json()["error"] == "the catalog service is not running"
                continue
            _check(response)
