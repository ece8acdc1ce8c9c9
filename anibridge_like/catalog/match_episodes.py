"""Matching a title's site episodes onto canonical (TVDB) episodes — pure functions, no I/O.

:func:`map_episodes` maps a title's site episodes onto the canonical (TVDB) list: regular episodes
by ``direct`` season/episode numbers when the site's season structure matches TVDB's, else by
``absolute`` number (sites numbering continuously or splitting cours into seasons), each choice
checked against episode titles where both sides have them; unmapped regulars, specials (season 0)
and films (season −1) by ``title`` similarity — specials and films only onto TVDB season 0 and
never onto a slot a regular episode holds. Near-equal title candidates give ``conflict``.

A page's season hint (:func:`resolve_hint`) shifts the site's seasons onto that TVDB season —
once: a site already numbering the sequel as that season is not shifted again.

With the scheme chosen, each run of site episodes is walked along TVDB's air order and checked by
titles (:func:`_align`): a site episode whose title is a TVDB special's *is* that special and the
following ones move back by one (one special in the run no longer shifts every later episode),
one whose title is the next TVDB episode's moves forward. Status is per episode: titles agree →
``confirmed``; no comparable titles → the scheme's status (by the run's title agreement); a
disagreeing title between agreeing neighbours → ``high``, else ``low`` — so a run with low
agreement keeps the episodes that agree instead of demoting them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz

from anibridge_like.catalog.match_titles import (
    CONFLICT_MARGIN,
    EPISODE_AGREE,
    FILM,
    FINAL,
    HIGH,
    LATER,
    LOW,
    digits_of,
    fold,
)
from anibridge_like.plugins.metadata import MetaEpisode

EpisodeStatus = Literal["confirmed", "high", "low", "conflict"]
Method = Literal["direct", "absolute", "title", "override"]
Scheme = Literal["auto", "direct", "absolute"]


@dataclass(frozen=True, slots=True)
class SiteEpisode:
    key: int
    """The caller's id of the episode (``episodes.id``)."""
    season: int
    number: int
    absolute: int | None = None
    kind: Literal["episode", "special", "film"] = "episode"
    titles: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EpisodeMapping:
    key: int
    tvdb_season: int | None
    tvdb_episode: int | None
    absolute: int | None
    status: EpisodeStatus
    method: Method
    reason: str


def title_similarity(a: Mapping[str, str], b: Mapping[str, str]) -> float | None:
    """Best ratio over the languages both sides have titles in (``None``: not comparable);
    titles whose numbers differ lose 25 points."""
    best: float | None = None
    for lang, text in a.items():
        other = b.get(lang)
        if other and text:
            x, y = fold(text), fold(other)
            s = 100.0 if x == y else fuzz.ratio(x, y)
            if digits_of(x) != digits_of(y):
                s -= 25.0  # "Movie 1" is not "Movie 2"
            best = s if best is None else max(best, s)
    return best


def _absolutes(meta: Sequence[MetaEpisode]) -> dict[int, MetaEpisode]:
    regular = sorted((e for e in meta if e.season >= 1), key=lambda e: (e.season, e.number))
    out: dict[int, MetaEpisode] = {}
    for i, e in enumerate(regular, start=1):
        out[e.absolute if e.absolute is not None else i] = e
    return out


def _site_absolute(
    regular: Sequence[SiteEpisode], meta: Sequence[MetaEpisode], hint: int | None
) -> dict[int, int]:
    if regular and all(e.absolute is not None for e in regular) and not hint:
        return {e.key: e.absolute for e in regular if e.absolute is not None}
    base = sum(1 for e in meta if 1 <= e.season < hint) if hint else 0
    sizes: dict[int, int] = {}
    for e in regular:
        sizes[e.season] = max(sizes.get(e.season, 0), e.number)
    offsets: dict[int, int] = {}
    running = base
    for season in sorted(sizes):
        offsets[season] = running
        running += sizes[season]
    return {e.key: offsets[e.season] + e.number for e in regular}


