"""Fake Sonarr / Radarr (API v3) and Prowlarr (API v1) indexer and download-client APIs, for
``connect`` (download clients: ``tests/fakes/arr_downloadclients.py``).

Built from the apps' published specs and source (paths relative to each repository):

- Paths, methods, query parameters and resource shapes: Sonarr ``src/Sonarr.Api.V3/openapi.json``
  (``/api/v3/indexer``, ``/{id}``, ``/schema``, ``/test``; ``IndexerResource``, ``Field``;
  security ``X-Api-Key`` header or ``apikey`` query), Radarr ``src/Radarr.Api.V3/openapi.json``
  (the same), Prowlarr ``src/Prowlarr.Api.V1/openapi.json`` (``/api/v1/indexer…``,
  ``/api/v1/appprofile``; ``IndexerResource`` with ``appProfileId``, ``enable``).
- Behaviour: Sonarr ``src/Sonarr.Api.V3/ProviderControllerBase.cs`` — POST/PUT validate and, when
  enabled and not ``forceSave``, run the provider's Test; a failure is HTTP 400 with the JSON list
  of validation failures (``src/Sonarr.Http/ErrorManagement/SonarrErrorPipeline.cs``); names are
  unique; PUT answers 202 Accepted; GET list is ordered by name; ``POST …/test`` answers 200 or
  400 with failures. A missing or wrong key is 401 with an empty body
  (``src/Sonarr.Http/Authentication/ApiKeyAuthenticationHandler.cs``). Prowlarr's
  ``src/Prowlarr.Api.V1/Indexers/IndexerController.cs`` requires an existing ``appProfileId``
  and a priority within 1..50.
- Fields and defaults: Sonarr ``src/NzbDrone.Core/Indexers/Newznab/NewznabSettings.cs``
  (``baseUrl``, ``apiPath`` "/api", ``apiKey``, ``categories`` [5030, 5040],
  ``animeCategories`` [] …; validator: categories or anime categories required, a valid root
  URL) and ``Indexers/Torznab/TorznabSettings.cs`` (``minimumSeeders``, ``seedCriteria.*``);
  Radarr's ``NewznabSettings.cs`` (no anime categories, ``categories`` 2000…2060);
  Prowlarr ``Indexers/Definitions/Torznab/Torznab.cs`` (schema entry ``Torznab`` with the
  preset "Generic Torznab") and ``Definitions/Newznab/NewznabSettings.cs``.
- The Test: Sonarr ``Indexers/Torznab/Torznab.cs`` / ``HttpIndexerBase.TestConnection``: caps
  (``TestCapabilities``: a search mode with ``q``), then the RSS request
  (``t=tvsearch&cat=<Categories ∪ AnimeCategories>``; Radarr ``t=movie``, Prowlarr
  ``t=search`` without categories) must parse at least one item; messages from
  ``src/NzbDrone.Core/Localization/Core/en.json``. The fake sends these requests for real through
  the ``indexer_client`` it is given (our daemon over ``httpx.ASGITransport``).
"""

from __future__ import annotations

import copy
import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.arr_downloadclients import client_failures, client_template, test_qbittorrent

NO_RESULTS = (
    "Query successful, but no results in the configured categories were returned from your "
    "indexer. This may be an issue with the indexer or your indexer category settings."
)
INVALID_KEY = "Invalid API Key"


def _field(
    order: int, name: str, value: Any, kind: str = "textbox", **extra: Any
) -> dict[str, Any]:
    return {"order": order, "name": name, "label": name, "value": value, "type": kind,
            "advanced": False, "privacy": "normal", "isFloat": False, **extra}  # fmt: skip


def _sonarr_fields(anime: bool, categories: list[int]) -> list[dict[str, Any]]:
    fields = [
        _field(0, "baseUrl", None),
        _field(1, "apiPath", "/api"),
        _field(2, "apiKey", None, privacy="apiKey"),
        _field(3, "categories", categories, "select"),
    ]
    if anime:
        fields += [
            _field(4, "animeCategories", [], "select"),
            _field(5, "animeStandardFormatSearch", False, "checkbox"),
        ]
    return [
        *fields,
        _field(6, "additionalParameters", None),
        _field(7, "multiLanguages", [], "select"),
        _field(8, "failDownloads", [], "select"),
        _field(9, "minimumSeeders", 1, "number"),
        _field(10, "seedCriteria.seedRatio", None, "number"),
        _field(10, "seedCriteria.seedTime", None, "number"),
        _field(11, "rejectBlocklistedTorrentHashesWhileGrabbing", False, "checkbox"),
    ]


def _prowlarr_fields() -> list[dict[str, Any]]:
    return [
        _field(0, "baseUrl", None),
        _field(1, "apiPath", "/api"),
        _field(2, "apiKey", None, privacy="apiKey"),
        _field(3, "torrentBaseSettings.appMinimumSeeders", None, "number"),
        _field(5, "additionalParameters", None),
        _field(6, "vipExpiration", None),
        _field(7, "baseSettings.queryLimit", None, "number"),
        _field(7, "baseSettings.limitsUnit", 0, "select"),
    ]


