"""The plugin manager: instances built once per reload (typed per kind, failures kept as
``not_configured``), the one call boundary (log context, error mapping), fan-out over the
instances in a library's scope with the library in the payload; and the kinds table."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest
import structlog

from anibridge_like.libraries.snapshot import load_libraries
from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.manager import PluginManager
from anibridge_like.plugins.provider import Provider
from anibridge_like.plugins.registry import BUILTINS, PLUGIN_KINDS, Registry
from anibridge_like.reconcile import make_reconcile_unit
from anibridge_like.seed import parse_seed
from anibridge_like.storage.database import ReaderPool
from anibridge_like.storage.writer import Writer
from tests.plugin_doubles import EXTRA, EchoProvider

REGISTRY = Registry(extra=EXTRA)


def _seed(**changes: Any) -> dict[str, Any]:
    plugins = [
        {"name": "a-anime", "implementation": "echo", "kind": "provider", "libraries": ["anime"]},
        {"name": "b-all", "implementation": "echo", "kind": "provider"},
        {"name": "c-series", "implementation": "echo", "kind": "provider", "libraries": ["series"]},
        {"name": "d-off", "implementation": "echo", "kind": "provider", "enabled": False},
        {"name": "meta", "implementation": "echometa", "kind": "metadata"},
    ]
    for name, change in changes.items():
        next(p for p in plugins if p["name"] == name).update(change)
    return {
        "libraries": [
            {"slug": "anime", "name": "Anime", "kind": "anime"},
            {"slug": "series", "kind": "series"},
        ],
        "plugins": plugins,
    }


async def _apply(writer: Writer, data: dict[str, Any]) -> None:
    await writer.run(make_reconcile_unit(parse_seed(data, REGISTRY, environ={}), REGISTRY, {}))


@pytest.fixture
async def manager(writer: Writer, readers: ReaderPool) -> AsyncIterator[PluginManager]:
    await _apply(writer, _seed())
    async with httpx.AsyncClient() as http:
        plugins = PluginManager(REGISTRY, http, environ={})
        await plugins.reload(readers)
        yield plugins


async def test_instances_are_built_once_per_reload_and_rebuilt_when_changed(
    manager: PluginManager, writer: Writer, readers: ReaderPool
) -> None:
    first = manager.get("a-anime", Provider)
    assert isinstance(first.plugin, EchoProvider) and first.kind == "provider"
    await manager.reload(readers)
    assert manager.get("a-anime", Provider).plugin is first.plugin  # unchanged row: kept
    await _apply(writer, _seed(**{"a-anime": {"config": {"site": "elsewhere"}}}))
    await manager.reload(readers)
    rebuilt = manager.get("a-anime", Provider)
    assert rebuilt.plugin is not first.plugin and rebuilt.plugin is not None
    assert rebuilt.plugin.site == "elsewhere"
    assert manager.names("metadata") == ["meta"]
    assert manager.names("provider") == ["a-anime", "b-all", "c-series", "d-off"]


async def test_an_instance_that_cannot_be_built_is_kept_as_not_configured(
    writer: Writer, readers: ReaderPool
) -> None:
    await _apply(writer, _seed())
    await writer.execute(
        "UPDATE plugin_instances SET config = '{\"surprise\": 1}' WHERE name = 'b-all'"
    )
    async with httpx.AsyncClient() as http:
        manager = PluginManager(REGISTRY, http, environ={})
        await manager.reload(readers)
        broken = manager.get("b-all", Provider)
        assert broken.plugin is None and broken.error is not None
        assert broken.error.code is ErrorCode.NOT_CONFIGURED and "surprise" in broken.error.message
        assert not broken.usable
        with pytest.raises(PluginError) as info:
            await manager.call(broken, lambda p: p.list_titles(""))
        assert info.value.code is ErrorCode.NOT_CONFIGURED


async def test_the_call_boundary_binds_context_and_maps_plugin_bugs_to_upstream(
    manager: PluginManager, readers: ReaderPool
) -> None:
    (anime, _series) = await load_libraries(readers)
    instance = manager.get("a-anime", Provider)
    seen: dict[str, Any] = {}

    async def buggy(plugin: Provider) -> None:
        seen.update(structlog.contextvars.get_contextvars())
        raise KeyError("oops")

    with pytest.raises(PluginError) as info:
        await manager.call(instance, buggy, library=anime, job="nightly")
    assert info.value.code is ErrorCode.UPSTREAM and "KeyError" in info.value.message
    assert seen == {"plugin": "a-anime", "library": "anime", "job": "nightly"}
    assert structlog.contextvars.get_contextvars() == {}  # unbound afterwards

    async def limited(plugin: Provider) -> None:
        raise PluginError(ErrorCode.RATE_LIMITED, "slow down", retry_after=30)

    with pytest.raises(PluginError) as limited_info:
        await manager.call(instance, limited)
    assert limited_info.value.code is ErrorCode.RATE_LIMITED and limited_info.value.retry


async def test_fan_out_calls_each_instance_in_scope_and_skips_a_failing_one(
    manager: PluginManager, readers: ReaderPool
) -> None:
    anime, series = await load_libraries(readers)
    payloads: list[tuple[str, Mapping[str, str]]] = []

    async def ask(plugin: Provider, payload: Mapping[str, str]) -> str:
        assert isinstance(plugin, EchoProvider)
        payloads.append((plugin.site, payload))
        if len(payloads) == 1:
            raise PluginError(ErrorCode.UPSTREAM, "first one is down")
        return f"answer for {payload['library_slug']}"

    results = await manager.fan_out("provider", anime, ask, contract=Provider, job="probe")
    assert [(r.instance, r.ok) for r in results] == [("a-anime", False), ("b-all", True)]
    assert results[1].value == "answer for anime"
    assert results[0].error is not None and results[0].error.code is ErrorCode.UPSTREAM
    assert payloads[0][1] == {"library_slug": "anime", "library_name": "Anime"}
    in_series = [i.name for i in manager.in_scope("provider", series)]
    assert in_series == ["b-all", "c-series"]  # d-off is disabled, a-anime out of scope
    assert manager.in_scope("metadata", series)[0].name == "meta"


def test_every_kind_is_one_table_entry_with_its_contract_and_group() -> None:
    import importlib

    for kind, spec in PLUGIN_KINDS.items():
        module = importlib.import_module(spec.contract)
        assert module.__doc__, f"{kind}: the contract module documents the contract"
        assert spec.entry_point_group.startswith("anibridge_like.")
        assert kind in BUILTINS or not BUILTINS.get(kind)
    assert set(REGISTRY.kinds()) >= set(PLUGIN_KINDS)
    assert PLUGIN_KINDS["provider"].columns == ("site", "refresh_interval_hours", "refresh_cron")
    assert PLUGIN_KINDS["metadata"].columns == ()
