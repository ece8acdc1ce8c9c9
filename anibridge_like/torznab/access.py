"""Which libraries a request may see: the endpoint, the API key, and the library's config.

Keys: the global key (``ANIBRIDGE_API_KEY``) opens every library; a library's own key (seed
``api_key``) opens that library. A library needs a key when either is set; one without any key set
is open. ``/torznab/api`` serves every library the presented key opens, so a key for ``anime``
never sees ``movies``. Comparisons are constant-time (:func:`hmac.compare_digest`).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from anibridge_like.libraries.model import ALL_LANGUAGES, Library, LibrarySource
from anibridge_like.torznab.errors import NewznabCode, NewznabError

__all__ = ["Library", "LibrarySource", "libraries_of", "opens", "select_libraries"]


def _matches(presented: bytes, key: str | None) -> bool:
    return key is not None and hmac.compare_digest(presented, key.encode())


def opens(library: Library, presented: str | None, global_key: str | None) -> bool:
    if global_key is None and library.api_key is None:
        return True
    if presented is None:
        return False
    raw = presented.encode()
    # Evaluate both comparisons so the time does not depend on which key matched.
    by_global = _matches(raw, global_key)
    by_own = _matches(raw, library.api_key)
    return by_global or by_own


def select_libraries(
    libraries: Sequence[Library],
    slug: str | None,
    presented: str | None,
    global_key: str | None,
) -> list[Library]:
    """The libraries the request may see (see :func:`libraries_of`), or a Newznab error.

    ``slug=None`` is ``/torznab/api``: every library the key opens (error 100 when the key opens
    none although some library exists). With a slug: that library, or error 100 / 201.
    """
    every = list(libraries)
    if slug is not None:
        chosen = [lib for lib in every if lib.slug == slug]
        if not chosen:
            if global_key is not None and not opens(_CLOSED, presented, global_key):
                raise NewznabError(NewznabCode.INCORRECT_CREDENTIALS)
            raise NewznabError(NewznabCode.INCORRECT_PARAMETER, f"no library named {slug[:60]!r}")
        every = chosen
    allowed = [lib for lib in every if opens(lib, presented, global_key)]
    if not every and global_key is not None and not opens(_CLOSED, presented, global_key):
        raise NewznabError(NewznabCode.INCORRECT_CREDENTIALS)
    if every and not allowed:
        raise NewznabError(NewznabCode.INCORRECT_CREDENTIALS)
    return allowed


_converted: dict[int, tuple[object, tuple[Library, ...]]] = {}


def libraries_of(seed_libraries: Sequence[LibrarySource]) -> tuple[Library, ...]:
    """Library sources (seed entries) as :class:`Library` values, converted once per sequence
    object. The application serves ``AppContext.libraries`` (the database snapshot); this is for
    callers holding only a seed."""
    key = id(seed_libraries)
    cached = _converted.get(key)
    if cached is not None and cached[0] is seed_libraries:
        return cached[1]
    converted = tuple(Library.from_source(lib) for lib in seed_libraries)
    _converted.clear()  # one live seed at a time; never grows
    _converted[key] = (seed_libraries, converted)
    return converted


_CLOSED = Library("", "", "series", (), ALL_LANGUAGES, None)
