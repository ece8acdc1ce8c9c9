"""Command line: ``anibridge-like serve [--demo] | migrate | check-config | --version``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from anibridge_like import __version__
from anibridge_like.logging import configure_logging
from anibridge_like.plugins.registry import Registry
from anibridge_like.seed import SeedError, load_seed
from anibridge_like.settings import Settings


def _settings_or_exit() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        print(f"invalid environment settings ({exc.error_count()} error(s)):", file=sys.stderr)
        for err in exc.errors():
            name = "ANIBRIDGE_" + "_".join(str(p) for p in err["loc"]).upper()
            print(f"  {name}: {err['msg']}", file=sys.stderr)
        raise SystemExit(2) from None


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
    _timezone_or_exit(settings)
    path = args.seed or settings.resolved_seed_path()
    try:
        seed = load_seed(path, Registry())
    except SeedError as exc:
        print(f"{exc.source}: {len(exc.issues)} error(s)", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1
    print(
        f"settings ok; seed {path or '(none)'} ok: {len(seed.libraries)} libraries, "
        f"{len(seed.plugins)} plugin instances, {sum(len(lib.jobs) for lib in seed.libraries)}"
        " library jobs"
    )
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    from anibridge_like.storage.migrate import MigrationError, apply_migrations

    settings = _settings_or_exit()
    configure_logging(settings.log_level, settings.log_format)
    try:
        applied = apply_migrations(settings.database_path)
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{settings.database_path}: applied {len(applied)} migration(s)")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:

    from anibridge_like.app import create_app
    from anibridge_like.server import DaemonServer
    from anibridge_like.storage.migrate import MigrationError

    settings = _settings_or_exit()
    _timezone_or_exit(settings)
    configure_logging(settings.log_level, settings.log_format)
    if args.demo:
        from anibridge_like.demo.run import run_demo

        return run_demo(settings, print)
    registry = Registry()
    try:
        seed = load_seed(args.seed or settings.resolved_seed_path(), registry)
    except SeedError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    app = create_app(settings, seed=seed, registry=registry)
    server = DaemonServer.for_app(app, settings.host, settings.port)
    try:
        asyncio.run(server.serve())
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0 if server.started else 1


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
    serve.set_defaults(func=_cmd_serve)
    migrate = sub.add_parser("migrate", help="apply database migrations and exit")
    migrate.set_defaults(func=_cmd_migrate)
    check = sub.add_parser("check-config", help="validate the environment and the seed")
    check.add_argument("--seed", type=_path, help="seed file (default: ANIBRIDGE_SEED_PATH)")
    check.set_defaults(func=_cmd_check_config)
    health = sub.add_parser("healthcheck", help="exit 0 when the local daemon's /health is ok")
    health.set_defaults(func=_cmd_healthcheck)
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
