"""The one JSON request helper of the metadata plugins: send, map failures to ``PluginError``.

Plugins do not retry: the canonical stage applies :func:`~anibridge_like.plugins.errors.policy_for`
(waits, backoff) in one place. Status codes map like the providers' polite client
(:func:`anibridge_like.providers.http.error_for_status`); a body that is not JSON is
``invalid_data``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from anibridge_like.plugins.errors import ErrorCode, PluginError
from anibridge_like.plugins.urls import root_url
from anibridge_like.providers.http import error_for_status


class HttpMetadataConfig(BaseModel):
    """Instance configuration shared by the HTTP metadata plugins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(description="Service root URL (no trailing slash).")
    timeout: float = Field(20.0, gt=0, description="Timeout of one request, in seconds.")

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return root_url(value, "base_url")


async def request_json(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    timeout_seconds: float,
    params: Mapping[str, str] | None = None,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    error_body: bool = False,
) -> Any:
    """Send one request and return its decoded JSON body.

    With ``error_body`` a non-2xx answer whose body is JSON is returned as is when the status is
    400 or 200-like (GraphQL services put errors in the body); the caller inspects it.
    """
    try:
        response = await client.request(
            method,
            url,
            params=params,
            json=body,
            headers=dict(headers or {}),
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
        )
    except httpx.TimeoutException as exc:
        raise PluginError(ErrorCode.TIMEOUT, f"timed out: {method} {url} ({exc!r})") from exc
    except httpx.TransportError as exc:
        raise PluginError(ErrorCode.UPSTREAM, f"{method} {url} failed: {exc!r}") from exc
    if not (error_body and response.status_code == 400):
        error = error_for_status(response)
        if error is not None:
            raise error
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise PluginError(
            ErrorCode.INVALID_DATA, f"{method} {url}: answer is not JSON ({exc})"
        ) from exc


def year_of(date: str | None) -> int | None:
    """The year of an ISO date string (``"2013-04-07"`` → 2013)."""
    if not date or len(date) < 4 or not date[:4].isdigit():
        return None
    return int(date[:4])
