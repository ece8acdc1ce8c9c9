"""Command line: ``anibridge-like serve [--demo] | migrate | check-config [FILE] | healthcheck |
connect sonarr|radarr|prowlarr URL KEY | --version``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import structlog
from pydantic import ValidationError

from anibridge_like import __version__
from anibridge_like.logging import configure_logging
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import SeedError, load_seed
from anibridge_like.settings import Settings

if TYPE_CHECKING:
    from anibridge_like.arr.resources import AppSpec, Target


def _settings_or_exit() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        print(f"invalid environment settings ({exc.error_count()} error(s)):", file=sys.stderr)
        for err in exc.errors():
            name = "ANIBRIDGE_" + "_".join(str(p) for p in err["loc"]).upper()
            print(f"  {name}: {err['msg']}", file=sys.stderr)
        raise SystemExit(2) from None


NO_SEED_HINT = (
    "copy config.example.yaml (in the source tree and the Docker image under /app) to "
    "<data_dir>/config.yaml or point ANIBRIDGE_SEED_PATH at your seed"
)


def _warn_unknown_env() -> None:
    """Mistyped ``ANIBRIDGE_*`` variables, one line each (a warning: the start continues)."""
    import os

    from anibridge_like.settings import unknown_env_names

    for line in unknown_env_names(os.environ):
        print(f"warning: {line}", file=sys.stderr)


def _timezone_or_exit(settings: Settings) -> None:
    """``ANIBRIDGE_TIMEZONE`` must be an IANA name (the scheduler's default timezone)."""
    from anibridge_like.jobs.cron import ScheduleError, zone

    try:
        zone(settings.timezone)
    except ScheduleError as exc:
        print("invalid environment settings (1 error(s)):", file=sys.stderr)
        print(f"  ANIBRIDGE_TIMEZONE: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _cmd_check_config(args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    _warn_unknown_env()
    _timezone_or_exit(settings)
    path = args.file or args.seed or settings.resolved_seed_path()
    if path is None:
        print(
            f"error: no seed file ({settings.data_dir / 'config.yaml'} does not exist and "
            "ANIBRIDGE_SEED_PATH is unset): the daemon would serve 0 libraries and every "
            f"Torznab search would answer nothing; {NO_SEED_HINT}",
            file=sys.stderr,
        )
        return 1
    try:
        seed = load_seed(path, Registry())
    except SeedError as exc:
        print(f"{exc.source}: {len(exc.issues)} error(s)", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1
    if not seed.libraries:
        print(
            f"error: seed {path} has no libraries: every Torznab search would answer nothing; "
            "add a `libraries:` list (see config.example.yaml)",
            file=sys.stderr,
        )
        return 1
    print(
        f"settings ok; seed {path} ok: {len(seed.libraries)} libraries, "
        f"{len(seed.plugins)} plugin instances, {sum(len(lib.jobs) for lib in seed.libraries)}"
        " library jobs"
    )
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    from anibridge_like.storage.migrate import MigrationError, apply_migrations

    settings = _settings_or_exit()
    configure_logging(settings.log_level, settings.log_format, sql_debug=settings.log_sql)
    try:
        applied = apply_migrations(settings.database_path)
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{settings.database_path}: applied {len(applied)} migration(s)")
    return 0


def _announce(lines: list[str]) -> None:
    print("\n".join(lines), flush=True)


def _cmd_serve(args: argparse.Namespace) -> int:
    from anibridge_like import startup
    from anibridge_like.app import create_app
    from anibridge_like.seed_guard import EmptySeedRefusedError, emptying_preflight
    from anibridge_like.server import DaemonServer
    from anibridge_like.storage.migrate import MigrationError
    from anibridge_like.storage.preflight import data_dir_problem

    settings = _settings_or_exit()
    _warn_unknown_env()
    _timezone_or_exit(settings)
    if args.allow_empty:
        settings = settings.model_copy(update={"allow_empty_seed": True})
    configure_logging(settings.log_level, settings.log_format, sql_debug=settings.log_sql)
    problem = data_dir_problem(settings.data_dir)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        sock = startup.bind_socket(settings.host, settings.port)
    except startup.PortInUse as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    settings = settings.model_copy(update={"port": sock.getsockname()[1]})
    if args.demo:
        from anibridge_like.demo.run import run_demo

        return run_demo(settings, _announce, sock)
    registry = Registry()
    try:
        seed = load_seed(args.seed or settings.resolved_seed_path(), registry)
    except SeedError as exc:
        sock.close()
        print(str(exc), file=sys.stderr)
        return 1
    try:
        wanted = [lib.slug for lib in seed.libraries]
        emptying_preflight(settings.database_path, wanted, settings.allow_empty_seed)
    except EmptySeedRefusedError as exc:
        sock.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    settings, key = startup.resolve_api_key(settings)
    log = structlog.get_logger("anibridge_like.cli")
    if not seed.libraries:
        log.warning("seed.missing", libraries=0, hint=NO_SEED_HINT)
    for warning in startup.exposure_warnings(
        settings.host, key.value, [(lib.slug, bool(lib.api_key)) for lib in seed.libraries]
    ):
        log.warning("torznab.open_to_network", warning=warning)
    lines = startup.banner(startup.public_base_url(settings), seed.libraries, key)
    app = create_app(settings, seed=seed, registry=registry)
    server = DaemonServer.for_app(
        app, settings.host, settings.port, on_started=lambda: _announce(lines)
    )
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        sock.close()
    return 0 if server.started else 1


def _cmd_connect(args: argparse.Namespace) -> int:
    from anibridge_like import startup
    from anibridge_like.arr.resources import APPS, UnknownLibrary, targets_for

    settings = _settings_or_exit()
    try:
        seed = load_seed(args.seed or settings.resolved_seed_path(), Registry())
    except SeedError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    settings, key = startup.resolve_api_key(settings)
    app = APPS[args.app]
    base = args.base_url or startup.public_base_url(settings)
    try:
        targets = targets_for(app, seed.libraries, base, key.value, args.library)
    except UnknownLibrary as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not targets:
        print(f"error: no library for {app.name}; {NO_SEED_HINT}", file=sys.stderr)
        return 1
    password = settings.qbittorrent_password
    facts = {
        "base_url": base,
        "qbittorrent_username": settings.qbittorrent_username,
        "qbittorrent_password": password.get_secret_value() if password else None,
    }
    return asyncio.run(_connect(args, app, targets, facts))


async def _connect(
    args: argparse.Namespace, app: AppSpec, targets: list[Target], facts: dict[str, Any]
) -> int:
    import httpx

    from anibridge_like.arr.client import ArrClient, ArrError
    from anibridge_like.arr.connect import connect, report

    async with httpx.AsyncClient(timeout=args.timeout) as http:
        client = ArrClient(http, app.name, args.url, app.api_prefix, args.api_key)
        try:
            kinds = ["indexer"] if args.indexers_only else None
            outcomes = await connect(
                client, app, targets, facts=facts, dry_run=args.dry_run, kinds=kinds
            )
        except ArrError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    print(report(app, client, outcomes, args.dry_run))
    failed = any(o.test for o in outcomes if o.test and any(not f.warning for f in o.test))
    return 3 if failed else 0


def _cmd_healthcheck(args: argparse.Namespace) -> int:
    import httpx

    settings = _settings_or_exit()
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    try:
        response = httpx.get(f"http://{host}:{settings.port}/health", timeout=4.0)
    except httpx.HTTPError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    if response.status_code != 200:
        print(f"unhealthy: HTTP {response.status_code}: {response.text[:200]}", file=sys.stderr)
        return 1
    print("healthy")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="anibridge-like",
        description="Torznab indexer answering from a local index of streaming-site catalogs.",
    )
    parser.add_argument("--version", action="version", version=f"anibridge-like {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the daemon")
    serve.add_argument("--seed", type=_path, help="seed file (default: ANIBRIDGE_SEED_PATH)")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="serve a bundled demo site and seed on loopback and index it",
    )
    serve.add_argument(
        "--allow-empty",
        action="store_true",
        help="apply a seed that removes every library (refused otherwise)",
    )
    serve.set_defaults(func=_cmd_serve)
    migrate = sub.add_parser("migrate", help="apply database migrations and exit")
    migrate.set_defaults(func=_cmd_migrate)
    check = sub.add_parser("check-config", help="validate the environment and the seed")
    check.add_argument(
        "file", nargs="?", type=_path, help="seed file (default: ANIBRIDGE_SEED_PATH)"
    )
    check.add_argument("--seed", type=_path, help="seed file (same as FILE)")
    check.set_defaults(func=_cmd_check_config)
    health = sub.add_parser("healthcheck", help="exit 0 when the local daemon's /health is ok")
    health.set_defaults(func=_cmd_healthcheck)
    connect = sub.add_parser(
        "connect",
        help="register the libraries as Torznab indexers in Sonarr, Radarr or Prowlarr",
        description="Registers each library (series/anime in Sonarr, movies in Radarr, all in "
        "Prowlarr) through the app's API, and in Sonarr/Radarr our qBittorrent-compatible "
        "download client; re-running updates our own entries, never duplicates them. Exit 1 "
        "on an error, 3 when the app's own test of an entry fails.",
    )
    connect.add_argument("app", choices=["sonarr", "radarr", "prowlarr"])
    connect.add_argument("url", help="the app's address, e.g. http://sonarr:8989")
    connect.add_argument("api_key", help="the app's API key (Settings > General > Security)")
    connect.add_argument(
        "--library", action="append", default=[], metavar="SLUG", help="only this library"
    )
    connect.add_argument(
        "--base-url",
        help="where the app reaches anibridge-like (default: ANIBRIDGE_PUBLIC_URL, else "
        "the bound address)",
    )
    connect.add_argument("--seed", type=_path, help="seed file (default: ANIBRIDGE_SEED_PATH)")
    connect.add_argument("--timeout", type=float, default=60.0, help="seconds per call")
    connect.add_argument(
        "--dry-run", action="store_true", help="print what would be sent; change nothing"
    )
    connect.add_argument(
        "--indexers-only",
        action="store_true",
        help="register the indexers but not the qBittorrent-compatible download client",
    )
    connect.set_defaults(func=_cmd_connect)
    return parser


def _path(value: str) -> object:
    from pathlib import Path

    return Path(value)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
