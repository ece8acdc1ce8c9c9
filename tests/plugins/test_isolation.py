"""Plugin isolation: contract calls of the indexing kinds run in the worker process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import structlog

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.isolation.remote import (
    PluginWorker,
    RemoteCrash,
    RemotePlugin,
    remote_plugin,
)
from anibridge_like.plugins.provider import Language, Provider
from anibridge_like.plugins.registry import PLUGIN_KINDS
from tests.plugins.isolation_doubles import ProbeConfig, ProbeProvider

METHODS = PLUGIN_KINDS["provider"].remote_methods


@pytest.fixture
async def worker() -> AsyncIterator[PluginWorker]:
    w = PluginWorker({"log_level": "warning", "log_format": "json"})
    try:
        yield w
    finally:
        await w.aclose()


def _proxy(worker: PluginWorker, tmp_path: Path, name: str = "probe") -> Provider:
    config = {"marker_dir": str(tmp_path)}
    local = ProbeProvider(ProbeConfig.model_validate(config), httpx.AsyncClient())
    proxy: Provider = remote_plugin(worker, name, local, config, METHODS)
    return proxy


async def test_contract_calls_run_in_the_worker_and_answers_cross_unchanged(
    worker: PluginWorker, tmp_path: Path
) -> None:
    proxy = _proxy(worker, tmp_path)
    assert isinstance(proxy, RemotePlugin) and isinstance(proxy, Provider)
    assert proxy.site == "probe" and type(proxy).capabilities.site == "probe"
    assert worker.pid is None  # started on first use, not before
    with structlog.contextvars.bound_contextvars(plugin="probe", stage="title"):
        page = await proxy.list_titles("")
    assert worker.pid is not None and worker.pid != os.getpid()
    assert page.items[0].slug == f"pid-{worker.pid}" and page.has_more
    assert "('plugin', 'probe')" in page.items[1].title  # the caller's log context crossed
    assert "('stage', 'title')" in page.items[1].title
    detail = await proxy.fetch_detail("heidi")
    assert detail.title == "Heidi" and detail.external_ids == {"imdb": "tt1"}
    assert detail.episodes[0].languages == frozenset({Language.GERMAN_SUB})
    # concurrent calls are answered by id, each its own
    details = await asyncio.gather(*(proxy.fetch_detail(f"t{i}") for i in range(50)))
    assert [d.slug for d in details] == [f"t{i}" for i in range(50)]
    assert worker.starts == 1


async def test_errors_cross_as_the_contract_says(worker: PluginWorker, tmp_path: Path) -> None:
    proxy = _proxy(worker, tmp_path)
    with pytest.raises(PluginError) as info:
        await proxy.fetch_detail("missing")
    assert info.value.code is ErrorCode.RATE_LIMITED and info.value.retry_after == 7.5
    with pytest.raises(RemoteCrash) as crash:
        await proxy.fetch_detail("boom")
    assert crash.value.type_name == "ValueError" and "the plugin has a bug" in str(crash.value)
    assert (await proxy.fetch_detail("after")).slug == "after"  # the worker lives on


async def test_cancelling_a_call_cancels_it_in_the_worker(
    worker: PluginWorker, tmp_path: Path
) -> None:
    proxy = _proxy(worker, tmp_path)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.5):
            await proxy.fetch_detail("slow")
    marker = tmp_path / "cancelled"
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    assert marker.read_text() == "yes"


async def test_a_killed_worker_fails_its_calls_as_retryable_and_is_restarted(
    worker: PluginWorker, tmp_path: Path
) -> None:
    proxy = _proxy(worker, tmp_path)
    await proxy.list_titles("")
    first = worker.pid
    assert first is not None
    pending = asyncio.create_task(proxy.fetch_detail("slow"))
    await asyncio.sleep(0.3)
    os.kill(first, signal.SIGKILL)
    with pytest.raises(PluginError) as info:
        await asyncio.wait_for(pending, 10)
    assert info.value.code is ErrorCode.UPSTREAM and info.value.retry
    assert "plugin worker exited" in info.value.message
    page = await proxy.list_titles("")  # built again in a new worker
    assert worker.starts == 2 and worker.pid != first
    assert page.items[0].slug == f"pid-{worker.pid}"


async def test_a_class_the_worker_cannot_import_stays_in_the_daemon(
    worker: PluginWorker,
) -> None:
    class Local(ProbeProvider):
        pass

    config = {"marker_dir": ""}
    local = Local(ProbeConfig.model_validate(config), httpx.AsyncClient())
    assert remote_plugin(worker, "local", local, config, METHODS) is local
    page = await local.list_titles("")
    assert page.items[0].slug == f"pid-{os.getpid()}" and worker.pid is None


_ORPHAN_SCRIPT = """
import asyncio, sys, httpx
from anibridge_like.plugins.isolation.remote import PluginWorker, remote_plugin
from tests.plugins.isolation_doubles import ProbeConfig, ProbeProvider

async def main():
    worker = PluginWorker({"log_level": "warning", "log_format": "json"})
    local = ProbeProvider(ProbeConfig(), httpx.AsyncClient())
    proxy = remote_plugin(worker, "p", local, {}, ("list_titles", "fetch_detail"))
    await proxy.list_titles("")
    print("PID", worker.pid, flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie of ours counts as gone
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_the_worker_exits_when_the_daemon_is_killed() -> None:
    daemon = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_SCRIPT],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert daemon.stdout is not None
        line = ""
        for _ in range(100):
            line = daemon.stdout.readline()
            if line.startswith("PID ") or not line:
                break
        worker_pid = int(line.split()[1])
        assert _alive(worker_pid)
        daemon.kill()
        daemon.wait(10)
        deadline = time.monotonic() + 10
        while _alive(worker_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker_pid), "the worker outlived its killed daemon"
    finally:
        daemon.kill()
        daemon.wait(10)


async def test_the_worker_gives_up_priority_as_configured(tmp_path: Path) -> None:
    worker = PluginWorker({"log_level": "warning", "log_format": "json", "nice": 7})
    try:
        await _proxy(worker, tmp_path).list_titles("")
        assert worker.pid is not None
        own = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) == min(19, own + 7)
    finally:
        await worker.aclose()


def test_the_settings_reach_the_worker() -> None:
    from anibridge_like.plugins.isolation.remote import worker_options
    from anibridge_like.settings import Settings

    settings = Settings(plugin_worker_nice=3, log_level="debug", http_timeout=9.5)  # type: ignore[call-arg]
    options = worker_options(settings)
    assert options["nice"] == 3 and options["log_level"] == "debug"
    assert options["http_timeout"] == 9.5 and options["log_format"] in ("json", "console")


def test_the_worker_key_names_the_instance_and_hides_the_config() -> None:
    from anibridge_like.plugins.isolation.remote import config_key

    key = config_key("tmdb", "x:Y", {"api_key": "s3cret-value"})
    assert key.startswith("tmdb#") and "s3cret" not in key
    assert key != config_key("tmdb", "x:Y", {"api_key": "other"})
    assert key == config_key("tmdb", "x:Y", {"api_key": "s3cret-value"})
