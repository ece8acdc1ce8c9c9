"""The one definition of a canonical work's key, in Python and in SQL.

A work is keyed by the first id present of :data:`WORK_NAMESPACES` — ``tvdb:<id>``, else
``tmdb:<id>``, else ``imdb:<tt…>`` — whatever its kind (a movie TMDB and TVDB both know is
``tvdb:…``, as ``works`` stores it). AniList and MAL ids never key a work: a title known only
by them has no work (no ``works`` row, no ``title_works`` row, no recommendation, no
media-server ownership). Used by the canonical stage (``works.key``), the ``title_works`` view
(migration 0018 spells out :func:`work_key_sql` of ``sm``), media-server resolution and the
recommendations, so the same title has the same work everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

WORK_NAMESPACES = ("tvdb", "tmdb", "imdb")
"""Namespaces that key a work, first present wins."""


def work_key(ids: Mapping[str, object]) -> str | None:
    """The work key of these ids (``None``: none of TVDB/TMDB/IMDb). A TVDB/TMDB id must be an
    integer (or its digits) and an IMDb id non-empty; anything else counts as absent."""
    for namespace in WORK_NAMESPACES:
        value = ids.get(namespace)
        if value is None or isinstance(value, bool):
            continue
        text = str(value).strip()
        if text and (namespace == "imdb" or text.isdigit()):
            return f"{namespace}:{text}"
    return None


def work_key_sql(alias: str) -> str:
    """SQL: the work key of a ``series_mappings`` row aliased ``alias`` (``NULL`` without one);
    the expression of the ``title_works`` view."""
    whens = " ".join(
        f"WHEN {alias}.{ns}_id IS NOT NULL THEN '{ns}:' || {alias}.{ns}_id"
        for ns in WORK_NAMESPACES
    )
    return f"CASE {whens} END"


def work_rank(key: str) -> tuple[int, str]:
    """Sort key choosing among several works: by namespace precedence, then the key."""
    namespace = key.partition(":")[0]
    order = WORK_NAMESPACES.index(namespace) if namespace in WORK_NAMESPACES else 99
    return (order, key)