@dataclass(frozen=True)
class Flavour:
    app: str
    prefix: str
    test_query: str
    """``t=`` of the RSS request the Test sends."""
    anime: bool
    categories: list[int]
    prowlarr: bool = False


SONARR = Flavour("sonarr", "/api/v3", "tvsearch", True, [5030, 5040])
RADARR = Flavour(
    "radarr", "/api/v3", "movie", False, [2000, 2010, 2020, 2030, 2040, 2045, 2050, 2060]
)
PROWLARR = Flavour("prowlarr", "/api/v1", "search", False, [], prowlarr=True)


@dataclass
class FakeArr:
    """One app's state; ``app`` is the Starlette app. ``reject_tests`` makes every Test fail
    (as when the indexer is unreachable)."""

    flavour: Flavour
    key: str
    indexer_client: httpx.AsyncClient | None = None
    resources: dict[str, dict[int, dict[str, Any]]] = field(
        default_factory=lambda: {"indexer": {}, "downloadclient": {}}
    )
    profiles: list[dict[str, Any]] = field(default_factory=lambda: [{"id": 1, "name": "Standard"}])
    writes: list[tuple[str, str]] = field(default_factory=list)
    """(method, path) of every accepted write."""
    tests_run: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def indexers(self) -> dict[int, dict[str, Any]]:
        return self.resources["indexer"]

    @property
    def clients(self) -> dict[int, dict[str, Any]]:
        return self.resources["downloadclient"]

    # ---- schema -------------------------------------------------------------------------
    def template(self, implementation: str) -> dict[str, Any]:
        f = self.flavour
        fields = _prowlarr_fields() if f.prowlarr else _sonarr_fields(f.anime, f.categories)
        base: dict[str, Any] = {
            "name": None, "fields": fields, "implementationName": implementation,
            "implementation": implementation, "configContract": f"{implementation}Settings",
            "infoLink": f"https://wiki.servarr.com/{f.app}/supported#{implementation.lower()}",
            "tags": [], "protocol": "torrent" if implementation == "Torznab" else "usenet",
            "priority": 25,
        }  # fmt: skip
        if f.prowlarr:
            base.update({"enable": True, "appProfileId": 0, "definitionName": implementation})
            base["presets"] = [{**copy.deepcopy(base), "name": "Generic Torznab"}]
        else:
            base.update({"enableRss": True, "enableAutomaticSearch": True,
                         "enableInteractiveSearch": True, "supportsRss": True,
                         "supportsSearch": True, "presets": []})  # fmt: skip
        return base

    # ---- behaviour ----------------------------------------------------------------------
    def _authorised(self, request: Request) -> bool:
        given = request.headers.get("x-api-key") or request.query_params.get("apikey")
        return given == self.key

    def _validate(
        self, resource: str, body: dict[str, Any], own_id: int | None
    ) -> list[dict[str, Any]]:
        failures = []
        name = body.get("name")
        values = {f["name"]: f.get("value") for f in body.get("fields") or []}
        if not name:
            failures.append(_failure("Name", "'Name' must not be empty."))
        elif any(i["name"].lower() == name.lower() and i["id"] != own_id
                 for i in self.resources[resource].values()):  # fmt: skip
            failures.append(_failure("Name", "Should be unique"))
        if resource == "downloadclient":
            return failures + [_failure("", m) for m in client_failures(body)]
        base = values.get("baseUrl") or ""
        if not str(base).startswith(("http://", "https://")):
            failures.append(_failure("BaseUrl", "Invalid Url"))
        if self.flavour.prowlarr:
            if not any(p["id"] == body.get("appProfileId") for p in self.profiles):
                failures.append(_failure("AppProfileId", "App Profile does not exist"))
            if not 1 <= int(body.get("priority", 0)) <= 50:
                failures.append(_failure("Priority", "must be between 1 and 50"))
        elif not values.get("categories") and not values.get("animeCategories"):
            failures.append(
                _failure("", "Either 'Categories' or 'Anime Categories' must be provided")
            )
        return failures

    async def run_test(self, resource: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The app's Test of an indexer (caps, then the RSS request; ≥ 1 parsed item passes)
        or of a download client (``arr_downloadclients.test_qbittorrent``)."""
        self.tests_run += 1
        if resource == "downloadclient":
            if self.indexer_client is None:
                return [_failure("Host", "Unable to connect to qBittorrent")]
            return [_failure("", m) for m in await test_qbittorrent(self.indexer_client, body)]
        values = {f["name"]: f.get("value") for f in body.get("fields") or []}
        url = f"{values.get('baseUrl')}{values.get('apiPath') or ''}"
        params: dict[str, Any] = {"t": self.flavour.test_query, "extended": 1}
        if values.get("apiKey"):
            params["apikey"] = values["apiKey"]
        cats = [*(values.get("categories") or []), *(values.get("animeCategories") or [])]
        if cats and not self.flavour.prowlarr:
            params.update(cat=",".join(map(str, cats)), offset=0, limit=100)
        if self.indexer_client is None:
            return [_failure("", "Unable to connect to indexer: no route")]
        try:
            caps = await self.indexer_client.get(url, params={"t": "caps", **_key(values)})
            feed = await self.indexer_client.get(url, params=params)
        except httpx.HTTPError as exc:
            return [_failure("", f"Unable to connect to indexer: {exc}")]
        for response in (caps, feed):
            if response.status_code >= 400:
                return [_failure("", f"Unable to connect to indexer: HTTP {response.status_code}")]
            root = ET.fromstring(response.content)
            error = root if root.tag == "error" else root.find(".//error")
            if error is not None:
                code = int(error.attrib["code"])
                if 100 <= code <= 199:
                    return [_failure("ApiKey", INVALID_KEY)]
                return [_failure("", f"Torznab error detected: {error.attrib['description']}")]
        if not ET.fromstring(feed.content).findall("./channel/item"):
            return [_failure("", NO_RESULTS)]
        modes = {m.tag: m.attrib for m in ET.fromstring(caps.content).iterfind("./searching/*")}
        wanted = {"tvsearch": "tv-search", "movie": "movie-search"}.get(self.flavour.test_query)
        usable = [
            m
            for tag, m in modes.items()
            if tag in ("search", wanted) and m.get("available") == "yes"
        ]
        if not any("q" in m.get("supportedParams", "q").split(",") for m in usable):
            return [_failure("", "Indexer does not support required search parameters")]
        return []

    # ---- routes -------------------------------------------------------------------------
    def build(self) -> Starlette:
        p = self.flavour.prefix

        def guarded(handler: Any) -> Any:
            async def endpoint(request: Request) -> Response:
                if not self._authorised(request):
                    return Response(status_code=401)
                resource = request.url.path[len(p) + 1 :].split("/")[0]
                response: Response = await handler(request, resource)
                return response

            return endpoint

        async def listing(request: Request, resource: str) -> Response:
            if request.method == "POST":
                return await self._save(request, resource, None)
            ordered = sorted(self.resources[resource].values(), key=lambda i: i["name"])
            return JSONResponse(ordered)

        async def one(request: Request, resource: str) -> Response:
            ident = int(request.path_params["id"])
            if ident not in self.resources[resource]:
                return JSONResponse({"message": "NotFound"}, status_code=404)
            if request.method == "PUT":
                return await self._save(request, resource, ident)
            return JSONResponse(self.resources[resource][ident])

        async def schema(request: Request, resource: str) -> Response:
            if resource == "downloadclient":
                app = self.flavour.app
                return JSONResponse([client_template(app, i) for i in ("Deluge", "QBittorrent")])
            return JSONResponse([self.template("Newznab"), self.template("Torznab")])

        async def test(request: Request, resource: str) -> Response:
            failures = await self.run_test(resource, await request.json())
            return JSONResponse(failures, status_code=400) if failures else JSONResponse("{}")

        async def profiles(request: Request, resource: str) -> Response:
            return JSONResponse(self.profiles)

        routes = [Route(f"{p}/appprofile", guarded(profiles), methods=["GET"])]
        for name in ("indexer", "downloadclient"):
            routes += [
                Route(f"{p}/{name}", guarded(listing), methods=["GET", "POST"]),
                Route(f"{p}/{name}/schema", guarded(schema), methods=["GET"]),
                Route(f"{p}/{name}/test", guarded(test), methods=["POST"]),
                Route(f"{p}/{name}/{{id:int}}", guarded(one), methods=["GET", "PUT"]),
            ]
        return Starlette(routes=routes)

    async def _save(self, request: Request, resource: str, ident: int | None) -> Response:
        body = await request.json()
        force = request.query_params.get("forceSave", "false").lower() == "true"
        failures = self._validate(resource, body, ident)
        enabled = body.get("enable", body.get("enableRss", True))
        if not failures and enabled and not force:
            failures = await self.run_test(resource, body)
        if failures:
            return JSONResponse(failures, status_code=400)
        if ident is None:
            ident = next(self._ids)
        stored = {**body, "id": ident}
        stored.pop("presets", None)
        created = ident not in self.resources[resource]
        self.resources[resource][ident] = stored
        self.writes.append((request.method, request.url.path))
        return JSONResponse(stored, status_code=201 if created else 202)


def _key(values: dict[str, Any]) -> dict[str, Any]:
    return {"apikey": values["apiKey"]} if values.get("apiKey") else {}


def _failure(prop: str, message: str) -> dict[str, Any]:
    return {"propertyName": prop, "errorMessage": message, "severity": "error",
            "isWarning": False, "attemptedValue": None}  # fmt: skip
