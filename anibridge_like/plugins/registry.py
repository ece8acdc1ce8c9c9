"""The plugin registry: plugin kinds as a table, built-in implementations listed explicitly,
third-party ones found through entry points, both resolved the same way.

:data:`PLUGIN_KINDS` is the one table of kinds (kind → contract module, entry-point group,
instance columns); everything else — the seed's ``kind`` check, the reconcile's kind-specific
columns, the :class:`~anibridge_like.plugins.manager.PluginManager` — reads it. Adding a kind is
one entry here (plus its contract module and, when it has built-ins, one :data:`BUILTINS` entry):

================  ==================================  =========================================
kind              entry-point group                   contract module
================  ==================================  =========================================
provider          ``anibridge_like.providers``        :mod:`anibridge_like.plugins.provider`
metadata          ``anibridge_like.metadata``         :mod:`anibridge_like.plugins.metadata`
sync              ``anibridge_like.sync``             :mod:`anibridge_like.plugins.sync`
recommendation    ``anibridge_like.recommendations``  :mod:`anibridge_like.plugins.recommendation`
host              ``anibridge_like.hosts``            :mod:`anibridge_like.plugins.host`
media_server      ``anibridge_like.media_servers``    :mod:`anibridge_like.plugins.media_server`
================  ==================================  =========================================

An implementation is a class exposing ``capabilities`` and ``config_model`` (a pydantic model of
its instance config) and constructed as ``Impl(config_model_instance, http_client)``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any


@dataclass(frozen=True, slots=True)
class PluginKind:
    """One row of the kinds table."""

    entry_point_group: str
    """``importlib.metadata`` group third-party implementations of the kind register under."""
    contract: str
    """Module holding the kind's ``Protocol``, dataclasses and capabilities (its docstring is
    the contract)."""
    columns: tuple[str, ...] = ()
    """``plugin_instances`` columns only this kind fills (stored NULL for every other kind;
    the seed rejects them elsewhere)."""
    remote_methods: tuple[str, ...] = ()
    """Contract methods that run in the plugin worker process when ``plugin_isolation`` is
    ``process`` (:mod:`anibridge_like.plugins.isolation`): the indexing kinds, whose HTTP and
    parsing would otherwise take the event loop's time from Torznab requests. Their arguments
    and answers must pickle (the contracts' dataclasses do)."""


PLUGIN_KINDS: dict[str, PluginKind] = {
    "provider": PluginKind(
        "anibridge_like.providers",
        "anibridge_like.plugins.provider",
        ("site", "refresh_interval_hours", "refresh_cron"),
        remote_methods=("list_titles", "fetch_detail"),
    ),
    "metadata": PluginKind(
        "anibridge_like.metadata",
        "anibridge_like.plugins.metadata",
        remote_methods=(
            "search_series",
            "get_series",
            "search_movie",
            "get_movie",
            "find_series",
            "find_movie",
        ),
    ),
    "sync": PluginKind("anibridge_like.sync", "anibridge_like.plugins.sync"),
    "recommendation": PluginKind(
        "anibridge_like.recommendations", "anibridge_like.plugins.recommendation"
    ),
    "media_server": PluginKind(
        "anibridge_like.media_servers", "anibridge_like.plugins.media_server"
    ),
    "host": PluginKind("anibridge_like.hosts", "anibridge_like.plugins.host"),
}

INSTANCE_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(column for kind in PLUGIN_KINDS.values() for column in kind.columns)
)
"""Every kind-specific ``plugin_instances`` column (a new column needs a migration too)."""

# Built-ins, registered explicitly ("module:attribute", imported on first use).
BUILTINS: dict[str, dict[str, str]] = {
    "provider": {
        "aniworld": "anibridge_like.providers.aniworld:AniWorldProvider",
        "sto": "anibridge_like.providers.sto:StoProvider",
        "megakino": "anibridge_like.providers.megakino:MegakinoProvider",
    },
    "metadata": {
        "skyhook": "anibridge_like.metadata.skyhook:SkyHookMetadata",
        "anilist": "anibridge_like.metadata.anilist:AniListMetadata",
        "tmdb": "anibridge_like.metadata.tmdb:TmdbMetadata",
    },
    "sync": {
        "sonarr": "anibridge_like.sync.arr:SonarrSync",
        "radarr": "anibridge_like.sync.arr:RadarrSync",
        "anilist": "anibridge_like.sync.anilist:AniListSync",
    },
    "recommendation": {"anilist": "anibridge_like.recommendations.anilist:AniListRecommendations"},
    "media_server": {
        "jellyfin": "anibridge_like.mediaservers.jellyfin:JellyfinServer",
        "plex": "anibridge_like.mediaservers.plex:PlexServer",
        "filesystem": "anibridge_like.mediaservers.filesystem:FilesystemServer",
    },
    "host": {"generic": "anibridge_like.hosts.generic:GenericHost"},
}


def load_target(target: str) -> Any:
    """The object a ``module:qualname`` target names (imported on first use)."""
    module_name, _, qualname = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def kind_of(name: str) -> PluginKind:
    """The kinds-table entry of ``name`` (``KeyError`` naming the known kinds otherwise)."""
    try:
        return PLUGIN_KINDS[name]
    except KeyError:
        raise KeyError(f"unknown plugin kind {name!r} (known: {', '.join(PLUGIN_KINDS)})") from None


class UnknownImplementationError(LookupError):
    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = known
        super().__init__(
            f"unknown {kind} implementation {name!r} (known: {', '.join(known) or 'none'})"
        )


@dataclass(frozen=True, slots=True)
class Registration:
    kind: str
    name: str
    target: str
    """``module:attribute`` of the implementation class."""
    builtin: bool


class Registry:
    """Resolves ``(kind, implementation name)`` to an implementation class."""

    def __init__(self, extra: dict[str, dict[str, Any]] | None = None) -> None:
        self._entries: dict[str, dict[str, Registration]] = {k: {} for k in PLUGIN_KINDS}
        self._loaded: dict[tuple[str, str], Any] = {}
        for kind, items in BUILTINS.items():
            for name, target in items.items():
                self._entries[kind][name] = Registration(kind, name, target, True)
        for kind, spec in PLUGIN_KINDS.items():
            for ep in entry_points(group=spec.entry_point_group):
                if ep.name not in self._entries[kind]:
                    self._entries[kind][ep.name] = Registration(kind, ep.name, ep.value, False)
        # Classes registered directly (tests and embedding applications).
        for kind, classes in (extra or {}).items():
            for name, cls in classes.items():
                self._entries.setdefault(kind, {})[name] = Registration(kind, name, "", False)
                self._loaded[(kind, name)] = cls

    def kinds(self) -> list[str]:
        return list(self._entries)

    def names(self, kind: str) -> list[str]:
        return sorted(self._entries.get(kind, {}))

    def registration(self, kind: str, name: str) -> Registration:
        try:
            return self._entries[kind][name]
        except KeyError:
            raise UnknownImplementationError(kind, name, self.names(kind)) from None

    def get(self, kind: str, name: str) -> Any:
        """The implementation class (imported on first use)."""
        key = (kind, name)
        if key not in self._loaded:
            self._loaded[key] = load_target(self.registration(kind, name).target)
        return self._loaded[key]