def _agreement(pairs: Sequence[tuple[SiteEpisode, MetaEpisode]]) -> float | None:
    scores = [title_similarity(s.titles, m.titles) for s, m in pairs]
    known = [x for x in scores if x is not None]
    if not known:
        return None
    return sum(1 for x in known if x >= EPISODE_AGREE) / len(known)


def _structure_ok(
    regular: Sequence[SiteEpisode], meta: Sequence[MetaEpisode], season_of: Mapping[int, int]
) -> bool:
    site_counts: dict[int, int] = {}
    for e in regular:
        site_counts[season_of[e.season]] = site_counts.get(season_of[e.season], 0) + 1
    meta_counts: dict[int, int] = {}
    for m in meta:
        meta_counts[m.season] = meta_counts.get(m.season, 0) + 1
    last = max(site_counts, default=0)
    return all(n == meta_counts.get(s, -1) for s, n in site_counts.items() if s != last)


def map_episodes(
    site: Sequence[SiteEpisode],
    meta: Sequence[MetaEpisode],
    *,
    season_hint: int | None = None,
    scheme: Scheme = "auto",
    season_map: Mapping[int, int] | None = None,
    year: int | None = None,
) -> list[EpisodeMapping]:
    """Map a title's site episodes onto canonical episodes (see the module docstring).

    ``season_hint`` is the TVDB season the page is (from its name, a later cour's id, or the
    :data:`LATER`/:data:`FINAL` forms resolved with the page's ``year``); a site that already
    numbers its episodes in that season is not shifted again."""
    regular = sorted(
        (e for e in site if e.kind == "episode" and e.season >= 1),
        key=lambda e: (e.season, e.number),
    )
    meta_regular = [m for m in meta if m.season >= 1]
    season_hint = resolve_hint(season_hint, meta_regular, year)
    site_first = regular[0].season if regular else 1
    by_se = {(m.season, m.number): m for m in meta}
    by_abs = _absolutes(meta)
    abs_of = {id(m): a for a, m in by_abs.items()}
    shift = season_hint - site_first if season_hint and season_hint > site_first else 0
    season_of = {e.season: (season_map or {}).get(e.season, e.season + shift) for e in regular}
    direct = {e.key: by_se.get((season_of[e.season], e.number)) for e in regular}
    site_abs = _site_absolute(regular, meta_regular, season_hint)
    absolute = {e.key: by_abs.get(site_abs[e.key]) for e in regular}
    d_full = all(m is not None and m.season >= 1 for m in direct.values())
    a_full = all(m is not None for m in absolute.values())

    def pairs(choice: Mapping[int, MetaEpisode | None]) -> list[tuple[SiteEpisode, MetaEpisode]]:
        return [(e, m) for e in regular if (m := choice[e.key]) is not None]

    chosen: Mapping[int, MetaEpisode | None]
    method: Method
    base: EpisodeStatus
    if scheme != "auto":
        chosen, method = (direct, "direct") if scheme == "direct" else (absolute, "absolute")
        base = "confirmed"
        why = f"{scheme} numbering pinned by override"
    else:
        d_agree, a_agree = _agreement(pairs(direct)), _agreement(pairs(absolute))
        same = all(direct[k] is absolute[k] for k in direct)
        if d_full and (same or not a_full):
            ok = _structure_ok(regular, meta_regular, season_of)
            chosen, method = direct, "direct"
            trusted = (ok or same) and (d_agree is None or d_agree >= 0.8)
            base = "confirmed" if trusted else _by_agreement(d_agree)
            why = "site seasons match TVDB" if ok else "site numbers exist in TVDB"
        elif a_full and not d_full:
            chosen, method = absolute, "absolute"
            base = _by_agreement(a_agree)
            why = "site numbering differs from TVDB; mapped by absolute number"
        elif a_full and d_full:
            if d_agree is not None and a_agree is not None and abs(d_agree - a_agree) >= 0.2:
                chosen, method = (direct, "direct") if d_agree > a_agree else (absolute, "absolute")
                base = _by_agreement(max(d_agree, a_agree))
                why = "episode titles decide between direct and absolute numbering"
            else:
                more = len(set(season_of.values())) > len({m.season for m in meta_regular})
                chosen, method = (absolute, "absolute") if more else (direct, "direct")
                base = "high"
                why = "site splits TVDB seasons" if more else "site seasons fit TVDB seasons"
        else:
            d_n = sum(1 for m in direct.values() if m is not None and m.season >= 1)
            a_n = sum(1 for m in absolute.values() if m is not None)
            chosen, method = (direct, "direct") if d_n >= a_n else (absolute, "absolute")
            base = "high"
            why = "partial coverage: site has episodes TVDB lacks"

    specials_pool = [m for m in meta if m.season == 0]
    out: list[EpisodeMapping] = []
    used: set[tuple[int, int]] = set()
    unmapped: list[SiteEpisode] = []
    aligned = _align(regular, chosen, meta_regular, specials_pool) if scheme == "auto" else {}
    for e in regular:
        if e.key in aligned:
            m, verdict, sim = aligned[e.key]
        else:
            m, verdict = chosen[e.key], None
            sim = None if m is None else title_similarity(e.titles, m.titles)
        if m is None or (m.season < 1 and verdict is None):
            unmapped.append(e)
            continue
        status: EpisodeStatus = base
        how: Method = method
        if verdict == "agree":
            status = "confirmed"
        elif verdict == "special":
            status, how = "confirmed", "title"
        elif verdict in ("between", "differs"):
            status = "high" if verdict == "between" and base != "low" else "low"
        used.add((m.season, m.number))
        note = "" if verdict in (None, "agree") else f"; aligned ({verdict})"
        out.append(
            EpisodeMapping(
                e.key,
                m.season,
                m.number,
                abs_of.get(id(m)),
                status,
                how,
                (why if sim is None else f"{why}; title {sim:.0f}") + note,
            )
        )
    regular_pool = [m for m in meta_regular if (m.season, m.number) not in used]
    out += _by_title(unmapped, regular_pool, used, abs_of)
    extras = sorted(
        (e for e in site if e.kind != "episode" or e.season < 1),
        key=lambda e: (e.season != 0, e.season, e.number),
    )
    out += _by_title(extras, specials_pool, used, abs_of, direct_fallback=by_se)
    return sorted(out, key=lambda m: m.key)


