"""Parse Torznab answers the way the clients do: strict XML, ``channel``/``item`` without a
namespace, attributes in the Torznab namespace."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import httpx

TORZNAB = "{http://torznab.com/schemas/2015/feed}"


@dataclass
class Item:
    title: str
    guid: str
    pub_date: str
    enclosure: dict[str, str]
    attrs: dict[str, list[str]] = field(default_factory=dict)

    def attr(self, name: str) -> str | None:
        values = self.attrs.get(name)
        return values[0] if values else None


def items(response: httpx.Response) -> list[Item]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "rss"
    assert root.find(".//error") is None
    channel = root.find("channel")
    assert channel is not None
    out = []
    for node in channel.findall("item"):
        attrs: dict[str, list[str]] = {}
        for a in node.findall(f"{TORZNAB}attr"):
            attrs.setdefault(a.attrib["name"], []).append(a.attrib["value"])
        enclosure = node.find("enclosure")
        assert enclosure is not None
        out.append(
            Item(
                title=node.findtext("title") or "",
                guid=node.findtext("guid") or "",
                pub_date=node.findtext("pubDate") or "",
                enclosure=dict(enclosure.attrib),
                attrs=attrs,
            )
        )
    return out


def error(response: httpx.Response) -> tuple[int, str]:
    root = ET.fromstring(response.content)
    assert root.tag == "error", response.text
    return int(root.attrib["code"]), root.attrib["description"]
