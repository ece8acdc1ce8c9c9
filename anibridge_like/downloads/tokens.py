"""Signed ``/stream/{token}`` tokens for ``.strm`` files.

A token names the episode (site, slug, the site's season/number, language) and carries an
HMAC-SHA256 over that payload, so a ``.strm`` file holds no API key and cannot be edited into a
URL for something else. The key is the ``stream_secret`` setting, or a random key created once
in ``<data_dir>/stream_secret`` (so tokens survive restarts).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from pathlib import Path

from anibridge_like.plugins.provider import Language
from anibridge_like.providers.links import EpisodeRef
from anibridge_like.settings import Settings


class BadToken(ValueError):
    """The token is malformed or its signature does not match."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def stream_key(settings: Settings) -> bytes:
    if settings.stream_secret is not None:
        return settings.stream_secret.get_secret_value().encode()
    path = settings.data_dir / "stream_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_private(path, secrets.token_hex(32))
    return path.read_text("utf-8").strip().encode()


def _write_private(path: Path, text: str) -> None:
    path.touch(mode=0o600)
    path.write_text(text, "utf-8")


def sign(key: bytes, ref: EpisodeRef) -> str:
    payload = json.dumps(
        [ref.site, ref.slug, ref.season, ref.number, ref.language.value], separators=(",", ":")
    ).encode()
    body = _b64(payload)
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()[:18]
    return f"{body}.{_b64(mac)}"


def verify(key: bytes, token: str) -> EpisodeRef:
    body, _, mac = token.partition(".")
    if not body or not mac or len(token) > 2048:
        raise BadToken("malformed stream token")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest()[:18])
    if not hmac.compare_digest(expected, mac):
        raise BadToken("stream token signature does not match")
    try:
        site, slug, season, number, language = json.loads(_unb64(body))
        return EpisodeRef(str(site), str(slug), int(season), int(number), Language(language))
    except (ValueError, TypeError) as exc:
        raise BadToken("malformed stream token payload") from exc