def resolve_hint(hint: int | None, meta: Sequence[MetaEpisode], year: int | None) -> int | None:
    """The TVDB season a season hint names: :data:`FINAL` the last one, :data:`LATER` the
    later season that first aired in ``year`` (else the second), :data:`FILM` none."""
    if hint is None or hint == FILM:
        return None
    seasons = sorted({m.season for m in meta if m.season >= 1})
    if hint == FINAL:
        return seasons[-1] if seasons else None
    if hint != LATER:
        return hint
    first: dict[int, int] = {}
    for m in meta:
        y = int(m.air_date[:4]) if m.air_date and m.air_date[:4].isdigit() else None
        if m.season >= 2 and y is not None:
            first[m.season] = min(first.get(m.season, y), y)
    later = [s for s in seasons if s >= 2]
    return next((s for s in later if first.get(s) == year), later[0] if later else None)


Verdict = Literal["agree", "special", "between", "differs"]


def _align(
    regular: Sequence[SiteEpisode],
    chosen: Mapping[int, MetaEpisode | None],
    meta_regular: Sequence[MetaEpisode],
    specials: Sequence[MetaEpisode],
) -> dict[int, tuple[MetaEpisode | None, Verdict | None, float | None]]:
    """Walk the site's run of regular episodes along TVDB's air order, checked by titles.

    A site episode whose title is a TVDB special's is that special, and the following ones move
    back by one; one whose title is the next TVDB episode's moves forward. An episode whose title
    disagrees keeps its place: ``between`` when its neighbours agree at that place, else
    ``differs``. Without comparable titles an episode keeps the scheme's choice (``None``)."""
    order = sorted(meta_regular, key=lambda m: (m.season, m.number))
    pos = {id(m): i for i, m in enumerate(order)}
    out: dict[int, tuple[MetaEpisode | None, Verdict | None, float | None]] = {}
    taken: set[int] = set()
    offset, prev_i, prev_season = 0, None, None
    for e in regular:
        m0 = chosen[e.key]
        if m0 is not None and id(m0) in pos:
            i = pos[id(m0)] + offset
        elif prev_i is not None and prev_season == e.season:
            i = prev_i + 1
        else:
            continue
        prev_season = e.season
        m = order[i] if 0 <= i < len(order) else None
        sim = None if m is None else title_similarity(e.titles, m.titles)
        if m is not None and (sim is None or sim >= EPISODE_AGREE):
            out[e.key] = (m, None if sim is None else "agree", sim)
            prev_i = i
            continue
        special = _agreeing(e, [x for x in specials if id(x) not in taken])
        if special is not None:
            taken.add(id(special))
            out[e.key] = (special, "special", 100.0)
            offset -= 1
            prev_i = i - 1
            continue
        step = next(
            (
                d
                for d in (1, -1)
                if 0 <= i + d < len(order)
                and (x := title_similarity(e.titles, order[i + d].titles)) is not None
                and x >= EPISODE_AGREE
            ),
            None,
        )
        if step is not None:
            offset += step
            out[e.key] = (order[i + step], "agree", EPISODE_AGREE)
            prev_i = i + step
            continue
        out[e.key] = (m, "differs", sim)
        prev_i = i
    keys = [e.key for e in regular if e.key in out]
    for j, key in enumerate(keys):
        if out[key][1] != "differs":
            continue
        before = out[keys[j - 1]][1] if j > 0 else None
        after = out[keys[j + 1]][1] if j + 1 < len(keys) else None
        if before in ("agree", "special") and after in ("agree", "special"):
            out[key] = (out[key][0], "between", out[key][2])
    return out


