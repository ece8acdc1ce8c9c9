"""Torznab latency while the daemon indexes: idle vs during a bootstrap, same daemon, same run.

Issue 12, item 7. A real daemon (``anibridge-like serve`` in a child process) serves one library
fed by two AniWorld-style instances, each against its own fake site (children of this process):

* ``aw`` (``--ready-titles``) is bootstrapped at start and serves the searches;
* ``boot`` (``--boot-titles``) points at a site that answers 503 until the measurement of the
  idle daemon is done; then its faults are cleared and a manual refresh starts its bootstrap
  (title listing, then every title's series and season pages). It feeds another library
  (``other``), so the searched library's catalog is the same in both phases and only the
  indexing work differs.

The load generator (this process) runs the same scenarios twice — idle, then while ``boot``
bootstraps — each one client alone, then ``--clients`` concurrent keep-alive clients, bounded in
requests and seconds: text searches (1–2 words of ``aw``'s titles) and RSS. CPU seconds of the
daemon and of its plugin worker are read from ``/proc`` around each phase. Run once per
``--isolation`` (``process``: the default, indexing in the plugin worker; ``inline``: indexing
on the daemon's event loop, as before issue 12).

    python bench/bench_busy_serving.py [--isolation process|inline] [--ready-titles 1500]
        [--boot-titles 2000] [--episodes 12] [--seconds 20] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anibridge_like.plugins.isolation.remote import process_cpu_seconds  # noqa: E402
from bench.bench_bootstrap import start_site  # noqa: E402
from bench.bench_torznab import _cycle, _free_port, scenario  # noqa: E402

KEY = "bench-torznab-key"
ADMIN = "bench-admin-key"


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each thread of ``pid`` (the main thread's id is ``pid``)."""
    return {int(t): process_cpu_seconds(pid, int(t)) for t in os.listdir(f"/proc/{pid}/task")}


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except FileNotFoundError:
        return []


def seed_yaml(ready_url: str, boot_url: str, rps: float | None) -> str:
    http = f"requests_per_second: {'null' if rps is None else rps}, max_concurrency: 8"
    return f"""
libraries:
  - slug: anime
    kind: anime
    api_key: "{KEY}"
  - slug: other
    kind: anime
    api_key: "{KEY}-other"
plugins:
  - name: aw
    implementation: aniworld
    kind: provider
    libraries: [anime]
    config: {{base_url: "{ready_url}", {http}}}
  - name: boot
    implementation: aniworld
    kind: provider
    libraries: [other]
    config: {{base_url: "{boot_url}", site: aniworld_boot, {http}}}
"""


def spawn(cmd: list[str], env: dict[str, str], log: Path | None) -> subprocess.Popen[bytes]:
    """A child process (its stderr to ``log``, or dropped)."""
    with open(log or os.devnull, "wb") as err:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)


