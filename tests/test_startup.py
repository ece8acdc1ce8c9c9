"""First start: the listening socket bound first, the generated Torznab key, the warnings, the
banner that says what to paste where."""

from __future__ import annotations

import asyncio
import socket
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from anibridge_like.settings import Settings
from anibridge_like.startup import (
    KEY_FILE,
    ApiKey,
    PortInUse,
    banner,
    bind_socket,
    exposure_warnings,
    public_base_url,
    resolve_api_key,
)


@dataclass
class Lib:
    slug: str
    name: str
    kind: str


def test_a_port_in_use_is_one_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse, match=f"port {port} on 127.0.0.1 is already in use"):
            bind_socket("127.0.0.1", port)


def test_bind_socket_binds_a_free_port() -> None:
    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.getsockname()[1] > 0
    finally:
        sock.close()


async def test_connections_on_the_bound_socket_send_without_nagle_delays() -> None:
    """asyncio sets TCP_NODELAY only when the socket's proto says TCP: without it a response
    written in pieces waits ~40 ms for the client's delayed ACK."""
    sock = bind_socket("127.0.0.1", 0)
    sock.listen()
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
    try:
        reader, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        await reader.read()
        writer.close()
        assert seen and seen[0] != 0
    finally:
        server.close()
        await server.wait_closed()


def test_first_start_generates_a_key_kept_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_key=None)
    first, key = resolve_api_key(settings)
    assert key.source == "generated" and key.value and len(key.value) == 32
    assert first.api_key is not None and first.api_key.get_secret_value() == key.value
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    _, again = resolve_api_key(settings)
    assert again == ApiKey(key.value, "data dir")


def test_a_key_from_the_environment_wins(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_key=SecretStr("mine"))
    resolved, key = resolve_api_key(settings)
    assert key == ApiKey("mine", "environment") and resolved is settings
    assert not (tmp_path / KEY_FILE).exists()


def test_generation_can_be_turned_off(tmp_path: Path) -> None:
    resolved, key = resolve_api_key(
        Settings(data_dir=tmp_path, api_key=None, generate_api_key=False)
    )
    assert key == ApiKey(None, "none") and resolved.api_key is None


def test_open_torznab_beyond_loopback_is_warned_about() -> None:
    assert exposure_warnings("0.0.0.0", None, [("anime", False), ("movies", True)])
    assert "anime" in exposure_warnings("0.0.0.0", None, [("anime", False)])[0]
    assert exposure_warnings("127.0.0.1", None, [("anime", False)]) == []
    assert exposure_warnings("0.0.0.0", "key", [("anime", False)]) == []
    assert exposure_warnings("0.0.0.0", None, [("anime", True)]) == []


def test_public_url_prefers_the_setting_then_the_bound_host() -> None:
    assert public_base_url(Settings(public_url="http://anibridge:8000/")) == (
        "http://anibridge:8000"
    )
    assert public_base_url(Settings(host="192.168.1.5", port=9000)) == "http://192.168.1.5:9000"
    wildcard = public_base_url(Settings(host="0.0.0.0", port=8000))
    assert wildcard.endswith(":8000") and "0.0.0.0" not in wildcard


def test_banner_says_what_to_paste_where() -> None:
    libs = [Lib("anime", "Anime", "anime"), Lib("movies", "Movies", "movies")]
    text = "\n".join(banner("http://nas:8000", libs, ApiKey("k3y", "generated")))
    assert "URL: http://nas:8000/torznab/anime   API Path: /api   Anime Categories: 5070" in text
    assert "URL: http://nas:8000/torznab/movies   API Path: /api" in text
    assert "/torznab/anime/api" not in text  # the *arr apps add the API Path themselves
    assert "API Key: k3y" in text
    assert "anibridge-like connect sonarr" in text


def test_banner_never_repeats_a_key_from_the_environment() -> None:
    libs = [Lib("anime", "Anime", "anime")]
    text = "\n".join(banner("http://nas:8000", libs, ApiKey("env-s3cret", "environment")))
    assert "env-s3cret" not in text and "ANIBRIDGE_API_KEY" in text


def test_banner_without_libraries_points_to_the_example_seed() -> None:
    text = "\n".join(banner("http://nas:8000", [], ApiKey(None, "none")))
    assert "No libraries" in text and "config.example.yaml" in text
