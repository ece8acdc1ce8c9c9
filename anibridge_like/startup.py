"""What a start needs before the app runs: the listening socket (bound first, so a port in use is
one clear line), the Torznab key (generated on first start, Jackett/Prowlarr style), the warnings
a home user must see, and the banner that says what to paste where in Sonarr/Radarr/Prowlarr.
"""

from __future__ import annotations

import errno
import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from anibridge_like.settings import Settings

KEY_FILE = "torznab_api_key"
"""The generated Torznab key, in the data directory (mode 0600)."""
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
WILDCARD = frozenset({"0.0.0.0", "::", ""})


class PortInUse(Exception):
    """The address the daemon should listen on is taken (or not ours to bind)."""


class BannerLibrary(Protocol):
    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...


def bind_socket(host: str, port: int) -> socket.socket:
    """The daemon's listening socket, bound before anything else starts (uvicorn serves it).

    Created with ``IPPROTO_TCP`` spelled out: asyncio turns Nagle's algorithm off
    (``TCP_NODELAY``) only on sockets whose ``proto`` says TCP, and accepted sockets inherit the
    listening socket's. With ``proto`` 0 a response written in pieces waited for the client's
    delayed ACK: about 40 ms on a good share of Torznab answers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"port {port} on {host or '*'} is already in use (another anibridge-like or "
                "another program); stop it or set ANIBRIDGE_PORT to a free port"
            ) from None
        reason = exc.strerror or str(exc)
        raise PortInUse(
            f"cannot listen on {host}:{port}: {reason} (check ANIBRIDGE_HOST/ANIBRIDGE_PORT)"
        ) from None
    sock.set_inheritable(True)
    return sock


@dataclass(frozen=True, slots=True)
class ApiKey:
    value: str | None
    source: str
    """``environment``, ``generated`` (this start wrote it), ``data dir`` or ``none``."""


def read_or_create_key(data_dir: Path) -> tuple[str, bool]:
    """The key kept in ``<data_dir>/torznab_api_key``; created (0600) when missing."""
    path = data_dir / KEY_FILE
    if path.exists():
        key = path.read_text("utf-8").strip()
        if key:
            return key, False
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key, True


def resolve_api_key(settings: Settings) -> tuple[Settings, ApiKey]:
    """The settings with the Torznab key the daemon requires: ``ANIBRIDGE_API_KEY`` when set,
    else (``ANIBRIDGE_GENERATE_API_KEY``, the default) the one kept in the data directory."""
    if settings.api_key is not None and settings.api_key.get_secret_value():
        return settings, ApiKey(settings.api_key.get_secret_value(), "environment")
    if not settings.generate_api_key:
        return settings, ApiKey(None, "none")
    from pydantic import SecretStr

    key, created = read_or_create_key(settings.data_dir)
    updated = settings.model_copy(update={"api_key": SecretStr(key)})
    return updated, ApiKey(key, "generated" if created else "data dir")


def exposure_warnings(
    host: str, global_key: str | None, libraries: Sequence[tuple[str, bool]]
) -> list[str]:
    """Warnings for a daemon reachable beyond this machine with libraries anyone may search.

    ``libraries``: (slug, has its own key)."""
    if host in LOOPBACK or global_key:
        return []
    open_ones = [slug for slug, own in libraries if not own]
    if not open_ones:
        return []
    return [
        f"Torznab is served on {host or '*'} without an API key for "
        f"{', '.join(open_ones)}: anyone who reaches this port can search it. Set "
        "ANIBRIDGE_API_KEY (or ANIBRIDGE_GENERATE_API_KEY=true) or bind ANIBRIDGE_HOST=127.0.0.1."
    ]


def _primary_address() -> str | None:
    """The address of the interface a default route uses (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere real
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith("127.") else address


def public_base_url(settings: Settings) -> str:
    """The base URL the *arr apps reach the daemon at: ``ANIBRIDGE_PUBLIC_URL``, else the bound
    host, else (a wildcard bind) this machine's primary address."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = settings.host
    if host in WILDCARD:
        host = _primary_address() or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def banner(
    base_url: str,
    libraries: Sequence[BannerLibrary],
    key: ApiKey,
    *,
    title: str = "anibridge-like is running.",
) -> list[str]:
    """What to paste where: one Torznab indexer per library."""
    if not libraries:
        return [
            "",
            title,
            "  No libraries: there is no seed file, so every Torznab search answers nothing.",
            "  Copy config.example.yaml to <data_dir>/config.yaml (or set ANIBRIDGE_SEED_PATH),",
            "  check it with `anibridge-like check-config`, and restart.",
            "",
        ]
    lines = [
        "",
        title,
        "Add one Torznab indexer per library (Sonarr/Radarr: Settings > Indexers > + > Torznab;",
        "Prowlarr: Indexers > Add > Generic Torznab):",
    ]
    width = max(len(lib.slug) for lib in libraries)
    for lib in libraries:
        extra = "   Anime Categories: 5070" if lib.kind == "anime" else ""
        lines.append(
            f"  {lib.slug:<{width}}  URL: {base_url}/torznab/{lib.slug}   API Path: /api{extra}"
        )
    if key.source == "environment":
        lines.append("  API Key: the value of ANIBRIDGE_API_KEY")
    elif key.value is not None:
        origin = "generated now, " if key.source == "generated" else ""
        lines.append(f"  API Key: {key.value}   ({origin}kept in {KEY_FILE} in the data directory)")
    else:
        lines.append("  API Key: (none needed: Torznab is open)")
    lines.append("Or let anibridge-like register them itself:")
    lines.append("  anibridge-like connect sonarr http://<sonarr-host>:8989 <Sonarr API key>")
    lines.append(f"Progress of the first indexing: {base_url}/health/catalog")
    lines.append("")
    return lines