async def stage_states(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    body = (await client.get("/health/catalog", headers={"X-Api-Key": ADMIN})).json()
    out: dict[str, dict[str, str]] = {}
    for inst in body.get("instances", []):
        stages = inst.get("stages", {})
        out[inst["instance"]] = {k: v["status"] for k, v in stages.items()}
        out[inst["instance"]]["running"] = "running" if inst.get("running") else "ready"
    return out


async def wait_until(client: httpx.AsyncClient, instance: str, within: float) -> float:
    began = time.monotonic()
    while time.monotonic() - began < within:
        try:
            states = await stage_states(client)
        except httpx.HTTPError:
            states = {}
        stages = states.get(instance, {})
        if stages and all(v == "ready" for v in stages.values()):
            return time.monotonic() - began
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{instance} not ready within {within} s: {states}")


async def persisted(client: httpx.AsyncClient, instance: str) -> int:
    """Titles the instance's detail stage has persisted in its current run."""
    body = (await client.get("/health/catalog", headers={"X-Api-Key": ADMIN})).json()
    for inst in body.get("instances", []):
        if inst["instance"] == instance:
            return int(inst["stages"]["detail"]["persisted"])
    return 0


async def phase(
    port: int, paths: list[str], args: argparse.Namespace, client: httpx.AsyncClient
) -> dict[str, Any]:
    """One client, then ``--clients``; with the ``boot`` detail stage's titles persisted per
    second over each (its indexing rate while serving)."""
    out: dict[str, Any] = {}
    for name, clients in (("single", 1), ("many", args.clients)):
        seconds = args.seconds / 2 if clients == 1 else args.seconds
        before, began = await persisted(client, "boot"), time.monotonic()
        out[name] = await scenario(port, _cycle(paths), clients, 20000, seconds)
        done = await persisted(client, "boot") - before
        out[name]["indexed_per_s"] = round(done / (time.monotonic() - began), 1)
    return out


def _stats(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "n": len(ordered),
        "p50": ordered[len(ordered) // 2] * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


async def interleaved(
    port: int, paths: list[str], args: argparse.Namespace, client: httpx.AsyncClient, worker: int
) -> dict[str, Any]:
    """Windows with indexing paused (the plugin worker stopped by ``SIGSTOP``: nothing of the
    bootstrap runs, in the worker or on the daemon's loop) and running (``SIGCONT``),
    alternating ``--rounds`` times in the same daemon and catalog state, so that whatever else
    the machine does over the run falls on both alike. A settle second after each switch lets
    what indexing had under way on the loop drain, or start again."""
    out: dict[str, Any] = {}
    try:
        for name, clients in (("single", 1), ("many", args.clients)):
            got: dict[str, list[float]] = {"paused": [], "running": []}
            indexed, running_s = 0, 0.0
            for _ in range(args.rounds):
                for state in ("paused", "running"):
                    os.kill(worker, signal.SIGSTOP if state == "paused" else signal.SIGCONT)
                    await asyncio.sleep(1.0)
                    before, began = await persisted(client, "boot"), time.monotonic()
                    window = await scenario(port, _cycle(paths), clients, 10**6, args.window, True)
                    got[state] += window["latencies"]
                    if state == "running":
                        indexed += await persisted(client, "boot") - before
                        running_s += time.monotonic() - began
            out[name] = {state: _stats(values) for state, values in got.items()}
            out[name]["indexed_per_s"] = round(indexed / running_s, 1)
    finally:
        os.kill(worker, signal.SIGCONT)
    return out


def plugin_worker(pid: int) -> int | None:
    """The daemon's plugin worker process (``--isolation process``)."""
    for child in children(pid):
        with open(f"/proc/{child}/cmdline", "rb") as fh:
            if b"isolation.worker" in fh.read():
                return child
    return None


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from anibridge_like.demo.catalog import GeneratedCatalog

    catalog = GeneratedCatalog("aniworld", args.ready_titles, 3, episodes_per_title=args.episodes)
    rng = random.Random(5)
    words = [w for t in catalog for w in t.title.replace(":", " ").split() if w.isalnum()]
    queries = [" ".join(rng.sample(words, rng.choice((1, 2)))) for _ in range(400)]
    paths = [f"/torznab/anime/api?t=search&q={quote(q)}&limit=50&apikey={KEY}" for q in queries]
    paths += [f"/torznab/anime/api?t=tvsearch&apikey={KEY}"] * 40  # RSS
    ready_site, ready_url = start_site("aniworld", args.ready_titles, args.episodes, 3)
    boot_site, boot_url = start_site("aniworld", args.boot_titles, args.episodes, 4)
    for site in (ready_site, boot_site):  # they stand for remote machines: CPU to the daemon
        if args.site_nice == "idle":  # only CPU nobody else wants, as if on another machine
            os.sched_setscheduler(site.pid, os.SCHED_IDLE, os.sched_param(0))
        else:
            os.setpriority(os.PRIO_PROCESS, site.pid, int(args.site_nice))
    data = Path(tempfile.mkdtemp(prefix="busy-"))
    (data / "seed.yaml").write_text(seed_yaml(ready_url, boot_url, args.rps))
    port = _free_port()
    env = {
        **os.environ,
        "ANIBRIDGE_DATA_DIR": str(data),
        "ANIBRIDGE_SEED_PATH": str(data / "seed.yaml"),
        "ANIBRIDGE_PORT": str(port),
        "ANIBRIDGE_ADMIN_API_KEY": ADMIN,
        "ANIBRIDGE_PLUGIN_ISOLATION": args.isolation,
        "ANIBRIDGE_LOG_LEVEL": "warning",
        "ANIBRIDGE_LOG_FORMAT": "json",
    }
    result: dict[str, Any] = {"isolation": args.isolation}
    async with httpx.AsyncClient(base_url=boot_url) as boot:
        await boot.post("/__faults", json={"kind": "server_error", "status": 503})
    daemon = spawn([sys.executable, "-m", "anibridge_like", "serve"], env, data / "daemon.log")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            result["aw_bootstrap_s"] = round(await wait_until(client, "aw", 600), 1)
            await phase(port, paths[:50], args, client)  # warm-up
            cpu0 = {"daemon": process_cpu_seconds(daemon.pid)}
            t0 = time.monotonic()
            result["idle_wall"] = [time.time()]
            result["idle"] = await phase(port, paths, args, client)
            result["idle_wall"].append(time.time())
            result["idle_cpu"] = {"daemon": process_cpu_seconds(daemon.pid) - cpu0["daemon"]}
            result["idle_s"] = time.monotonic() - t0
            async with httpx.AsyncClient(base_url=boot_url) as boot:
                await boot.delete("/__faults")
            for _ in range(240):  # a failing run of `boot` may still be retrying the 503s
                started = await client.post(
                    "/api/v1/plugins/boot/refresh", headers={"X-Api-Key": ADMIN}
                )
                if started.status_code != 409:
                    break
                await asyncio.sleep(0.5)
            assert started.status_code == 202, started.text
            await asyncio.sleep(2)  # the listing is one page: let the detail stage begin
            pids = {"daemon": daemon.pid, **{f"child{p}": p for p in children(daemon.pid)}}
            cpu1 = {k: process_cpu_seconds(p) for k, p in pids.items()}
            threads1 = thread_cpu(daemon.pid)
            spy = None
            if args.pyspy:  # a sampling profile of the daemon during the busy phase
                cmd = [str(Path(sys.executable).parent / "py-spy"), "record", "--threads"]
                cmd += ["-p", str(daemon.pid), "-d", str(int(args.seconds)), "-r", "250"]
                spy = spawn([*cmd, "-f", "raw", "-o", args.pyspy], dict(os.environ), None)
            t1 = time.monotonic()
            result["busy_wall"] = [time.time()]
            result["busy"] = await phase(port, paths, args, client)
            result["busy_wall"].append(time.time())
            result["busy_s"] = time.monotonic() - t1
            if spy is not None:
                spy.wait(60)
            result["busy_cpu"] = {k: process_cpu_seconds(p) - cpu1[k] for k, p in pids.items()}
            threads = {t: c - threads1.get(t, 0.0) for t, c in thread_cpu(daemon.pid).items()}
            result["busy_daemon_threads_cpu"] = {
                "main": round(threads.pop(daemon.pid, 0.0), 1),
                "others, largest first": sorted(round(c, 1) for c in threads.values())[::-1][:4],
            }
            states = await stage_states(client)
            result["boot_state_after_busy_phase"] = states.get("boot")
            worker = plugin_worker(daemon.pid)
            if args.rounds and worker is not None:
                result["interleaved"] = await interleaved(port, paths, args, client, worker)
            before = await persisted(client, "boot")
            await asyncio.sleep(5)  # nobody searching: the detail stage's own rate
            result["indexed_per_s_alone"] = round((await persisted(client, "boot") - before) / 5, 1)
            result["boot_remaining_s"] = (
                round(await wait_until(client, "boot", 900), 1) if args.rps is None else None
            )
    finally:
        daemon.terminate()
        daemon.wait(30)
        for site in (ready_site, boot_site):
            site.kill()
            site.wait(10)
    return result


def _row(name: str, r: dict[str, Any]) -> str:
    s, m = r["single"], r["many"]
    return (
        f"| {name} | {s['p50']:.2f} | {s['p99']:.2f} | {s['rps']:.0f} | "
        f"{m['p50']:.2f} | {m['p99']:.2f} | {m['rps']:.0f} | {m['errors']} |"
    )


def _interleaved_rows(args: argparse.Namespace, inter: dict[str, Any] | None) -> list[str]:
    if not inter:
        return []
    rows = [
        f"interleaved ({args.rounds} rounds of {args.window:g} s windows, indexing paused by "
        "SIGSTOP of the plugin worker / running):",
        "| clients | paused p50 / p99 ms (n) | running p50 / p99 ms (n) | running/paused p99 "
        "| boot titles indexed/s while running |",
        "|---|---|---|---|---|",
    ]
    for name, clients in (("single", 1), ("many", args.clients)):
        a, b = inter[name]["paused"], inter[name]["running"]
        rows.append(
            f"| {clients} | {a['p50']:.2f} / {a['p99']:.2f} ({a['n']}) | {b['p50']:.2f} / "
            f"{b['p99']:.2f} ({b['n']}) | {b['p99'] / a['p99']:.2f} | "
            f"{inter[name]['indexed_per_s']} |"
        )
    return rows


def report(args: argparse.Namespace, result: dict[str, Any]) -> str:
    idle, busy = result["idle"], result["busy"]
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[:3]
    cpu = {k: round(v, 1) for k, v in result["busy_cpu"].items()}
    return "\n".join(
        [
            f"isolation={args.isolation} load={load}",
            f"| phase | 1 client p50 ms | p99 ms | req/s | {args.clients} clients p50 ms "
            "| p99 ms | req/s | errors |",
            "|---|---|---|---|---|---|---|---|",
            _row("idle", idle),
            _row("during bootstrap", busy),
            f"busy/idle p99: 1 client {busy['single']['p99'] / idle['single']['p99']:.2f}, "
            f"{args.clients} clients {busy['many']['p99'] / idle['many']['p99']:.2f}",
            f"CPU s idle {result['idle_cpu']} over {result['idle_s']:.1f} s; busy {cpu} over "
            f"{result['busy_s']:.1f} s; boot after: {result['boot_state_after_busy_phase']}, "
            f"finished {result['boot_remaining_s']} s later",
            *_interleaved_rows(args, result.get("interleaved")),
            f"daemon threads' CPU s during the busy phase: {result['busy_daemon_threads_cpu']}",
            f"boot titles indexed/s: 1 client {busy['single']['indexed_per_s']}, "
            f"{args.clients} clients {busy['many']['indexed_per_s']}, nobody searching (5 s "
            f"after the phase) {result['indexed_per_s_alone']}",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--isolation", choices=("process", "inline"), default="process")
    parser.add_argument("--ready-titles", type=int, default=1500)
    parser.add_argument("--boot-titles", type=int, default=2000)
    parser.add_argument("--episodes", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--rps",
        type=float,
        default=None,
        help="the boot instance's requests_per_second (default: unlimited, the bootstrap "
        "runs as fast as the fake site answers)",
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="after the busy phase: rounds of indexing paused / running windows (0 = none)",
    )
    parser.add_argument("--window", type=float, default=4.0, help="seconds of each window")
    parser.add_argument("--json", action="store_true", help="print the raw result as JSON")
    parser.add_argument(
        "--site-nice",
        default="idle",
        help="scheduling of the fake sites, which stand for remote machines: 'idle' "
        "(SCHED_IDLE, the default: CPU time nothing else wants) or a niceness (0 = compete)",
    )
    parser.add_argument(
        "--pyspy", help="write a py-spy raw profile of the daemon's busy phase to this path"
    )
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if args.json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    sys.stdout.write(report(args, result) + "\n")


if __name__ == "__main__":
    main()
