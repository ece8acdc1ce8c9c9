"""A small client of the *arr apps' provider API (``/api/v3`` of Sonarr/Radarr, ``/api/v1`` of
Prowlarr): list, schema, create, update, test — the endpoints every provider resource (indexer,
download client) shares (Sonarr ``src/Sonarr.Api.V3/ProviderControllerBase.cs``).

Errors, as the apps answer them:

- 401 (empty body): the API key is wrong (``ApiKeyAuthenticationHandler``) → :class:`ArrAuthError`;
- 400 with a JSON list of validation failures (``SonarrErrorPipeline`` for a
  ``ValidationException``; a failed Test is one) → :class:`ArrValidationError`;
- anything else ≥ 400, a non-JSON answer or no answer → :class:`ArrError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

Resource = dict[str, Any]


class ArrError(Exception):
    """The app could not be reached or answered something we cannot use."""


class ArrAuthError(ArrError):
    """The app rejected the API key."""


@dataclass(frozen=True, slots=True)
class Failure:
    field: str
    message: str
    warning: bool

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{'warning' if self.warning else 'error'}: {where}{self.message}"


class ArrValidationError(ArrError):
    def __init__(self, failures: list[Failure]) -> None:
        super().__init__("; ".join(str(f) for f in failures) or "validation failed")
        self.failures = failures


def _failures(body: Any) -> list[Failure]:
    items = body if isinstance(body, list) else [body] if isinstance(body, dict) else []
    out = []
    for item in items:
        if isinstance(item, dict):
            message = item.get("errorMessage") or item.get("message") or str(item)
            out.append(
                Failure(
                    str(item.get("propertyName") or ""),
                    str(message),
                    bool(item.get("isWarning")) or item.get("severity") == "warning",
                )
            )
    return out


class ArrClient:
    """One app: ``base_url`` (e.g. ``http://sonarr:8989``), its API prefix and key."""

    def __init__(
        self, http: httpx.AsyncClient, app: str, base_url: str, api_prefix: str, key: str
    ) -> None:
        self.http = http
        self.app = app
        self.root = base_url.rstrip("/") + api_prefix
        self.key = key

    async def _call(
        self, method: str, path: str, *, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        url = f"{self.root}/{path}"
        try:
            response = await self.http.request(
                method, url, json=body, params=params, headers={"X-Api-Key": self.key}
            )
        except httpx.HTTPError as exc:
            raise ArrError(f"{self.app} at {self.root} did not answer: {exc}") from None
        if response.status_code == 401:
            raise ArrAuthError(
                f"{self.app} at {self.root} rejected the API key (HTTP 401); copy it from "
                f"{self.app.capitalize()} > Settings > General > Security > API Key"
            )
        if response.status_code == 400:
            try:
                payload = response.json()
            except ValueError:
                payload = [{"errorMessage": response.text[:300]}]
            raise ArrValidationError(_failures(payload))
        if response.status_code >= 400:
            raise ArrError(
                f"{self.app} answered HTTP {response.status_code} to {method} {url}: "
                f"{response.text[:300]}"
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ArrError(
                f"{self.app} at {self.root} answered {method} {path} with something that is "
                "not JSON: is this the right URL?"
            ) from None

    async def entries(self, resource: str) -> list[Resource]:
        found = await self._call("GET", resource)
        if not isinstance(found, list):
            raise ArrError(f"{self.app}: GET {resource} did not answer a list")
        return found

    async def schema(self, resource: str) -> list[Resource]:
        found = await self._call("GET", f"{resource}/schema")
        if not isinstance(found, list):
            raise ArrError(f"{self.app}: GET {resource}/schema did not answer a list")
        return found

    async def create(self, resource: str, body: Resource) -> Resource:
        created = await self._call("POST", resource, body=body, params={"forceSave": "true"})
        return created if isinstance(created, dict) else body

    async def update(self, resource: str, body: Resource) -> Resource:
        path = f"{resource}/{body['id']}"
        updated = await self._call("PUT", path, body=body, params={"forceSave": "true"})
        return updated if isinstance(updated, dict) else body

    async def test(self, resource: str, body: Resource) -> list[Failure]:
        """The app's own Test of a resource: no failure = passed."""
        try:
            await self._call("POST", f"{resource}/test", body=body)
        except ArrValidationError as exc:
            return exc.failures
        return []
