"""The one request helper of the media-server clients: send, map failures to ``PluginError``.

Clients do not retry; the engine decides (auth → disconnected, unreachable → degraded with
backoff). Credentials travel in headers only, so no URL in an error message carries a secret.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from pydantic import Field, field_validator

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.media_server import MediaServerConfig
from anibridge_like.plugins.urls import root_url


class HttpMediaServerConfig(MediaServerConfig):
    """Config of a media server reached over HTTP."""

    url: str = Field(description="Server root URL, e.g. http://jellyfin:8096.")
    api_key: str = Field(
        "", description="API key / token (use api_key_env to read it from the environment)."
    )
    timeout: float = Field(20.0, gt=0, description="Timeout of one request, in seconds.")

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return root_url(value, "url")


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    timeout_seconds: float,
    params: Mapping[str, str] | None = None,
) -> httpx.Response:
    """One request; any failure becomes the contract's ``PluginError``."""
    try:
        response = await client.request(
            method,
            url,
            params=params,
            headers=dict(headers),
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
        )
    except httpx.TimeoutException as exc:
        raise PluginError(ErrorCode.TIMEOUT, f"timed out: {method} {url}") from exc
    except httpx.TransportError as exc:
        raise PluginError(
            ErrorCode.UPSTREAM, f"{method} {url} unreachable: {type(exc).__name__}"
        ) from exc
    status = response.status_code
    if 200 <= status < 300:
        return response
    if status in (401, 403):
        raise PluginError(ErrorCode.AUTH, f"HTTP {status} at {method} {url}: credentials rejected")
    if status == 404:
        raise PluginError(ErrorCode.NOT_FOUND, f"HTTP 404 at {method} {url}")
    if status == 429:
        raise PluginError(ErrorCode.RATE_LIMITED, f"HTTP 429 at {method} {url}")
    if status >= 500:
        raise PluginError(ErrorCode.UPSTREAM, f"HTTP {status} at {method} {url}")
    raise PluginError(ErrorCode.INVALID_DATA, f"unexpected HTTP {status} at {method} {url}")
