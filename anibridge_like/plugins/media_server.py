"""The media-server contract: what Jellyfin, Plex or a plain folder tells the daemon about what the
user already owns.

An implementation is **stateless**: it is constructed once per plugin instance as
``Impl(config_model_instance, httpx_async_client)``, never touches the database and raises only
:class:`~anibridge_like.plugins.errors.PluginError`. The core (``anibridge_like.mediaservers``)
binds daemon libraries to server libraries, pulls the inventory page by page and decides
ownership; the plugin only lists.

The core calls it like this::

    status = await server.check_connection()             # name + version, or PluginError
    libraries = await server.list_libraries()            # resolve a binding by name or ref
    page = await server.list_items(library.ref, None)    # first page
    while page.next_cursor is not None:
        page = await server.list_items(library.ref, page.next_cursor)
    if "trigger_scan" in server.capabilities.optional:
        await server.trigger_scan(library.ref)

Required methods are the three above: every backend implements them (SoulSync's lesson: a method
declared required that a backend cannot honour is a lie). Optional capabilities are declared as
data in :attr:`MediaServerCapabilities.optional`; the core checks that set, never the
implementation's name.

==============  ==================================================================================
capability      meaning
==============  ==================================================================================
trigger_scan    ``trigger_scan(library_ref)`` asks the server to rescan that library
scan_status     ``scan_status(library_ref)`` tells whether a scan is running
==============  ==================================================================================

Errors (the core's meaning is in :data:`anibridge_like.mediaservers.store.CONNECTION_BY_CODE`):
``auth`` — the credentials were rejected, the instance is *disconnected* (retried after hours);
``upstream``/``timeout`` — the server is unreachable or failing, the instance is *degraded* and
retried with backoff; ``not_found`` — the library ref does not exist; ``invalid_data`` — an answer
did not parse. A listing that breaks off after some pages raises the error of the page that
failed: the core then keeps what it had and never reads the short listing as "gone".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

import httpx
from pydantic import BaseModel, ConfigDict, Field

ItemKind = Literal["series", "movie", "episode"]
LibraryKind = Literal["series", "movies", "mixed"]
ProviderIdName = Literal["tvdb", "tmdb", "imdb", "anilist"]
PROVIDER_ID_NAMES: tuple[ProviderIdName, ...] = ("tvdb", "tmdb", "imdb", "anilist")
OptionalCapability = Literal["trigger_scan", "scan_status"]

DEFAULT_PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class MediaServerCapabilities:
    """What an implementation offers beyond the required methods, declared as data."""

    optional: frozenset[OptionalCapability] = frozenset()
    page_size: int = DEFAULT_PAGE_SIZE
    """Items per ``list_items`` page the implementation aims for (episodes may add a few)."""


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """Answer of :meth:`MediaServer.check_connection`."""

    name: str
    version: str
    server_id: str = ""


@dataclass(frozen=True, slots=True)
class ServerLibrary:
    """One library on the server. ``ref`` is what ``list_items`` takes (Jellyfin item id, Plex
    section key, a folder path); ``name`` is what users write in their bindings."""

    ref: str
    name: str
    kind: LibraryKind
    paths: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServerItem:
    """One owned thing: a series (no numbers), a movie, or one episode file.

    ``provider_ids`` uses :data:`PROVIDER_ID_NAMES` keys; IMDb ids carry ``tt``. An episode
    carries its series' ids and title (``series_key`` groups episodes of one series), its
    ``season``/``episode`` (TVDB-style numbering as the server files it), ``episode_end`` for a
    multi-episode file (S01E05E06 → 5, 6) and ``absolute`` where the name gives it.
    """

    server_id: str
    kind: ItemKind
    title: str
    year: int | None = None
    provider_ids: Mapping[str, str] = field(default_factory=dict)
    series_key: str = ""
    season: int | None = None
    episode: int | None = None
    episode_end: int | None = None
    absolute: int | None = None
    path: str = ""


@dataclass(frozen=True, slots=True)
class ItemPage:
    """One page of a library listing; ``next_cursor`` is ``None`` on the last page."""

    items: tuple[ServerItem, ...]
    next_cursor: str | None = None
    total: int | None = None
    """The server's total count when it reports one (progress only)."""


class MediaServerConfig(BaseModel):
    """Config common to every media-server instance (implementations extend it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    libraries: dict[str, str] = Field(
        default_factory=dict,
        description="Bindings: daemon library slug → server library name or ref "
        "(a folder path for the filesystem implementation).",
    )
    trigger_scan: bool = Field(
        False, description="Ask the server to rescan a bound library after a download lands in it."
    )
    page_size: int = Field(
        DEFAULT_PAGE_SIZE, ge=1, le=5000, description="Items requested per listing page."
    )


@runtime_checkable
class MediaServer(Protocol):
    """The required surface every media-server implementation offers."""

    capabilities: ClassVar[MediaServerCapabilities]
    config_model: ClassVar[type[MediaServerConfig]]

    def __init__(self, config: Any, client: httpx.AsyncClient) -> None: ...

    async def check_connection(self) -> ServerStatus:
        """Reach the server and authenticate; name and version on success."""
        ...

    async def list_libraries(self) -> list[ServerLibrary]:
        """Every library (section, virtual folder, bound folder) the server exposes."""
        ...

    async def list_items(self, library_ref: str, cursor: str | None) -> ItemPage:
        """One page of ``library_ref``'s items; ``cursor=None`` starts the listing."""
        ...


@runtime_checkable
class ScanTrigger(Protocol):
    """Optional capability ``trigger_scan``."""

    async def trigger_scan(self, library_ref: str) -> None: ...


@runtime_checkable
class ScanStatus(Protocol):
    """Optional capability ``scan_status``."""

    async def scan_status(self, library_ref: str) -> bool:
        """True while the server is scanning ``library_ref``."""
        ...


def normalise_provider_ids(raw: Mapping[str, Any]) -> dict[str, str]:
    """Keep the ids the contract knows, lower-case keys, non-empty string values, ``tt`` IMDb."""
    out: dict[str, str] = {}
    for key, value in raw.items():
        name = str(key).strip().lower()
        text = str(value).strip() if value is not None else ""
        if name not in PROVIDER_ID_NAMES or not text:
            continue
        if name == "imdb":
            text = text if text.startswith("tt") else f"tt{text}"
        elif not text.isdigit():
            continue
        out[name] = text
    return out
