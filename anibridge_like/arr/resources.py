"""What ``connect`` registers in each app, as data: the apps, their provider resources, and the
entries we want (:class:`Desired`) built from the libraries.

A provider resource (an indexer, a download client) is created from the app's own schema
template of an implementation (``GET /api/v3/indexer/schema``), so every field the app expects is
present with its default; we set only the fields we own. Our qBittorrent-compatible download
client (``anibridge_like/downloads``, ``/api/v2``) is one more :class:`ResourceKind`
(``downloadclient``, implementation ``QBittorrent``; fields ``host``, ``port``, ``useSsl``,
``urlBase``, ``username``, ``password`` of Sonarr's/Radarr's
``Download/Clients/QBittorrent/QBittorrentSettings.cs``; the category keeps the app's default).

Field names are the camel-cased settings properties (Sonarr
``src/NzbDrone.Core/Indexers/Newznab/NewznabSettings.cs``: ``baseUrl``, ``apiPath``, ``apiKey``,
``categories``, ``animeCategories``; Radarr has no anime categories; Prowlarr
``src/NzbDrone.Core/Indexers/Definitions/Newznab/NewznabSettings.cs``: ``baseUrl``,
``apiPath``, ``apiKey``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from anibridge_like.libraries.model import Library, LibrarySource
from anibridge_like.torznab.caps import served_categories

API_PATH = "/api"
ANIME_CATEGORY = 5070
NAME_PREFIX = "anibridge-like"


@dataclass(frozen=True, slots=True)
class Target:
    """One library as an app should see it."""

    library: Library
    torznab_url: str
    """``{base}/torznab/{slug}``: the app appends the API Path."""
    key: str | None


@dataclass(frozen=True, slots=True)
class Desired:
    """One entry we own in an app: its name, the fields we set, and top-level attributes
    (set on create; ``owned`` ones are kept equal on update too)."""

    name: str
    fields: dict[str, Any]
    on_create: dict[str, Any] = field(default_factory=dict)
    match_fields: tuple[str, ...] = ("baseUrl",)
    """Fields whose values together identify our entry even when the user renamed it."""


@dataclass(frozen=True, slots=True)
class ResourceKind:
    path: str
    """``indexer`` or ``downloadclient`` (under the app's API prefix)."""
    implementation: str
    preset: str | None
    """A preset of the implementation's schema entry to start from (Prowlarr's
    "Generic Torznab"), or None for the entry itself."""
    desired: Callable[[AppSpec, Sequence[Target], dict[str, Any]], list[Desired]]
    """Entries wanted for these targets; the dict holds facts: ``base_url`` (where the app
    reaches us), ``qbittorrent_username``/``qbittorrent_password``, and what was looked up in
    the app first (Prowlarr's ``app_profile_id``)."""
    testable: bool = True


@dataclass(frozen=True, slots=True)
class AppSpec:
    name: str
    api_prefix: str
    kinds: frozenset[str]
    """Library kinds the app consumes."""
    resources: tuple[ResourceKind, ...]
    needs_app_profile: bool = False


def _tv_categories(library: Library) -> tuple[list[int], list[int]]:
    """(Categories, Anime Categories) for Sonarr: anime libraries put 5070 in Anime Categories
    (Sonarr's anime searches use only those) and their quality category in Categories."""
    tv = [c for c in served_categories(library) if 5000 <= c < 6000]
    anime = [c for c in tv if c == ANIME_CATEGORY]
    standard = [c for c in tv if c != ANIME_CATEGORY]
    return standard, anime


def entry_name(library: Library) -> str:
    return f"{NAME_PREFIX} {library.slug}"


def _indexer_fields(target: Target) -> dict[str, Any]:
    return {"baseUrl": target.torznab_url, "apiPath": API_PATH, "apiKey": target.key or ""}


def _sonarr_indexers(
    app: AppSpec, targets: Sequence[Target], facts: dict[str, Any]
) -> list[Desired]:
    out = []
    for target in targets:
        standard, anime = _tv_categories(target.library)
        fields = {**_indexer_fields(target), "categories": standard, "animeCategories": anime}
        out.append(Desired(entry_name(target.library), fields, _ARR_ENABLE))
    return out


def _radarr_indexers(
    app: AppSpec, targets: Sequence[Target], facts: dict[str, Any]
) -> list[Desired]:
    return [
        Desired(
            entry_name(target.library),
            {
                **_indexer_fields(target),
                "categories": [c for c in served_categories(target.library) if 2000 <= c < 3000],
            },
            _ARR_ENABLE,
        )
        for target in targets
    ]


def _prowlarr_indexers(
    app: AppSpec, targets: Sequence[Target], facts: dict[str, Any]
) -> list[Desired]:
    extra = {"enable": True, "priority": 25, "appProfileId": facts["app_profile_id"]}
    return [Desired(entry_name(t.library), _indexer_fields(t), extra) for t in targets]


def _download_clients(
    app: AppSpec, targets: Sequence[Target], facts: dict[str, Any]
) -> list[Desired]:
    """One qBittorrent client pointing at our ``/api/v2`` (when the app gets any library)."""
    if not targets:
        return []
    address = urlsplit(facts["base_url"])
    secure = address.scheme == "https"
    fields = {
        "host": address.hostname or "localhost",
        "port": address.port or (443 if secure else 80),
        "useSsl": secure,
        "urlBase": address.path.rstrip("/"),
        "username": facts.get("qbittorrent_username") or "",
        "password": facts.get("qbittorrent_password") or "",
    }
    on_create = {"enable": True, "priority": 1}
    return [Desired(NAME_PREFIX, fields, on_create, match_fields=("host", "port", "urlBase"))]


DOWNLOAD_CLIENT = ResourceKind("downloadclient", "QBittorrent", None, _download_clients)

_ARR_ENABLE = {
    "enableRss": True,
    "enableAutomaticSearch": True,
    "enableInteractiveSearch": True,
    "priority": 25,
}

APPS: dict[str, AppSpec] = {
    "sonarr": AppSpec(
        "sonarr",
        "/api/v3",
        frozenset({"series", "anime"}),
        (ResourceKind("indexer", "Torznab", None, _sonarr_indexers), DOWNLOAD_CLIENT),
    ),
    "radarr": AppSpec(
        "radarr",
        "/api/v3",
        frozenset({"movies"}),
        (ResourceKind("indexer", "Torznab", None, _radarr_indexers), DOWNLOAD_CLIENT),
    ),
    "prowlarr": AppSpec(
        "prowlarr",
        "/api/v1",
        frozenset({"series", "anime", "movies"}),
        (ResourceKind("indexer", "Torznab", "Generic Torznab", _prowlarr_indexers),),
        needs_app_profile=True,
    ),
}


class UnknownLibrary(ValueError):
    pass


def targets_for(
    app: AppSpec,
    sources: Sequence[LibrarySource],
    base_url: str,
    global_key: str | None,
    only: Sequence[str] = (),
) -> list[Target]:
    """The libraries ``app`` consumes (``only``: just these slugs), each with its Torznab URL
    and the narrowest key that opens it (its own, else the global one). ``sources`` are the
    seed's entries: the app needs a library's key in clear, which a :class:`Library` keeps only
    as a digest."""
    libraries = [Library.from_source(source) for source in sources]
    own_keys = {source.slug: source.api_key for source in sources}
    by_slug = {lib.slug: lib for lib in libraries}
    for slug in only:
        if slug not in by_slug:
            known = ", ".join(sorted(by_slug)) or "none"
            raise UnknownLibrary(f"no library named {slug!r} (libraries: {known})")
        if by_slug[slug].kind not in app.kinds:
            raise UnknownLibrary(
                f"library {slug!r} is a {by_slug[slug].kind} library; {app.name} takes "
                f"{', '.join(sorted(app.kinds))} libraries"
            )
    chosen = (
        [by_slug[s] for s in only] if only else [lib for lib in libraries if lib.kind in app.kinds]
    )
    base = base_url.rstrip("/")
    return [
        Target(lib, f"{base}/torznab/{lib.slug}", own_keys[lib.slug] or global_key)
        for lib in chosen
    ]
