"""What the fake metadata services hold: one record per SkyHook show, AniList media and TMDB movie.

The fakes serve records, not generated titles, so a metadata world can hold entries no site title
corresponds to (twins, older same-named shows, look-alike movies, a franchise's later cours) —
the discrepancies real catalogues have (see :mod:`anibridge_like.demo.metadata.world`). The
``*_from_title`` converters turn a :class:`~anibridge_like.demo.catalog.GenTitle` into the record
the fakes always served for it.

Field names follow the real services (the JSON the fakes render is built from them):

* :class:`Show` — Sonarr's SkyHook ``ShowResource`` (``tvdbId``, ``title``, ``firstAired``,
  ``imdbId``, ``tmdbId``, ``malIds``/``aniListIds`` *lists*, ``alternativeTitles``, ``seasons``,
  ``episodes``) and ``EpisodeResource`` (``seasonNumber``, ``episodeNumber``,
  ``absoluteEpisodeNumber``, ``title``, ``airDate``): Sonarr/Sonarr
  ``src/NzbDrone.Core/MetadataSource/SkyHook/Resource/ShowResource.cs`` and ``EpisodeResource.cs``.
* :class:`Media` — AniList GraphQL ``Media`` (``id``, ``idMal``, ``format``, ``episodes``,
  ``startDate``, ``title { romaji english native }``, ``synonyms``): the AniList schema
  (https://anilist.co/graphiql, docs.anilist.co).
* :class:`Movie` — TMDB v3 movie details (``id``, ``title``, ``original_title``,
  ``release_date``, ``imdb_id``) with ``translations`` (``iso_639_1``, ``data.title``) and
  ``alternative_titles`` (``iso_3166_1``, ``title``): TMDB's published v3 OpenAPI
  (developer.themoviedb.org, "Movies → Details / Alternative Titles / Translations").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from anibridge_like.demo.catalog import GenTitle


@dataclass(frozen=True, slots=True)
class ShowEpisode:
    season: int
    number: int
    absolute: int | None
    title: str | None
    air_date: str


@dataclass(frozen=True, slots=True)
class Show:
    tvdb_id: int
    title: str
    first_aired: str
    alternative_titles: tuple[str, ...] = ()
    imdb_id: str | None = None
    tmdb_id: int | None = None
    mal_ids: tuple[int, ...] = ()
    anilist_ids: tuple[int, ...] = ()
    episodes: tuple[ShowEpisode, ...] = ()
    anime: bool = False
    titles_by_lang: Mapping[str, tuple[str | None, ...]] = field(default_factory=dict)
    """Episode titles in further languages, in ``episodes`` order (``en`` is ``title``)."""


@dataclass(frozen=True, slots=True)
class Media:
    id: int
    english: str
    romaji: str
    year: int
    episodes: int | None
    id_mal: int | None = None
    format: str = "TV"
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Movie:
    id: int
    title: str
    """The English (``en-US``) title."""
    original_title: str
    release_date: str
    imdb_id: str | None = None
    translations: Mapping[str, str] = field(default_factory=dict)
    """Title per ISO 639-1 language (``de`` → the German title)."""
    alternative_titles: tuple[tuple[str, str], ...] = ()
    """``(iso_3166_1, title)`` pairs."""
    release_years: tuple[int, ...] = ()
    """Every year the movie was released in some country (TMDB's ``year`` filter matches any)."""


def first_aired(t: GenTitle) -> str:
    key = t.tvdb_id or t.index
    return f"{t.year}-{1 + key % 12:02d}-{1 + key % 28:02d}"


def release_date(t: GenTitle) -> str:
    return f"{t.year}-{1 + t.index % 12:02d}-{1 + t.index % 28:02d}"


def alternative_titles(t: GenTitle) -> tuple[str, ...]:
    """A generated show's TVDB aliases: its romaji aliases and, for even ids, the site's title."""
    out = [a for a in t.aliases if a != t.canonical_title]
    if t.tvdb_id is not None and t.tvdb_id % 2 == 0 and t.title != t.canonical_title:
        out.append(t.title)
    elif t.title in out:
        out.remove(t.title)
    return tuple(dict.fromkeys(out))


def show_from_title(t: GenTitle) -> Show:
    assert t.tvdb_id is not None
    aired = first_aired(t)
    tv = [e for e in t.episodes if e.tvdb_season is not None and e.tvdb_episode is not None]
    episodes = tuple(
        ShowEpisode(
            e.tvdb_season or 0,
            e.tvdb_episode or 0,
            e.absolute if e.kind == "episode" else None,
            e.titles.get("en"),
            aired,
        )
        for e in tv
    )
    de = tuple(e.titles.get("de") for e in tv)
    return Show(
        tvdb_id=t.tvdb_id,
        title=t.canonical_title,
        first_aired=aired,
        alternative_titles=alternative_titles(t),
        imdb_id=t.imdb_id,
        tmdb_id=t.tmdb_id,
        mal_ids=(t.anilist_id + 100000,) if t.anilist_id else (),
        anilist_ids=(t.anilist_id,) if t.anilist_id else (),
        episodes=episodes,
        anime=t.anilist_id is not None,
        titles_by_lang={"de": de},
    )


def media_from_title(t: GenTitle) -> Media:
    assert t.anilist_id is not None
    romaji = next((a for a in t.aliases if a != t.canonical_title), t.canonical_title)
    if romaji == t.title:
        romaji = t.canonical_title
    return Media(
        id=t.anilist_id,
        english=t.canonical_title,
        romaji=romaji,
        year=t.year,
        episodes=sum(1 for e in t.episodes if e.kind == "episode"),
        id_mal=t.anilist_id + 100000,
        synonyms=(t.title,) if t.title != t.canonical_title else (),
    )


def movie_from_title(t: GenTitle) -> Movie:
    assert t.tmdb_id is not None
    return Movie(
        id=t.tmdb_id,
        title=t.canonical_title,
        original_title=t.canonical_title,
        release_date=release_date(t),
        imdb_id=t.imdb_id,
        alternative_titles=tuple(
            ("DE", a) for a in dict.fromkeys((t.title, *t.aliases)) if a != t.canonical_title
        ),
        release_years=(t.year,),
    )