def _agreeing(e: SiteEpisode, pool: Sequence[MetaEpisode]) -> MetaEpisode | None:
    hits = [m for m in pool if (x := title_similarity(e.titles, m.titles)) is not None and x >= 100]
    return hits[0] if len(hits) == 1 else None


def _by_agreement(agree: float | None) -> EpisodeStatus:
    if agree is None:
        return "high"
    return "confirmed" if agree >= 0.8 else "high" if agree >= 0.5 else "low"


def _by_title(
    episodes: Sequence[SiteEpisode],
    pool: Sequence[MetaEpisode],
    used: set[tuple[int, int]],
    abs_of: Mapping[int, int],
    *,
    direct_fallback: Mapping[tuple[int, int], MetaEpisode] | None = None,
) -> list[EpisodeMapping]:
    out: list[EpisodeMapping] = []
    for e in episodes:
        scored = sorted(
            (
                (s, m)
                for m in pool
                if (m.season, m.number) not in used
                and (s := title_similarity(e.titles, m.titles)) is not None
            ),
            key=lambda x: (-x[0], x[1].season, x[1].number),
        )
        if not scored:
            # No titles on either side: a special keeps its number in TVDB season 0, unverified.
            m = (direct_fallback or {}).get((0, e.number)) if e.season == 0 else None
            if m is not None and (0, e.number) not in used and not e.titles:
                used.add((0, e.number))
                out.append(
                    EpisodeMapping(
                        e.key,
                        0,
                        e.number,
                        None,
                        "low",
                        "direct",
                        "special kept its number (no titles to compare)",
                    )
                )
            continue
        best, m = scored[0]
        if best < LOW:
            continue
        runner = scored[1][0] if len(scored) > 1 else None
        if runner is not None and best - runner < CONFLICT_MARGIN:
            other = scored[1][1]
            out.append(
                EpisodeMapping(
                    e.key,
                    m.season,
                    m.number,
                    abs_of.get(id(m)),
                    "conflict",
                    "title",
                    f"title {best:.0f} vs S{other.season:02d}E{other.number:02d} {runner:.0f}",
                )
            )
            continue
        status: EpisodeStatus = "confirmed" if best >= 100 else "high" if best >= HIGH else "low"
        used.add((m.season, m.number))
        out.append(
            EpisodeMapping(
                e.key,
                m.season,
                m.number,
                abs_of.get(id(m)),
                status,
                "title",
                f"episode title {best:.0f}",
            )
        )
    return out
