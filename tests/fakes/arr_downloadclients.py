"""The download-client half of the *arr fakes (``tests/fakes/arr_indexers.py`` serves both).

Evidence (paths relative to each repository):

- Resource and endpoints: Sonarr ``src/Sonarr.Api.V3/openapi.json`` (``/api/v3/downloadclient``,
  ``/{id}``, ``/schema``, ``/test``; ``DownloadClientResource`` with ``enable``, ``priority``,
  ``protocol``, ``fields``), Radarr ``src/Radarr.Api.V3/openapi.json`` (the same).
- Fields and defaults: Sonarr ``src/NzbDrone.Core/Download/Clients/QBittorrent/
  QBittorrentSettings.cs`` (``host`` "localhost", ``port`` 8080, ``useSsl``, ``urlBase``,
  ``username``, ``password``, ``tvCategory`` "tv-sonarr", ``tvImportedCategory``, priorities,
  ``initialState``, ``sequentialOrder``, ``firstAndLast``, ``contentLayout``); Radarr's has
  ``movieCategory`` "radarr" instead.
- The Test: Sonarr ``Download/Clients/QBittorrent/QBittorrent.cs`` ``TestConnection`` through
  ``QBittorrentProxyV2.cs``: ``/api/v2/auth/login`` (form ``username``/``password``, answer
  ``Ok.`` and a ``SID`` cookie), ``/api/v2/app/webapiVersion`` (at least 2.0),
  ``/api/v2/app/preferences``; messages "Authentication failure" / "Unable to connect to
  qBittorrent" (``Localization/Core/en.json``
  ``DownloadClientValidationAuthenticationFailure`` / ``DownloadClientValidationUnableToConnect``).
"""

from __future__ import annotations

from typing import Any

import httpx


def qbittorrent_fields(app: str) -> list[dict[str, Any]]:
    category = ("tvCategory", "tv-sonarr") if app == "sonarr" else ("movieCategory", "radarr")
    imported = "tvImportedCategory" if app == "sonarr" else "movieImportedCategory"
    specs: list[tuple[str, Any, str]] = [
        ("host", "localhost", "textbox"),
        ("port", 8080, "textbox"),
        ("useSsl", False, "checkbox"),
        ("urlBase", None, "textbox"),
        ("username", None, "textbox"),
        ("password", None, "password"),
        (category[0], category[1], "textbox"),
        (imported, None, "textbox"),
        ("initialState", 0, "select"),
        ("sequentialOrder", False, "checkbox"),
        ("firstAndLast", False, "checkbox"),
        ("contentLayout", 0, "select"),
    ]
    return [
        {"order": i, "name": name, "label": name, "value": value, "type": kind,
         "advanced": False, "privacy": "normal", "isFloat": False}
        for i, (name, value, kind) in enumerate(specs)
    ]  # fmt: skip


def client_template(app: str, implementation: str) -> dict[str, Any]:
    fields = qbittorrent_fields(app) if implementation == "QBittorrent" else []
    return {
        "name": None, "fields": fields, "implementationName": implementation,
        "implementation": implementation, "configContract": f"{implementation}Settings",
        "infoLink": f"https://wiki.servarr.com/{app}/supported#{implementation.lower()}",
        "tags": [], "enable": True, "protocol": "torrent", "priority": 1,
        "removeCompletedDownloads": True, "removeFailedDownloads": True, "presets": [],
    }  # fmt: skip


def client_failures(body: dict[str, Any]) -> list[str]:
    values = {f["name"]: f.get("value") for f in body.get("fields") or []}
    out = []
    if not values.get("host"):
        out.append("'Host' must not be empty.")
    if not 1 <= int(values.get("port") or 0) <= 65535:
        out.append("'Port' must be between 1 and 65535.")
    return out


async def test_qbittorrent(client: httpx.AsyncClient, body: dict[str, Any]) -> list[str]:
    """Sonarr's qBittorrent Test against ``client`` (our daemon): [] when it passes."""
    values = {f["name"]: f.get("value") for f in body.get("fields") or []}
    scheme = "https" if values.get("useSsl") else "http"
    root = f"{scheme}://{values['host']}:{values['port']}{values.get('urlBase') or ''}/api/v2"
    unable = "Unable to connect to qBittorrent"
    try:
        login = await client.post(
            f"{root}/auth/login",
            data={
                "username": values.get("username") or "",
                "password": values.get("password") or "",
            },
        )
        if login.status_code == 403 or login.text.strip() != "Ok.":
            return ["Authentication failure"]
        session = {"Cookie": f"SID={login.cookies.get('SID') or ''}"}
        version = await client.get(f"{root}/app/webapiVersion", headers=session)
        if version.status_code != 200 or float(version.text.strip().split(".")[0] or 0) < 2:
            return [unable]
        preferences = await client.get(f"{root}/app/preferences", headers=session)
        if preferences.status_code != 200 or not isinstance(preferences.json(), dict):
            return [unable]
    except (httpx.HTTPError, ValueError):
        return [unable]
    return []
