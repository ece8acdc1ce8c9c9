"""The URL the *arr apps are given: they append their API Path (``/api`` by default) to it, so
``http://host:8000/torznab/anime`` + ``/api`` must answer, and so must a pasted full address
(``…/torznab/anime/api`` + ``/api``)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from tests.torznab.conftest import GLOBAL_KEY
from tests.torznab.xmlutil import items

KEY = f"apikey={GLOBAL_KEY}"


@pytest.mark.parametrize("path", ["/torznab/anime/api", "/torznab/anime/api/api"])
async def test_library_answers_with_and_without_a_doubled_api_path(
    client: httpx.AsyncClient, path: str
) -> None:
    caps = ET.fromstring((await client.get(f"{path}?t=caps&{KEY}")).content)
    assert caps.tag == "caps"
    assert caps.find("server").attrib["title"] == "anibridge-like (Anime)"  # type: ignore[union-attr]
    found = items(await client.get(f"{path}?t=tvsearch&cat=5030,5040&{KEY}"))
    assert found and {i.guid.split(":")[1] for i in found} == {"aniworld"}


@pytest.mark.parametrize("path", ["/torznab/api", "/torznab/api/api"])
async def test_all_libraries_answer_with_and_without_a_doubled_api_path(
    client: httpx.AsyncClient, path: str
) -> None:
    found = items(await client.get(f"{path}?t=search&limit=100&{KEY}"))
    assert {i.guid.split(":")[1] for i in found} == {"aniworld", "sto", "megakino"}
