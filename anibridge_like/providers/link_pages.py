"""Hoster links on the sites' pages: where they are and how they read.

AniWorld
    ``/anime/stream/<slug>/staffel-<s>/episode-<n>`` (films ``…/filme/film-<n>``); one offer is
    ``li[data-lang-key][data-link-target="/redirect/<id>"]`` with the hoster name in ``h4`` (or
    ``i.icon[title="Hoster X"]``).
s.to (v2)
    ``/serie/<slug>/staffel-<s>/episode-<n>`` (films ``…/filme/film-<n>``); one offer is
    ``button[data-play-url][data-provider-name]`` with ``data-language-label``/``-id``.
megakino
    the film post ``/films/<id>-<slug>.html`` (found through the DLE search, as the provider
    does): the player's iframes (``data-src``/``src``), named by the hoster tabs
    (``.tabs-block__select span``) in order; a serial's season post: the options of the
    episode's hoster select ``select#ep<N>`` (value = embed URL, text = hoster). German only
    (the site's one language).

Evidence: AniWorld's ``data-lang-key`` values 1 = German Dub, 2 = English Sub, 3 = German Sub,
4 = English Dub (``phoenixthrush/AniWorld-Downloader``: ``src/aniworld/config.py``,
``LANG_KEY_MAP``); scrapers select ``li[data-lang-key=…]``, read ``data-link-target`` and the
``h4`` hoster name and follow the redirect to the embed page (``zerodayip/seriesmovies``: ``a.py``).
s.to v2 buttons: ``Zzackllack/AniBridge``: ``apps/api/app/providers/sto/v2.py``
(``parse_episode_providers``: ``button[data-play-url][data-provider-name]``, ``/r?t=`` redirects).
megakino: ``Zzackllack/AniBridge``: ``apps/api/app/providers/megakino/client.py``
(``_extract_host_links``: ``iframe`` ``data-src``/``src``); Scavengarr's ``megakino.me`` plugin
(``tabs-block__select`` span names, ``tabs-block__content`` links); xStream ``megakino.py``
(``select[name=pmovie__select-items]#ep<N>`` options are the episode's hoster URLs).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

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
    """Every hoster of a megakino film post, in page order (German)."""
    tree = LexborHTMLParser(html)
    player = tree.css_first(".pmovie__player")
    if player is None:
        raise _invalid(f"film page {page_url}", "player .pmovie__player")
    names = [_text(span) for span in player.css(".tabs-block__select span")]
    links: list[HosterLink] = []
    seen: set[str] = set()
    for n, frame in enumerate(player.css("iframe")):
        src = (frame.attributes.get("data-src") or frame.attributes.get("src") or "").strip()
        url = urljoin(page_url, src) if src else ""
        if not url or url in seen:
            continue
        seen.add(url)
        name = names[n] if n < len(names) and names[n] else _host_name(url)
        links.append(HosterLink(name, url, Language.GERMAN_DUB.value))
    return links


def parse_megakino_episode_links(html: str, page_url: str, number: int) -> list[HosterLink]:
    """The hosters of episode ``number`` on a megakino season post (German)."""
    tree = LexborHTMLParser(html)
    select = tree.css_first(f"select#ep{number}")
    if select is None:
        if tree.css_first("select[name='pmovie__select-items']") is None:
            raise _invalid(f"season post {page_url}", "episode hoster selects select#ep<N>")
        return []
    links: list[HosterLink] = []
    for option in select.css("option[value]"):
        url = urljoin(page_url, (option.attributes.get("value") or "").strip())
        name = _text(option) or _host_name(url)
        if url.startswith(("http://", "https://")):
            links.append(HosterLink(name, url, Language.GERMAN_DUB.value))
    return links


def _host_name(url: str) -> str:
    host = urlsplit(url).hostname or ""
    parts = host.removeprefix("www.").split(".")
    return parts[0] if parts and parts[0] else host
