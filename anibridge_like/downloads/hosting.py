"""Host plugins at work: build the instances, order an episode's links by the configured hoster
preference, and resolve one link with a per-host timeout behind the one plugin call boundary.

Instances come from the seed's ``kind: host`` entries; with none configured, every registered
host implementation runs once with its default config. For a link, a plugin that names the
hoster in its capabilities is preferred over a generic one (``hosters = None``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import structlog

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.host import Host, HosterLink, MediaSource
from anibridge_like.plugins.instances import load_instances
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import resolve_env
from anibridge_like.storage.database import ReaderPool

log = structlog.get_logger(__name__)


def order_links(links: Sequence[HosterLink], preference: Sequence[str]) -> list[HosterLink]:
    """``links`` sorted by ``preference`` (hoster names, case-insensitive); others keep page order
    after the preferred ones."""
    rank = {name.casefold(): i for i, name in enumerate(preference)}
    return sorted(links, key=lambda link: rank.get(link.hoster.casefold(), len(rank)))


class Hosters:
    """The host plugin instances and how a hoster link becomes a media source."""

    def __init__(self, hosts: Sequence[tuple[str, Host]], *, timeout: float) -> None:
        specific = [h for h in hosts if h[1].capabilities.hosters is not None]
        generic = [h for h in hosts if h[1].capabilities.hosters is None]
        self._hosts = [*specific, *generic]
        self._timeout = timeout

    @classmethod
    async def build(
        cls,
        readers: ReaderPool,
        registry: Registry,
        client: httpx.AsyncClient,
        *,
        host_timeout: float,
        environ: Mapping[str, str] | None = None,
    ) -> Hosters:
        env = os.environ if environ is None else environ
        built: list[tuple[str, Host]] = []
        configured = [i for i in await load_instances(readers, "host") if i.enabled]
        if configured:
            for instance in configured:
                impl = registry.get("host", instance.implementation)
                config = impl.config_model.model_validate(resolve_env(instance.config, env))
                built.append((instance.name, impl(config, client)))
        else:
            for name in registry.names("host"):
                impl = registry.get("host", name)
                built.append((name, impl(impl.config_model(), client)))
        return cls(built, timeout=host_timeout)

    def host_for(self, hoster: str) -> tuple[str, Host] | None:
        return next((h for h in self._hosts if h[1].capabilities.handles(hoster)), None)

    async def resolve(self, link: HosterLink) -> MediaSource:
        """The media behind ``link`` (raises :class:`PluginError`; a timeout is ``timeout``)."""
        chosen = self.host_for(link.hoster)
        if chosen is None:
            raise PluginError(ErrorCode.NOT_CONFIGURED, f"no host plugin handles {link.hoster}")
        name, host = chosen
        try:
            async with asyncio.timeout(self._timeout):
                return await host.resolve(link.url)
        except PluginError:
            raise
        except TimeoutError as exc:
            raise PluginError(
                ErrorCode.TIMEOUT, f"{link.hoster} did not answer within {self._timeout:g} s"
            ) from exc
        except Exception as exc:  # the plugin call boundary: a bug in the plugin
            log.warning("host.plugin_bug", plugin=name, hoster=link.hoster, error=repr(exc))
            raise PluginError(ErrorCode.UPSTREAM, f"host plugin {name} failed: {exc!r}") from exc


def describe(error: Any) -> str:
    return error.message if isinstance(error, PluginError) else str(error)
