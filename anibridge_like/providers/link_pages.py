"""Hoster links on the sites' pages: where they are and how they read.

AniWorld
    ``/anime/stream/<slug>/staffel-<s>/episode-<n>`` (films ``…/filme/film-<n>``); one offer is
    ``li[data-lang-key][data-link-target="/redirect/<id>"]`` with the hoster name in ``h4`` (or
    ``i.icon[title="Hoster X"]``).
s.to (v2)
    ``/serie/<slug>/staffel-<s>/episode-<n>`` (films ``…/filme/film-<n>``); one offer is
    ``button[data-play-url][data-provider-name]`` with ``data-language-label``/``-id``.
megakino
    the film page ``/films/<id>-<slug>.html`` (found through the DLE search, as the provider
    does); one offer is an element with ``data-src`` (an ``iframe`` or a player tab) and
    ``data-language-label``.

Evidence: AniWorld's ``data-lang-key`` values 1 = German Dub, 2 = English Sub, 3 = German Sub,
4 = English Dub (``phoenixthrush/AniWorld-Downloader``: ``src/aniworld/config.py``,
``LANG_KEY_MAP``); scrapers select ``li[data-lang-key=…]``, read ``data-link-target`` and the
``h4`` hoster name and follow the redirect to the embed page (``zerodayip/seriesmovies``: ``a.py``).
s.to v2 buttons: ``Zzackllack/AniBridge``: ``apps/api/app/providers/sto/v2.py``
(``parse_episode_providers``: ``button[data-play-url][data-provider-name]``, ``/r?t=`` redirects).
megakino: ``Zzackllack/AniBridge``: ``apps/api/app/providers/megakino/client.py``
(``_extract_host_links``: ``iframe`` ``data-src``/``src`` and elements with ``data-src``).
"""

from __future__ import annotations

from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.host import HosterLink
from anibridge_like.plugins.provider import FILM_SEASON, Language
from anibridge_like.providers.language_labels import language_from_label

ANIWORLD_LANG_KEYS: dict[str, Language] = {
    "1": Language.GERMAN_DUB,
    "2": Language.ENGLISH_SUB,
    "3": Language.GERMAN_SUB,
    "4": Language.ENGLISH_DUB,
}


def aniworld_episode_path(slug: str, season: int, number: int) -> str:
    if season == FILM_SEASON:
        return f"/anime/stream/{slug}/filme/film-{number}"
    return f"/anime/stream/{slug}/staffel-{season}/episode-{number}"


def sto_episode_path(slug: str, season: int, number: int) -> str:
    if season == FILM_SEASON:
        return f"/serie/{slug}/filme/film-{number}"
    return f"/serie/{slug}/staffel-{season}/episode-{number}"


def _text(node: LexborNode | None) -> str:
    return " ".join((node.text() if node is not None else "").split())


def _invalid(page: str, missing: str) -> PluginError:
    return PluginError(ErrorCode.INVALID_DATA, f"{page}: no {missing} found (layout changed?)")


def parse_aniworld_links(html: str, page_url: str) -> list[HosterLink]:
    """Every hoster offer of an AniWorld episode page, in page order."""
    tree = LexborHTMLParser(html)
    items = tree.css("li[data-lang-key]")
    if not items:
        raise _invalid(f"episode page {page_url}", "hoster items li[data-lang-key]")
    links: list[HosterLink] = []
    for item in items:
        language = ANIWORLD_LANG_KEYS.get((item.attributes.get("data-lang-key") or "").strip())
        target = (item.attributes.get("data-link-target") or "").strip()
        if language is None or not target:
            continue
        name = _text(item.css_first("h4"))
        if not name:
            icon = item.css_first("i.icon")
            name = (
                (icon.attributes.get("title") or "").removeprefix("Hoster ").strip() if icon else ""
            )
        if name:
            links.append(HosterLink(name, urljoin(page_url, target), language.value))
    return links


def parse_sto_links(html: str, page_url: str) -> list[HosterLink]:
    """Every hoster offer of an s.to (v2) episode page, in page order."""
    tree = LexborHTMLParser(html)
    buttons = tree.css("[data-play-url][data-provider-name]")
    if not buttons:
        raise _invalid(f"episode page {page_url}", "player buttons [data-play-url]")
    links: list[HosterLink] = []
    for button in buttons:
        attrs = button.attributes
        language = language_from_label(
            attrs.get("data-language-label"), attrs.get("data-language-id")
        )
        url = (attrs.get("data-play-url") or "").strip()
        name = (attrs.get("data-provider-name") or "").strip()
        if language is not None and url and name:
            links.append(HosterLink(name, urljoin(page_url, url), language.value))
    return links


def parse_megakino_links(html: str, page_url: str) -> list[HosterLink]:
    """Every hoster offer of a megakino film page that names its language, in page order."""
    tree = LexborHTMLParser(html)
    links: list[HosterLink] = []
    for node in tree.css("[data-src][data-language-label]"):
        attrs = node.attributes
        language = language_from_label(attrs.get("data-language-label"))
        src = (attrs.get("data-src") or "").strip()
        name = (attrs.get("data-host") or "").strip() or _text(node).rpartition("–")[2].strip()
        if language is not None and src and name:
            links.append(HosterLink(name, urljoin(page_url, src), language.value))
    if not links and tree.css_first("h1") is None:
        raise _invalid(f"film page {page_url}", "title h1")
    return links
