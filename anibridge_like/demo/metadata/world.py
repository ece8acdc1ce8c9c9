"""A metadata world with the discrepancies real catalogues have, each phenomenon on ≥ 12 titles.

The generated catalogs (:mod:`anibridge_like.demo.catalog`) map one site title onto one show;
real catalogues do not. :class:`MappingWorld` adds site titles (AniWorld-, s.to- and
megakino-style) together with the SkyHook shows, AniList media and TMDB movies that make them
hard, and the truth a careful person would find. Everything is deterministic.

=================  =================================================================================
phenomenon         what the world holds
=================  =================================================================================
``twins``          two TVDB shows with the same name, year and episodes that both list the page's
                   AniList id (half: and its IMDb id) — indistinguishable: must end as ``conflict``
``cours``          a show listing one AniList/MAL id per season (``aniListIds: [a1, a2, a3]``); the
                   site page of a later cour carries that cour's own name (known to AniList only);
                   half of the pages link the franchise's IMDb id
``sequels``        sequel pages (``X - 2. Staffel``, ``X - Staffel 3``, ``X II``, ``X III``,
                   ``X Final Season``, ``X: re``, ``X 2nd Season``, ``X Season 2``, ``X Part 2``)
                   whose TVDB entry is a later season of ``X``; some already numbered as that
                   season, half linking the franchise's IMDb id
``suffix``         TVDB disambiguation suffixes: ``Name (2023)`` / ``Name (2020) (JP)`` next to an
                   older plain ``Name``
``imdb``           pages whose only usable link is the IMDb id (German title unknown to the
                   metadata services' names) — series on s.to, movies on megakino
``german``         movies whose site title is TMDB's German translation (the en-US title differs);
                   half with a site year one off and a look-alike released that year
``films``          anime film pages ``X – The Movie: Y``: the film is a TVDB special of ``X``; a
                   quarter are standalone films (TMDB) named like an unrelated TVDB series
``special_run``    a site season holding a TVDB special as a regular episode (later ones shift by
                   one); half of them with episode titles that do not agree on some episodes
=================  =================================================================================

Truth lives on the site titles (:class:`~anibridge_like.demo.catalog.GenTitle`): ``tvdb_id`` /
``tmdb_id`` and each episode's ``tvdb_season``/``tvdb_episode`` (``None``: nothing to serve);
``imdb_id`` is what the page links. :attr:`MappingWorld.conflicts` names the titles that must not
be served at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from anibridge_like.demo.catalog import GenEpisode, GeneratedCatalog, GenTitle
from anibridge_like.demo.metadata.records import Media, Movie, Show, ShowEpisode
from anibridge_like.demo.metadata.world_catalog import WorldCatalog
from anibridge_like.demo.names import EP_WORDS_DE, EP_WORDS_EN, slugify
from anibridge_like.plugins.provider import FILM_SEASON, Language

PER_PHENOMENON = 12
PHENOMENA = ("twins", "cours", "sequels", "suffix", "imdb", "german", "films", "special_run")
_SYL = ("ka", "mi", "ro", "ze", "na", "shi", "to", "ri", "yu", "ha", "ne", "so", "fu", "ku")
_NOUNS = (
    "Lantern", "Vessel", "Orchard", "Compass", "Tapestry", "Meridian", "Citadel", "Requiem",
    "Paradox", "Mirage", "Lullaby", "Cascade", "Ember", "Zenith", "Labyrinth", "Reverie",
)  # fmt: skip
_DE_NOUNS = ("Laterne", "Schiff", "Obstgarten", "Kompass", "Teppich", "Zitadelle", "Spiegel")
_SUBS = ("Kanketsu-hen", "Shinsei-hen", "Kakusei-hen", "Ketsudan-hen", "Reimei-hen", "Yomi-hen")
_LANGS = frozenset({Language.GERMAN_SUB, Language.GERMAN_DUB})


def _word(k: int) -> str:
    return (_SYL[k % 14] + _SYL[(k * 5 + 3) % 14] + _SYL[(k * 3 + 7) % 14]).capitalize()


def _ep_titles(k: int, n: int) -> dict[str, str]:
    w = (k * 7 + n * 3) % len(EP_WORDS_EN)
    return {
        "en": f"The {EP_WORDS_EN[w]} of {_word(k + n)} ({n})",
        "de": f"{EP_WORDS_DE[w % len(EP_WORDS_DE)]} von {_word(k + n)} ({n})",
    }


@dataclass
class MappingWorld:
    """Site titles per site, the metadata records that go with them, and the truth."""

    seed: int = 0
    per_phenomenon: int = PER_PHENOMENON
    titles: dict[str, list[GenTitle]] = field(default_factory=dict)
    phenomenon: dict[tuple[str, str], str] = field(default_factory=dict)
    conflicts: set[tuple[str, str]] = field(default_factory=set)
    shows: list[Show] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    movies: list[Movie] = field(default_factory=list)
    _k: int = 0

    def __post_init__(self) -> None:
        self._k = 1 + self.seed * 1000
        builders: dict[str, Callable[[int], None]] = {
            "twins": self._twins,
            "cours": self._cours,
            "sequels": self._sequels,
            "suffix": self._suffix,
            "imdb": self._imdb,
            "german": self._german,
            "films": self._films,
            "special_run": self._special_run,
        }
        for name, build in builders.items():
            self._current = name
            for i in range(self.per_phenomenon):
                build(i)

    # ---- helpers ---------------------------------------------------------------------------
    def _next(self) -> int:
        self._k += 1
        return self._k

    def _name(self, k: int) -> str:
        return f"{_word(k)} {_NOUNS[(k * 3) % len(_NOUNS)]}"

    def _ids(self, k: int) -> tuple[int, int, str, int]:
        """(tvdb, anilist, imdb, tmdb) ids of entry ``k`` (ranges the generated catalogs avoid)."""
        return 5_000_000 + k, 700_000 + 10 * k, f"tt5{k:07d}", 3_000_000 + k

    def _add(
        self,
        site: str,
        title: str,
        year: int,
        episodes: list[GenEpisode],
        *,
        aliases: tuple[str, ...] = (),
        kind: Literal["series", "movie"] = "series",
        tvdb: int | None = None,
        tmdb: int | None = None,
        imdb: str | None = None,
        anilist: int | None = None,
        conflict: bool = False,
    ) -> GenTitle:
        items = self.titles.setdefault(site, [])
        slug = f"{slugify(title)}-{self._k}"
        t = GenTitle(
            index=-1,
            site=site,
            slug=slug,
            title=title,
            aliases=aliases,
            kind=kind,
            year=year,
            canonical_title=title,
            numbering="same",
            tvdb_id=tvdb,
            imdb_id=imdb,
            tmdb_id=tmdb,
            anilist_id=anilist,
            site_id=0,
            seed=self._k,
            episode_target=len(episodes),
            languages=_LANGS,
        )
        t.episodes.extend(episodes)
        items.append(t)
        self.phenomenon[(site, slug)] = self._current
        if conflict:
            self.conflicts.add((site, slug))
        return t

    def _show(
        self,
        tvdb: int,
        title: str,
        year: int,
        episodes: tuple[ShowEpisode, ...],
        *,
        anilist: tuple[int, ...] = (),
        imdb: str | None = None,
    ) -> None:
        """A SkyHook show (anime when it lists AniList ids; MAL id = AniList id + 1 000 000)."""
        mal = tuple(a + 1_000_000 for a in anilist)
        aired = f"{year}-04-01"
        self.shows.append(
            Show(tvdb, title, aired, (), imdb, None, mal, anilist, episodes, bool(anilist))
        )

    @staticmethod
    def _site_eps(
        k: int, count: int, *, site_season: int = 1, tv_season: int | None = 1, first_abs: int = 1
    ) -> list[GenEpisode]:
        return [
            GenEpisode(
                site_season,
                n,
                "episode",
                _ep_titles(k + (tv_season or 0) * 50, n),
                _LANGS,
                first_abs + n - 1,
                tv_season,
                n if tv_season is not None else None,
            )
            for n in range(1, count + 1)
        ]

    @staticmethod
    def _show_eps(k: int, seasons: list[int], year: int) -> tuple[ShowEpisode, ...]:
        out: list[ShowEpisode] = []
        absolute = 0
        for s, count in enumerate(seasons, start=1):
            for n in range(1, count + 1):
                absolute += 1
                out.append(
                    ShowEpisode(
                        s,
                        n,
                        absolute,
                        _ep_titles(k + s * 50, n)["en"],
                        f"{year + s - 1}-04-{n:02d}",
                    )
                )
        return tuple(out)

    # ---- phenomena ---------------------------------------------------------------------------
    def _twins(self, i: int) -> None:
        k = self._next()
        name, year = self._name(k), 1995 + i
        tvdb, anilist, imdb, _tmdb = self._ids(k)
        linked = imdb if i % 2 else None  # half: both twins carry the page's IMDb id too
        eps = self._show_eps(k, [12], year)
        for twin in (tvdb, tvdb + 500_000):
            self._show(twin, name, year, eps, anilist=(anilist,), imdb=linked)
        self.media.append(Media(anilist, name, name, year, 12, anilist + 1_000_000))
        site_eps = [
            GenEpisode(1, n, "episode", _ep_titles(k + 50, n), _LANGS, n, None, None)
            for n in range(1, 13)
        ]
        self._add("aniworld", name, year, site_eps, imdb=linked, conflict=True)

    def _cours(self, i: int) -> None:
        k = self._next()
        name, year = self._name(k), 2000 + i
        tvdb, a1, imdb, _tmdb = self._ids(k)
        linked = imdb if i % 4 >= 2 else None  # half: the page links the franchise's IMDb id
        cours = (a1, a1 + 1, a1 + 2)
        self._show(
            tvdb, name, year, self._show_eps(k, [12, 12, 12], year), anilist=cours, imdb=linked
        )
        subs = (_SUBS[i % len(_SUBS)], _SUBS[(i + 1) % len(_SUBS)])
        self.media.append(Media(a1, name, name, year, 12, a1 + 1_000_000))
        for c, sub in enumerate(subs, start=1):
            cour_name = f"{name}: {sub}"
            self.media.append(
                Media(cours[c], cour_name, cour_name, year + c, 12, cours[c] + 1_000_000)
            )
        c = 1 + i % 2  # one later cour per franchise and title
        eps = self._site_eps(k, 12, tv_season=c + 1, first_abs=12 * c + 1)
        self._add("aniworld", f"{name}: {subs[c - 1]}", year + c, eps, tvdb=tvdb, imdb=linked)

    _SEQUELS: tuple[tuple[str, int, int, bool], ...] = (
        # (form with {x}, TVDB season it is, seasons the show has, site numbers it as that season)
        ("{x} - 2. Staffel", 2, 2, False),
        ("{x} - Staffel 3", 3, 3, False),
        ("{x} II", 2, 3, False),
        ("{x} III", 3, 3, False),
        ("{x} Final Season", 4, 4, False),
        ("{x}: re", 2, 2, False),
        ("{x} 2nd Season", 2, 2, True),
        ("{x} Season 2", 2, 3, False),
        ("{x} Part 2", 2, 2, False),
        ("{x} 3rd Season", 3, 3, False),
        ("{x} - 2. Staffel", 2, 3, True),
        ("{x} Season 3", 3, 3, True),
    )

    def _sequels(self, i: int) -> None:
        k = self._next()
        name, year = self._name(k), 1998 + i
        form, season, seasons, numbered = self._SEQUELS[i % len(self._SEQUELS)]
        tvdb, anilist, imdb, _tmdb = self._ids(k)
        linked = imdb if i % 2 else None  # half: the page links the franchise's IMDb id
        self._show(
            tvdb,
            name,
            year,
            self._show_eps(k, [10] * seasons, year),
            anilist=(anilist,),
            imdb=linked,
        )
        self.media.append(Media(anilist, name, name, year, 10, anilist + 1_000_000))
        eps = self._site_eps(
            k,
            10,
            site_season=season if numbered else 1,
            tv_season=season,
            first_abs=10 * (season - 1) + 1,
        )
        page = form.format(x=name)
        self._add("aniworld", page, year + season - 1, eps, tvdb=tvdb, imdb=linked)

    def _suffix(self, i: int) -> None:
        k = self._next()
        name, year = self._name(k), 2010 + i
        tvdb, _a, _imdb, _tmdb = self._ids(k)
        suffix = f"{name} ({year})" if i % 2 == 0 else f"{name} ({year}) (JP)"
        old = year - 6 - i % 5
        self._show(tvdb + 500_000, name, old, self._show_eps(k + 7, [10], old))
        self._show(tvdb, suffix, year, self._show_eps(k, [10], year))
        site = "sto" if i % 3 else "aniworld"
        self._add(site, name, year, self._site_eps(k, 10), tvdb=tvdb)

    def _imdb(self, i: int) -> None:
        k = self._next()
        name, year = self._name(k), 1990 + i
        tvdb, _a, imdb, tmdb = self._ids(k)
        german = f"Die {_word(k + 300)} {_DE_NOUNS[i % len(_DE_NOUNS)]}"
        if i % 2 == 0:
            self._show(tvdb, name, year, self._show_eps(k, [8], year), imdb=imdb)
            self._add("sto", german, year, self._site_eps(k, 8), tvdb=tvdb, imdb=imdb)
        else:
            self.movies.append(
                Movie(tmdb, name, name, f"{year}-05-05", imdb, release_years=(year,))
            )
            film = GenEpisode(FILM_SEASON, 1, "film", {"de": german}, _LANGS, None, None, None)
            # megakino pages link no IMDb id (see demo/sites/megakino.py): an IMDb-only film
            # lives where pages do link one, as an AniWorld film-only title
            self._add("aniworld", german, year, [film], kind="movie", tmdb=tmdb, imdb=imdb)

    def _german(self, i: int) -> None:
        k = self._next()
        year = 2001 + i
        _t, _a, imdb, tmdb = self._ids(k)
        english = f"The {_word(k)} {_NOUNS[(k * 3) % len(_NOUNS)]}"
        german = f"Das {_DE_NOUNS[i % len(_DE_NOUNS)]} von {_word(k)}"
        self.movies.append(
            Movie(
                tmdb, english, english, f"{year}-10-10", imdb, {"de": german}, release_years=(year,)
            )
        )
        site_year = year + (i % 2)
        if i % 2:  # a look-alike released in the site's (wrong) year
            look = f"{german} Reloaded"
            self.movies.append(
                Movie(
                    tmdb + 500_000,
                    f"{english} Reloaded",
                    f"{english} Reloaded",
                    f"{site_year}-03-03",
                    None,
                    {"de": look},
                    release_years=(site_year,),
                )
            )
        film = GenEpisode(FILM_SEASON, 1, "film", {"de": german}, _LANGS, None, None, None)
        self._add("megakino", german, site_year, [film], kind="movie", tmdb=tmdb)

    def _films(self, i: int) -> None:
        k = self._next()
        name, year = self._name(k), 2003 + i
        tvdb, anilist, _imdb, tmdb = self._ids(k)
        if i % 4 == 3:  # a standalone film whose name an unrelated TVDB series also has
            self._show(tvdb, name, year, self._show_eps(k, [12], year))
            self.movies.append(
                Movie(tmdb, name, name, f"{year + 1}-07-07", None, {}, (), (year + 1,))
            )
            film = GenEpisode(FILM_SEASON, 1, "film", {"de": name}, _LANGS, None, None, None)
            self._add("aniworld", name, year + 1, [film], kind="movie", tmdb=tmdb)
            return
        sub = _word(k + 77)
        regular = self._show_eps(k, [12], year)
        specials = (
            ShowEpisode(0, 1, None, f"{name} – Recap", f"{year}-09-01"),
            ShowEpisode(0, 2, None, f"{name} – The Movie: {sub}", f"{year + 1}-08-01"),
        )
        self._show(tvdb, name, year, regular + specials, anilist=(anilist,))
        self.media.append(Media(anilist, name, name, year, 12, anilist + 1_000_000))
        titles = {"en": f"{name} – The Movie: {sub}", "de": f"{name} – Der Film: {sub}"}
        film = GenEpisode(FILM_SEASON, 1, "film", titles, _LANGS, None, 0, 2)
        kind: Literal["series", "movie"] = "movie" if i % 2 else "series"
        self._add("aniworld", titles["en"], year + 1, [film], kind=kind, tvdb=tvdb)

    def _special_run(self, i: int) -> None:
        k = self._next()
        name, year = self._name(k), 2005 + i
        tvdb, anilist, _imdb, _tmdb = self._ids(k)
        regular = self._show_eps(k, [12], year)
        recap = f"Recap: {_word(k + 55)} Memories"
        special = ShowEpisode(0, 1, None, recap, f"{year}-05-20")
        self._show(tvdb, name, year, (*regular, special), anilist=(anilist,))
        self.media.append(Media(anilist, name, name, year, 13, anilist + 1_000_000))
        at = 5 + i % 4  # the special sits after regular episode `at`
        eps: list[GenEpisode] = []
        for n in range(1, 14):
            if n <= at:
                tv: tuple[int, int] = (1, n)
            elif n == at + 1:
                tv = (0, 1)
            else:
                tv = (1, n - 1)
            titles = _ep_titles(k + 50, tv[1]) if tv[0] == 1 else {"en": recap, "de": recap}
            if i % 2 and n % 4 == 2:  # the site's titles for some episodes differ from TVDB's
                titles = {"de": f"Folge {n}"}
            eps.append(GenEpisode(1, n, "episode", titles, _LANGS, None, tv[0], tv[1]))
        self._add("aniworld", name, year, eps, tvdb=tvdb)

    # ---- access ------------------------------------------------------------------------------
    def catalog(self, base: GeneratedCatalog) -> WorldCatalog:
        """``base`` with this world's titles for its site appended (what the site fakes render)."""
        return WorldCatalog(base, self.titles.get(base.site, []))


def _released(m: Movie, year: int) -> Movie:
    return Movie(
        m.id, m.title, m.original_title, m.release_date, m.imdb_id, m.translations,
        m.alternative_titles, (year,),
    )  # fmt: skip
