"""Caps and feeds are well-formed, namespaced XML with what the clients require."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

from anibridge_like.plugins.provider import Language
from anibridge_like.torznab.caps import STANDARD_CATEGORIES
from anibridge_like.torznab.naming import Hit, build_release
from anibridge_like.torznab.render import render_error, render_feed
from tests.torznab.conftest import GLOBAL_KEY, AppFactory, Catalog, Ep, Show, ts
from tests.torznab.xmlutil import TORZNAB, items

KEY = f"apikey={GLOBAL_KEY}"


def caps_of(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag == "caps"
    return root


async def test_caps_per_library(client: httpx.AsyncClient) -> None:
    anime = caps_of(await client.get(f"/torznab/anime/api?t=caps&{KEY}"))
    limits = anime.find("limits")
    assert limits is not None
    assert int(limits.attrib["default"]) <= int(limits.attrib["max"])
    modes = {m.tag: m.attrib for m in anime.find("searching") or []}
    assert modes["search"] == {"available": "yes", "supportedParams": "q"}
    assert modes["tv-search"]["available"] == "yes"
    assert modes["movie-search"]["available"] == "no"
    for mode in modes.values():
        assert " " not in mode["supportedParams"]
    assert modes["tv-search"]["supportedParams"].split(",")[:4] == ["q", "season", "ep", "tvdbid"]
    categories = [(c.attrib["id"], c.attrib["name"]) for c in anime.iter("category")]
    subcats = [(c.attrib["id"], c.attrib["name"]) for c in anime.iter("subcat")]
    assert categories == [("5000", "TV")] and subcats == [("5040", "HD"), ("5070", "Anime")]
    movies = caps_of(await client.get(f"/torznab/movies/api?t=caps&{KEY}"))
    movie_modes = {m.tag: m.attrib for m in movies.find("searching") or []}
    assert movie_modes["movie-search"] == {"available": "yes", "supportedParams": "q,imdbid,tmdbid"}
    assert movie_modes["tv-search"]["available"] == "no"
    assert [c.attrib["name"] for c in movies.iter("category")] == ["Movies"]


async def test_caps_of_all_libraries_declare_every_item_category(
    client: httpx.AsyncClient,
) -> None:
    caps = caps_of(await client.get(f"/torznab/api?t=caps&{KEY}"))
    declared = {int(c.attrib["id"]) for c in caps.iter() if c.tag in ("category", "subcat")}
    assert declared == {2000, 2040, 5000, 5040, 5070}
    for category in declared:
        assert STANDARD_CATEGORIES[category]
    found = items(await client.get(f"/torznab/api?t=search&limit=100&{KEY}"))
    used = {int(c) for i in found for c in i.attrs["category"]}
    assert used <= declared


async def test_items_carry_what_the_clients_require(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/torznab/api?t=search&limit=100&{KEY}")
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.find("channel") is not None
    assert 'xmlns:torznab="http://torznab.com/schemas/2015/feed"' in response.text
    found = items(response)
    assert len({i.guid for i in found}) == len(found)
    for item in found:
        assert item.title and item.pub_date
        assert item.enclosure["type"] == "application/x-bittorrent;x-scheme-handler/magnet"
        assert item.enclosure["url"].startswith("magnet:?xt=urn:btih:")
        assert int(item.attrs["size"][0]) > 100_000_000
        assert int(item.attrs["seeders"][0]) >= 1
        assert int(item.attrs["peers"][0]) >= int(item.attrs["seeders"][0])
        infohash = item.attrs["infohash"][0]
        assert len(infohash) == 40 and infohash in item.enclosure["url"]
        assert item.attrs["magneturl"] == [item.enclosure["url"]]
    # every torznab:attr is in the Torznab namespace, none unqualified
    assert root.find(".//attr") is None
    assert root.findall(f".//{TORZNAB}attr")


async def test_hostile_strings_stay_well_formed(make_client: AppFactory) -> None:
    nasty = 'Tom & "Jerry" <3 \x01\x0b]]>'
    catalog = Catalog(
        ready=("sto",),
        shows=[Show("sto", "nasty&<slug>", nasty, [Ep(1, 1, {"de_dub": ts(3)})],
                    aliases=("Tom and Jerry",))],
    )  # fmt: skip
    client = await make_client(catalog)
    found = items(await client.get(f"/torznab/api?t=search&q=tom+jerry&{KEY}"))
    assert len(found) == 1
    assert found[0].title.startswith("Tom & Jerry")
    assert "\x01" not in found[0].title


def test_render_escapes_text_and_attributes() -> None:
    hit = Hit("s<i>te", 'sl"ug', "series", "A & B", 2020, 1, 1, 1, 1, None,
              Language.GERMAN_DUB, "2026-01-01T00:00:00+00:00")  # fmt: skip
    body = render_feed('T & "x"', "http://h/?a=1&b=2", [build_release(hit, False, (5000,))])
    root = ET.fromstring(body.encode())
    item = root.find("channel/item")
    assert (
        item is not None
        and item.findtext("title") == "A & B S01E01 German Dub 1080p WEB-DL x264-SITE"
    )
    assert 'sl"ug' in (item.findtext("guid") or "")
    error = ET.fromstring(render_error(201, 'bad "value" <here>').encode())
    assert error.attrib == {"code": "201", "description": 'bad "value" <here>'}
