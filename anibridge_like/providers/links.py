"""Hoster links of one episode, read from the site of the provider instance that indexed it.

The reader per provider implementation is listed in :data:`LINK_READERS` (a registry like the
plugin registry's built-ins; the core looks readers up, it never branches on a name). Links are
kept for ``max_age`` seconds: redirect targets on the sites are stable for a while, and a
download's retries or a ``.strm`` play should not refetch the page each time. A caller whose
every hoster failed asks again with ``refresh=True`` (stale links are the usual reason).
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import structlog

from anibridge_like.plugins.env import resolve_config
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.host import HosterLink
from anibridge_like.plugins.manager import PluginManager
from anibridge_like.plugins.provider import FILM_SEASON, Language, Provider
from anibridge_like.providers.http import PoliteClient
from anibridge_like.providers.link_pages import (
    aniworld_episode_path,
    parse_aniworld_links,
    parse_megakino_episode_links,
    parse_megakino_links,
    parse_sto_links,
    sto_episode_path,
)
from anibridge_like.providers.megakino_pages import parse_search_results

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class EpisodeRef:
    """An episode (or film) in the site's own numbering, and the grabbed language."""

    site: str
    slug: str
    season: int
    number: int
    language: Language

    def __str__(self) -> str:
        return f"{self.site}/{self.slug} S{self.season}E{self.number} {self.language.value}"


Reader = Callable[[PoliteClient, EpisodeRef], Awaitable[list[HosterLink]]]


async def _aniworld(http: PoliteClient, ref: EpisodeRef) -> list[HosterLink]:
    path = aniworld_episode_path(ref.slug, ref.season, ref.number)
    return parse_aniworld_links(await http.get_text(path), str(http.url(path)))


async def _sto(http: PoliteClient, ref: EpisodeRef) -> list[HosterLink]:
    path = sto_episode_path(ref.slug, ref.season, ref.number)
    return parse_sto_links(await http.get_text(path), str(http.url(path)))


async def _megakino(http: PoliteClient, ref: EpisodeRef) -> list[HosterLink]:
    """A film's post, or the season post of a serial episode, found through the DLE search."""
    base, _, suffix = ref.slug.rpartition("-")
    film = ref.season == FILM_SEASON
    for query in (ref.slug, base if suffix.isdigit() else ""):
        if not query:
            continue
        path = "/index.php?" + urlencode(
            {"do": "search", "subaction": "search", "story": query.replace("-", " ")}
        )
        for entry in parse_search_results(await http.get_text(path), f"search {path}"):
            if not film and entry.slug == ref.slug and entry.season == ref.season:
                return parse_megakino_episode_links(
                    await http.get_text(entry.path), str(http.url(entry.path)), ref.number
                )
            if film and (
                entry.slug == ref.slug
                or (entry.slug == base and suffix.isdigit() and entry.site_id == int(suffix))
            ):
                return parse_megakino_links(
                    await http.get_text(entry.path), str(http.url(entry.path))
                )
    raise PluginError(ErrorCode.NOT_FOUND, f"{ref}: no megakino post found", retry=False)


LINK_READERS: dict[str, Reader] = {"aniworld": _aniworld, "sto": _sto, "megakino": _megakino}
"""Episode-link reader per provider implementation."""


class EpisodeLinks:
    """Reads (and keeps for a while) the hoster links of episodes for the download service."""

    def __init__(
        self,
        manager: PluginManager,
        client: httpx.AsyncClient,
        *,
        max_age: float,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._manager = manager
        self._client = client
        self._max_age = max_age
        self._environ = environ
        self._cache: dict[tuple[str, str, int, int], tuple[float, list[HosterLink]]] = {}
        self._sites: dict[str, tuple[PoliteClient, Reader]] = {}

    async def _site(self, site: str) -> tuple[PoliteClient, Reader]:
        if site in self._sites:
            return self._sites[site]
        for built in self._manager.of_kind("provider", Provider):
            instance = built.row
            if not built.usable or instance.implementation not in LINK_READERS:
                continue
            impl = self._manager.registry.get("provider", instance.implementation)
            if (instance.site or impl.capabilities.site) != site:
                continue
            env = os.environ if self._environ is None else self._environ
            config = impl.config_model.model_validate(resolve_config(instance.config, env))
            http = PoliteClient(config, self._client, plugin=instance.name, site=site)
            self._sites[site] = (http, LINK_READERS[instance.implementation])
            return self._sites[site]
        raise PluginError(
            ErrorCode.NOT_CONFIGURED,
            f"no enabled provider instance serves site {site!r} with readable hoster links",
            retry=False,
        )

    async def links(self, ref: EpisodeRef, *, refresh: bool = False) -> list[HosterLink]:
        """Hoster links of ``ref`` in its language, in page order."""
        key = (ref.site, ref.slug, ref.season, ref.number)
        cached = self._cache.get(key)
        now = time.monotonic()
        if refresh or cached is None or now - cached[0] > self._max_age:
            http, reader = await self._site(ref.site)
            found = await reader(http, ref)
            log.debug("links.read", episode=str(ref), links=len(found))
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = (now, found)
            cached = self._cache[key]
        return [link for link in cached[1] if link.language == ref.language.value]
