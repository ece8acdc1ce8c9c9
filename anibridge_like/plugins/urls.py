"""The one check of a plugin's configured root URL (providers, metadata services, media
servers): absolute http(s) with a host, stored without a trailing slash."""

from __future__ import annotations

import httpx


def root_url(value: str, field: str) -> str:
    """``value`` without its trailing slash; ValueError naming ``field`` when it is not an
    absolute http(s) URL."""
    url = httpx.URL(value)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"{field} must be an absolute http(s) URL, got {value!r}")
    return value.rstrip("/")
