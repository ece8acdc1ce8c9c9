"""Choosing and calling host plugins: preference order, a plugin naming the hoster before the
generic one, and the per-host timeout of the core's call boundary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
import pytest

from anibridge_like.demo.faults import FaultController
from anibridge_like.demo.hosters import build_app, embed_url
from anibridge_like.downloads.hosting import Hosters, default_instance, order_links
from anibridge_like.hosts.generic import GenericHost, GenericHostConfig
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.host import HostCapabilities, HosterLink, MediaSource
from anibridge_like.plugins.manager import PluginManager
from anibridge_like.plugins.registry import Registry

BASE = "http://hosters.test"


class OnlyVoe:
    capabilities: ClassVar[HostCapabilities] = HostCapabilities(hosters=frozenset({"voe"}))

    def __init__(self, config: Mapping[str, Any], client: httpx.AsyncClient) -> None:
        self.calls = 0

    async def resolve(self, embed_url: str) -> MediaSource:
        self.calls += 1
        return MediaSource(embed_url + "#special", "progressive")


def _link(hoster: str) -> HosterLink:
    return HosterLink(hoster, embed_url(BASE, hoster, "k9"), "de_dub")


def test_links_follow_the_preference_then_page_order() -> None:
    links = [_link(h) for h in ("VOE", "Streamtape", "Filemoon", "Vidoza")]
    ordered = order_links(links, ["filemoon", "VOE"])
    assert [link.hoster for link in ordered] == ["Filemoon", "VOE", "Streamtape", "Vidoza"]


async def test_a_plugin_naming_the_hoster_wins_and_slow_hosters_time_out() -> None:
    faults = FaultController()
    app = build_app(faults=faults)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        special = OnlyVoe({}, client)
        instances = [
            default_instance("generic", GenericHost(GenericHostConfig(), client)),
            default_instance("voe", special),
        ]
        hosters = Hosters(PluginManager(Registry(), client), instances, timeout=0.3)
        assert (await hosters.resolve(_link("VOE"))).url.endswith("#special")
        generic = await hosters.resolve(_link("Filemoon"))
        assert generic.protocol == "hls" and special.calls == 1
        faults.add("slow", path="/vidoza/e/*", delay=2.0)
        with pytest.raises(PluginError) as caught:
            await hosters.resolve(_link("Vidoza"))
        assert caught.value.code is ErrorCode.TIMEOUT and "0.3 s" in caught.value.message


async def test_seed_host_instances_replace_the_defaults(tmp_path: Any) -> None:
    from anibridge_like.app import create_app
    from anibridge_like.seed import parse_seed
    from anibridge_like.settings import Settings

    registry = Registry()
    seed = parse_seed(
        {
            "plugins": [
                {
                    "name": "plain",
                    "implementation": "generic",
                    "kind": "host",
                    "config": {"referer": False},
                }
            ]
        },
        registry,
        environ={},
    )
    app = create_app(
        Settings(_env_file=None, data_dir=tmp_path),
        seed=seed,
        registry=registry,  # type: ignore[call-arg]
        start_services=False,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=build_app())
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            manager = PluginManager(registry, client)
            await manager.reload(app.state.ctx.readers)
            hosters = Hosters.from_manager(manager, host_timeout=5)
            media = await hosters.resolve(_link("VOE"))
    assert media.protocol == "progressive" and dict(media.headers) == {}
