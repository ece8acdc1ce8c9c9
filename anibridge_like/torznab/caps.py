"""``t=caps``: limits, search modes with their exact parameters, and the standard categories.

Categories are the Newznab standard ids with their English names (Prowlarr maps them by name);
a library declares its own ids in the seed (defaults by kind:
:data:`anibridge_like.libraries.model.DEFAULT_CATEGORIES`).
A declared sub-category brings its parent along (5070 → 5000 TV / 5070 Anime).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from anibridge_like.libraries.model import Library
from anibridge_like.torznab.render import DECLARATION, attr

DEFAULT_LIMIT = 50
MAX_LIMIT = 100

SEARCH_PARAMS = "q"
TV_SEARCH_PARAMS = "q,season,ep,tvdbid,imdbid,tmdbid"
MOVIE_SEARCH_PARAMS = "q,imdbid,tmdbid"

STANDARD_CATEGORIES: dict[int, str] = {
    1000: "Console",
    2000: "Movies",
    2010: "Foreign",
    2020: "Other",
    2030: "SD",
    2040: "HD",
    2045: "UHD",
    2050: "BluRay",
    2060: "3D",
    2070: "DVD",
    2080: "WEB-DL",
    2090: "x265",
    3000: "Audio",
    4000: "PC",
    5000: "TV",
    5010: "WEB-DL",
    5020: "Foreign",
    5030: "SD",
    5040: "HD",
    5045: "UHD",
    5050: "Other",
    5060: "Sport",
    5070: "Anime",
    5080: "Documentary",
    5090: "x265",
    6000: "XXX",
    7000: "Books",
    8000: "Other",
}
"""Newznab standard ids → English names (sub-categories without their parent's prefix)."""

QUALITY_CATEGORY = {"anime": 5040, "series": 5040, "movies": 2040}
"""The quality sub-category every release of a library kind also carries: the releases are
1080p web streams (``WEB 1080p`` in their titles), i.e. TV/HD or Movies/HD. It is what makes an
anime library answer Sonarr with its default settings: Sonarr's Test and RSS sync send only its
Categories (default ``5030,5040``) when Anime Categories is empty
(``NewznabRequestGenerator.GetRecentRequests`` in Sonarr/Sonarr), and its Test fails on an empty
answer. Sonarr does not filter the items it gets by category, and Prowlarr maps 5040 to TV/HD."""


def served_categories(library: Library) -> tuple[int, ...]:
    """The categories Torznab serves a library under (caps, ``cat=`` selection, items): its
    own (declared or the kind's default), then its quality sub-category
    (:data:`QUALITY_CATEGORY`)."""
    own = library.categories
    quality = QUALITY_CATEGORY.get(library.kind)
    return own if quality is None or quality in own else (*own, quality)


def parent_of(category: int) -> int:
    return category - category % 1000


def with_parents(categories: Iterable[int]) -> tuple[int, ...]:
    """The categories an item carries: the library's own, then their parents."""
    own = list(dict.fromkeys(categories))
    parents = [parent_of(c) for c in own if parent_of(c) not in own]
    return tuple(own + list(dict.fromkeys(parents)))


def category_matches(requested: Sequence[int], categories: Sequence[int]) -> bool:
    """Whether a ``cat=`` list selects a library.

    Equal ids match; a requested parent matches the library's sub-categories (``cat=5000``
    reaches an anime library declared as 5070); a requested sub-category matches a library
    that declares only the bare parent of its family (``cat=5030,5040`` reaches a library
    declared as plain 5000). Siblings never match, so ``cat=5070`` stays out of a series library
    declared as 5000/5040 and ``cat=5030,5040`` out of an anime library declared as 5070.
    """
    if not requested:
        return True
    have = set(categories)
    for want in requested:
        parent = parent_of(want)
        if want in have or any(parent_of(c) == want for c in have):
            return True
        family = {c for c in have if parent_of(c) == parent and c != parent}
        if want != parent and parent in have and not family:
            return True
    return False


def _name(category: int) -> str:
    return STANDARD_CATEGORIES.get(category, f"Category {category}")


def _categories_xml(categories: Iterable[int]) -> str:
    tree: dict[int, list[int]] = {}
    for category in categories:
        parent = parent_of(category)
        subs = tree.setdefault(parent, [])
        if category != parent and category not in subs:
            subs.append(category)
    out = []
    for parent in sorted(tree):
        inner = "".join(f'<subcat id="{c}" name="{attr(_name(c))}"/>' for c in sorted(tree[parent]))
        out.append(f'<category id="{parent}" name="{attr(_name(parent))}">{inner}</category>')
    return "\n".join(out)


def _mode(tag: str, available: bool, params: str) -> str:
    return f'<{tag} available="{"yes" if available else "no"}" supportedParams="{params}"/>'


@lru_cache(maxsize=256)
def render_caps(server_title: str, libraries: tuple[Library, ...]) -> str:
    """Caps of the given libraries (one library's endpoint, or every library the key opens);
    cached: the answer depends only on the (immutable) library configs."""
    tv = any(lib.kind != "movies" for lib in libraries)
    movies = any(lib.kind == "movies" for lib in libraries)
    categories = [c for lib in libraries for c in served_categories(lib)]
    return (
        f"{DECLARATION}<caps>\n"
        f'<server version="1.0" title="{attr(server_title)}"/>\n'
        f'<limits default="{DEFAULT_LIMIT}" max="{MAX_LIMIT}"/>\n'
        '<registration available="no" open="no"/>\n'
        "<searching>\n"
        f"{_mode('search', True, SEARCH_PARAMS)}\n"
        f"{_mode('tv-search', tv, TV_SEARCH_PARAMS)}\n"
        f"{_mode('movie-search', movies, MOVIE_SEARCH_PARAMS)}\n"
        f"{_mode('music-search', False, 'q')}\n"
        f"{_mode('audio-search', False, 'q')}\n"
        f"{_mode('book-search', False, 'q')}\n"
        "</searching>\n"
        f"<categories>\n{_categories_xml(categories)}\n</categories>\n"
        "</caps>\n"
    )
