"""API keys at rest and in comparisons: a configured key is kept as its SHA-256 digest
(``sha256:<hex>``) — in the ``libraries`` table and in memory — and a presented key is hashed
and compared digest to digest with :func:`hmac.compare_digest` (constant time, and equal-length
inputs whatever the presented key's length). An empty key never matches anything."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256:"


def is_digest(value: str) -> bool:
    return value.startswith(PREFIX) and len(value) == len(PREFIX) + 64


def key_digest(key: str) -> str:
    """The stored form of ``key`` (a digest stays as it is)."""
    if is_digest(key):
        return key
    return PREFIX + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_matches(presented: str | None, digest: str | None) -> bool:
    """Whether ``presented`` is the key whose digest is ``digest`` (constant time)."""
    if not presented or not digest:
        return False
    given = PREFIX + hashlib.sha256(presented.encode("utf-8", "surrogatepass")).hexdigest()
    return hmac.compare_digest(given.encode(), digest.encode())
