"""Host plugins at work: which instances, the order an episode's links are tried in (the
configured hoster preference), and one link resolved with a per-host timeout through the plugin
manager's call boundary (:meth:`~anibridge_like.plugins.manager.PluginManager.call`).

Instances are the seed's ``kind: host`` entries as the manager built them; with none configured,
every registered host implementation runs once with its default config. For a link, a plugin
that names the hoster in its capabilities is preferred over a generic one (``hosters = None``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.host import Host, HosterLink, MediaSource
from anibridge_like.plugins.instances import InstanceRow
from anibridge_like.plugins.manager import PluginInstance, PluginManager


def order_links(links: Sequence[HosterLink], preference: Sequence[str]) -> list[HosterLink]:
    """``links`` sorted by ``preference`` (hoster names, case-insensitive); others keep page order
    after the preferred ones."""
    rank = {name.casefold(): i for i, name in enumerate(preference)}
    return sorted(links, key=lambda link: rank.get(link.hoster.casefold(), len(rank)))


def default_instance(name: str, plugin: Host) -> PluginInstance[Host]:
    """An unconfigured host implementation as an instance (all libraries, default config)."""
    row = InstanceRow(0, name, name, "host", None, True, {}, None, None, None)
    return PluginInstance(row, plugin)


class Hosters:
    """The host plugin instances and how a hoster link becomes a media source."""

    def __init__(
        self, manager: PluginManager, instances: Sequence[PluginInstance[Host]], *, timeout: float
    ) -> None:
        usable = [i for i in instances if i.usable and i.plugin is not None]
        self._instances = sorted(
            usable,
            key=lambda i: i.plugin.capabilities.hosters is None,  # type: ignore[union-attr]
        )
        self._manager = manager
        self._timeout = timeout

    @classmethod
    def from_manager(cls, manager: PluginManager, *, host_timeout: float) -> Hosters:
        configured: list[PluginInstance[Host]] = manager.of_kind("host", Host)
        if not configured:
            registry = manager.registry
            for name in registry.names("host"):
                impl = registry.get("host", name)
                configured.append(default_instance(name, impl(impl.config_model(), manager.http)))
        return cls(manager, configured, timeout=host_timeout)

    def host_for(self, hoster: str) -> PluginInstance[Host] | None:
        return next(
            (
                i
                for i in self._instances
                if i.plugin is not None and i.plugin.capabilities.handles(hoster)
            ),
            None,
        )

    async def resolve(self, link: HosterLink) -> MediaSource:
        """The media behind ``link`` (raises :class:`PluginError`; a timeout is ``timeout``)."""
        chosen = self.host_for(link.hoster)
        if chosen is None:
            raise PluginError(ErrorCode.NOT_CONFIGURED, f"no host plugin handles {link.hoster}")

        async def call(host: Host) -> MediaSource:
            return await host.resolve(link.url)

        try:
            async with asyncio.timeout(self._timeout):
                return await self._manager.call(chosen, call, job=f"download:{link.hoster}")
        except TimeoutError as exc:
            raise PluginError(
                ErrorCode.TIMEOUT, f"{link.hoster} did not answer within {self._timeout:g} s"
            ) from exc
