"""The library model: kinds, default categories (the one definition), and the immutable
:class:`Library` value every layer reads (Torznab access and caps, plugin payloads, jobs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from anibridge_like.keys import key_digest
from anibridge_like.plugins.provider import Language

LibraryKind = Literal["series", "anime", "movies"]
LIBRARY_KINDS: tuple[LibraryKind, ...] = ("series", "anime", "movies")

DEFAULT_CATEGORIES: dict[str, tuple[int, ...]] = {
    "series": (5000, 5040),
    "anime": (5070,),
    "movies": (2000, 2040),
}
"""Torznab categories of a library that declares none, by kind (Newznab standard ids)."""

ALL_LANGUAGES: tuple[Language, ...] = tuple(Language)


def default_categories(kind: str) -> tuple[int, ...]:
    """The default categories of ``kind`` (an unknown kind is treated as ``series``)."""
    return DEFAULT_CATEGORIES.get(kind, DEFAULT_CATEGORIES["series"])


def title_kind_sql(library: str) -> str:
    """SQL expression: the title kind (``movie`` | ``series``) a ``libraries`` row aliased
    ``library`` holds (the SQL twin of :attr:`Library.title_kind`)."""
    return f"CASE {library}.kind WHEN 'movies' THEN 'movie' ELSE 'series' END"


def default_name(slug: str) -> str:
    """A library's display name when the seed gives none."""
    return slug.replace("-", " ").title()


class LibrarySource(Protocol):
    """Anything carrying a library's fields (a seed entry, a database row adapter)."""

    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def categories(self) -> Sequence[int]: ...
    @property
    def languages(self) -> Sequence[Language | str]: ...
    @property
    def api_key(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Library:
    """One library, normalised: categories and languages never empty, duplicates removed."""

    slug: str
    name: str
    kind: LibraryKind
    categories: tuple[int, ...]
    languages: tuple[Language, ...]
    """Served language variants, preferred first (every variant when none is configured)."""
    api_key: str | None
    """The digest of the library's own key (:func:`anibridge_like.keys.key_digest`)."""

    @property
    def title_kind(self) -> Literal["series", "movie"]:
        return "movie" if self.kind == "movies" else "series"

    def payload(self) -> dict[str, str]:
        """What plugin payloads carry about the library they act for."""
        return {"library_slug": self.slug, "library_name": self.name}

    @classmethod
    def from_source(cls, source: LibrarySource) -> Library:
        kind: LibraryKind = source.kind if source.kind in ("anime", "movies") else "series"  # type: ignore[assignment]
        languages = tuple(Language(str(lang)) for lang in source.languages) or ALL_LANGUAGES
        categories = tuple(dict.fromkeys(int(c) for c in source.categories))
        return cls(
            slug=source.slug,
            name=source.name or default_name(source.slug),
            kind=kind,
            categories=categories or default_categories(kind),
            languages=tuple(dict.fromkeys(languages)),
            api_key=key_digest(source.api_key) if source.api_key else None,
        )
