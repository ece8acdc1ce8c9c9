"""A deterministic generated catalog: the "truth" behind every fake site and fake metadata server.

``GeneratedCatalog(site, size, seed)`` yields the same titles for the same arguments on every
machine. Title names (with Unicode, punctuation, leading "The", German/English variants and a few
same-name shows from different years) are generated up front (cheap: one short record per title);
seasons and episodes are generated lazily per title from a per-title seed, so a 100,000-title
catalog never sits in memory as a whole.

Each title also carries its canonical side (TVDB id/name/year and TVDB numbering of every episode,
IMDb/TMDB ids for movies, AniList id for anime) so the fake metadata servers answer consistently and
tests can assert what the canonical stage should have found.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from anibridge_like.demo import names
from anibridge_like.plugins.provider import FILM_SEASON, SPECIAL_SEASON, Language

Flavor = Literal["anime", "series", "movies"]
Numbering = Literal["same", "continuous", "split"]
_FLAVOR_BY_SITE: dict[str, Flavor] = {"aniworld": "anime", "sto": "series", "megakino": "movies"}


@dataclass(frozen=True, slots=True)
class GenEpisode:
    season: int
    """Site numbering; 0 = specials, -1 = films."""
    number: int
    kind: Literal["episode", "special", "film"]
    titles: dict[str, str]
    languages: frozenset[Language]
    absolute: int | None
    """Absolute number (canonical, regular episodes only)."""
    tvdb_season: int | None
    tvdb_episode: int | None


@dataclass(frozen=True, slots=True)
class GenTitle:
    index: int
    site: str
    slug: str
    title: str
    aliases: tuple[str, ...]
    kind: Literal["series", "movie"]
    year: int
    canonical_title: str
    numbering: Numbering
    tvdb_id: int | None
    imdb_id: str | None
    tmdb_id: int | None
    anilist_id: int | None
    site_id: int
    """Numeric id as megakino-style URLs carry it (``/films/<id>-<slug>.html``)."""
    seed: int
    episode_target: int
    languages: frozenset[Language]
    episodes: list[GenEpisode] = field(default_factory=list, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class _Name:
    title: str
    canonical: str
    aliases: tuple[str, ...]
    year: int
    kind: Literal["series", "movie"]
    matchable: bool


class GeneratedCatalog:
    """Deterministic catalog of ``size`` titles for ``site`` (flavor follows the site)."""

    def __init__(
        self,
        site: str,
        size: int,
        seed: int = 0,
        *,
        flavor: Flavor | None = None,
        episodes_per_title: int = 24,
    ) -> None:
        if not 1 <= size <= 200_000:
            raise ValueError(f"catalog size must be 1..200000, got {size}")
        self.site = site
        self.size = size
        self.seed = seed
        self.flavor: Flavor = flavor or _FLAVOR_BY_SITE.get(site, "series")
        self.episodes_per_title = max(1, episodes_per_title)
        self._names: list[_Name] = []
        self._slugs: list[str] = []
        self._index_by_slug: dict[str, int] = {}
        rng = random.Random(f"{site}:{seed}:names")
        seen_canonical: dict[str, int] = {}
        for i in range(size):
            name = self._make_name(rng, i, seen_canonical)
            slug = names.slugify(name.title)
            if slug in self._index_by_slug:
                slug = f"{slug}-{name.year}"
            n = 2
            base = slug
            while slug in self._index_by_slug:
                slug = f"{base}-{n}"
                n += 1
            self._names.append(name)
            self._slugs.append(slug)
            self._index_by_slug[slug] = i
        self._title_cache = lru_cache(maxsize=512)(self._build_title)

    # ---- names ---------------------------------------------------------------------------
    def _make_name(self, rng: random.Random, i: int, seen: dict[str, int]) -> _Name:
        year = rng.randint(1985, 2025)
        kind: Literal["series", "movie"] = "series"
        if self.flavor == "movies":
            kind = "movie" if rng.random() < 0.7 else "series"
        elif self.flavor == "anime" and _film_only(self.site, self.seed, i):
            kind = "movie"  # an anime film listed on its own (only a /filme page)
        # Every 97th title reuses an earlier canonical name with another year (remakes).
        if i > 10 and i % 97 == 0:
            prev = self._names[rng.randrange(len(self._names))]
            canonical = prev.canonical
            while year == prev.year:
                year = rng.randint(1985, 2025)
        elif self.flavor == "anime" and rng.random() < 0.3:
            canonical = f"{rng.choice(names.JA)} {rng.choice(names.JA_TAIL)}"
        else:
            pattern = rng.choice(names.EN_PATTERNS)
            canonical = pattern.format(
                adj=rng.choice(names.EN_ADJ),
                noun=rng.choice(names.EN_NOUN),
                noun2=rng.choice(names.EN_NOUN),
                roman=rng.choice(names.ROMAN),
            )
        count = seen.get(canonical, 0)
        seen[canonical] = count + 1
        if count and not (i > 10 and i % 97 == 0):
            canonical = f"{canonical} {names.ROMAN[min(count - 1, len(names.ROMAN) - 1)]}"
            if seen.get(canonical):
                canonical = f"{canonical} ({year})"
            seen[canonical] = 1
        aliases: list[str] = []
        roll = rng.random()
        title = canonical
        if roll < 0.25:
            title = f"{rng.choice(names.DE_ADJ)} {rng.choice(names.DE_NOUN)}"
            if seen.get(title):
                title = f"{title} {year}"
            seen[title] = 1
            aliases.append(canonical)
        elif roll < 0.35 and canonical.startswith("The "):
            title = canonical[4:]
            if self.flavor == "movies":
                aliases.append(canonical)
        if rng.random() < 0.3:
            ja_alias = f"{rng.choice(names.JA)} {rng.choice(names.JA_TAIL)}"
            if self.flavor != "movies":
                # megakino shows one alias: the original title (``.pmovie__original-title``)
                aliases.append(ja_alias)
        matchable = rng.random() >= 0.05
        return _Name(title, canonical, tuple(aliases), year, kind, matchable)

    # ---- access --------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[GenTitle]:
        for i in range(self.size):
            yield self.title(i)

    @property
    def slugs(self) -> list[str]:
        return self._slugs

    def by_slug(self, slug: str) -> GenTitle | None:
        i = self._index_by_slug.get(slug)
        return None if i is None else self.title(i)

    def by_site_id(self, site_id: int) -> GenTitle | None:
        i = site_id - 1000
        return self.title(i) if 0 <= i < self.size else None

    def headline(self, i: int) -> tuple[str, str, tuple[str, ...], str, int]:
        """(slug, title, aliases, kind, year) without generating episodes (for listings)."""
        n = self._names[i]
        return self._slugs[i], n.title, n.aliases, n.kind, n.year

    def title(self, i: int) -> GenTitle:
        if not 0 <= i < self.size:
            raise IndexError(i)
        return self._title_cache(i)

    # ---- titles --------------------------------------------------------------------------
    def _build_title(self, i: int) -> GenTitle:
        name = self._names[i]
        seed = int.from_bytes(
            hashlib.blake2b(f"{self.site}:{self.seed}:{i}".encode(), digest_size=8).digest(), "big"
        )
        rng = random.Random(seed)
        langs = self._title_languages(rng)
        numbering: Numbering = "same"
        if self.flavor == "anime":
            roll = rng.random()
            numbering = "continuous" if roll < 0.15 else "split" if roll < 0.3 else "same"
        digest = int(hashlib.sha1(f"{self.site}:{self.seed}:{i}".encode()).hexdigest()[:7], 16)
        tvdb_id = 70000 + digest % 900000 if name.matchable and name.kind == "series" else None
        imdb_id = f"tt{1000000 + digest % 8999999:07d}" if name.matchable else None
        tmdb_id = 1000 + digest % 900000 if name.matchable else None
        anilist_id = 1 + digest % 200000 if self.flavor == "anime" and name.matchable else None
        title = GenTitle(
            index=i,
            site=self.site,
            slug=self._slugs[i],
            title=name.title,
            aliases=name.aliases,
            kind=name.kind,
            year=name.year,
            canonical_title=name.canonical,
            numbering=numbering,
            tvdb_id=tvdb_id,
            imdb_id=imdb_id,
            tmdb_id=tmdb_id,
            anilist_id=anilist_id,
            site_id=1000 + i,
            seed=seed,
            episode_target=self.episodes_per_title,
            languages=langs,
        )
        title.episodes.extend(_episodes(title, rng, self.flavor))
        return title

    def _title_languages(self, rng: random.Random) -> frozenset[Language]:
        pools: tuple[set[Language], ...]
        if self.flavor == "anime":
            pools = (
                {Language.GERMAN_SUB},
                {Language.GERMAN_DUB, Language.GERMAN_SUB},
                {Language.GERMAN_SUB, Language.ENGLISH_SUB},
                {Language.GERMAN_DUB, Language.GERMAN_SUB, Language.ENGLISH_SUB},
            )
        elif self.flavor == "series":
            # s.to offers German and English audio only (its season-page flags and player
            # labels: "Deutsch", "Englisch"; aniworld 4.x ``s_to/episode.py`` LANG_LABEL_TO_ENUM)
            pools = (
                {Language.GERMAN_DUB},
                {Language.GERMAN_DUB, Language.ENGLISH_DUB},
                {Language.ENGLISH_DUB},
                {Language.GERMAN_DUB},
            )
        else:
            # megakino is a German site: every film and serial is German audio
            pools = ({Language.GERMAN_DUB},)
        return frozenset(rng.choice(pools))


def _film_only(site: str, seed: int, i: int) -> bool:
    """About 1 in 16 anime titles is a film on its own (hash-based: the name stream is kept)."""
    digest = hashlib.blake2b(f"{site}:{seed}:{i}:film".encode(), digest_size=2).digest()
    return i > 0 and digest[0] % 16 == 0


def _episode_titles(rng: random.Random, number: int) -> dict[str, str]:
    k = rng.randrange(len(names.EP_WORDS_EN))
    return {
        "en": f"The {names.EP_WORDS_EN[k]} ({number})",
        "de": f"{names.EP_WORDS_DE[k % len(names.EP_WORDS_DE)]} ({number})",
    }


def _languages_for(
    rng: random.Random, base: frozenset[Language], late: bool
) -> frozenset[Language]:
    # Later episodes sometimes lack the dub (dubs trail subs): mixed languages inside a season.
    if late and Language.GERMAN_DUB in base and len(base) > 1 and rng.random() < 0.5:
        return base - {Language.GERMAN_DUB}
    return base


def _episodes(title: GenTitle, rng: random.Random, flavor: Flavor) -> list[GenEpisode]:
    if title.kind == "movie":
        return [
            GenEpisode(
                FILM_SEASON,
                1,
                "film",
                {"de": title.title, "en": title.canonical_title},
                title.languages,
                None,
                None,
                None,
            )
        ]
    target = title.episode_target
    total = max(1, int(rng.uniform(0.4, 1.6) * target))
    tvdb_seasons: list[int] = []
    left = total
    while left > 0:
        n = min(left, rng.choice((6, 8, 10, 12, 13, 24, 26)))
        tvdb_seasons.append(n)
        left -= n
    out: list[GenEpisode] = []
    absolute = 0
    site_season = 1
    site_number = 0
    split_half = 0
    for s_index, count in enumerate(tvdb_seasons, start=1):
        half = count // 2 if title.numbering == "split" and count >= 12 else count
        for e in range(1, count + 1):
            absolute += 1
            if title.numbering == "continuous":
                site_season, site_number = 1, absolute
            elif title.numbering == "split":
                # the site splits one TVDB season into two cours, each numbered from 1
                if e == 1:
                    split_half = 0
                    site_season = len({ep.season for ep in out if ep.kind == "episode"}) + 1
                if e == half + 1 and half != count:
                    split_half = half
                    site_season += 1
                site_number = e - split_half
            else:
                site_season, site_number = s_index, e
            late = e > count * 0.75
            out.append(
                GenEpisode(
                    site_season,
                    site_number,
                    "episode",
                    _episode_titles(rng, e),
                    _languages_for(rng, title.languages, late),
                    absolute,
                    s_index,
                    e,
                )
            )
    if rng.random() < 0.2 and flavor != "movies":  # megakino posts seasons, no specials
        for n in range(1, rng.randint(1, 3) + 1):
            out.append(
                GenEpisode(
                    SPECIAL_SEASON,
                    n,
                    "special",
                    _episode_titles(rng, n),
                    title.languages,
                    None,
                    0,
                    n,
                )
            )
    if flavor == "anime" and rng.random() < 0.15:
        for n in range(1, rng.randint(1, 2) + 1):
            tv = (0, 100 + n) if rng.random() < 0.5 else (None, None)
            out.append(
                GenEpisode(
                    FILM_SEASON,
                    n,
                    "film",
                    {
                        "en": f"{title.canonical_title}: The Movie {n}",
                        "de": f"{title.title}: Der Film {n}",
                    },
                    title.languages,
                    None,
                    tv[0],
                    tv[1],
                )
            )
    return out
