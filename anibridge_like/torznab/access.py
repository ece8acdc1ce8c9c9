"""Which libraries a request may see: the endpoint, the API key, and the library's config.

Keys: the global key (``ANIBRIDGE_API_KEY``) opens every library; a library's own key (seed
``api_key``) opens that library. A library needs a key when either is set; one without any key set
is open. ``/torznab/api`` serves every library the presented key opens, so a key for ``anime``
never sees ``movies``. Keys are held as digests and compared digest to digest in constant time
(:mod:`anibridge_like.keys`).
"""

from __future__ import annotations

from collections.abc import Sequence

from anibridge_like.keys import key_digest, key_matches
from anibridge_like.libraries.model import ALL_LANGUAGES, Library
from anibridge_like.torznab.errors import NewznabCode, NewznabError

__all__ = ["Library", "opens", "select_libraries"]


def opens(library: Library, presented: str | None, global_key: str | None) -> bool:
    """``global_key``: the global key or its digest."""
    if global_key is None and library.api_key is None:
        return True
    if not presented:
        return False
    # Evaluate both comparisons so the time does not depend on which key matched.
    by_global = key_matches(presented, key_digest(global_key) if global_key else None)
    by_own = key_matches(presented, library.api_key)
    return by_global or by_own


def select_libraries(
    libraries: Sequence[Library],
    slug: str | None,
    presented: str | None,
    global_key: str | None,
) -> list[Library]:
    """The libraries the request may see (of ``AppContext.libraries``), or a Newznab error.

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


_CLOSED = Library("", "", "series", (), ALL_LANGUAGES, None)
