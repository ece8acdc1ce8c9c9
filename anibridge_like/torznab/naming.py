"""Release titles Sonarr/Radarr parse right, language tokens, info-hashes and magnet URIs.

Title formats (checked against the parser fixtures quoted in ``torznab-clients.md``)::

    series  Show Name S01E05 German Dub 1080p WEB-DL x264-SITE
    anime   [SITE] Show Name - 005 - S01E05 (WEB 1080p) [German Dub]
    movie   Movie Title 2019 German Dub 1080p WEB-DL x264-SITE

The series name is the canonical (TVDB) name when the mapping is confirmed/high, numbering is the
canonical one where an episode mapping is usable. Japanese audio with German subtitles is written
``GerSub`` (Sonarr reads "German Sub" as German audio) with ``language=Japanese``.

The info-hash is SHA-1 over site + slug + the site's own numbering + language: stable across
renames and re-mappings, distinct across sites. The magnet's ``ab_*`` parameters identify the
episode for a download client without any database lookup (:func:`parse_magnet`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from typing import Literal
from urllib.parse import parse_qsl, quote

from anibridge_like.plugins.provider import Language
from anibridge_like.torznab.render import Release

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAME_DROP = re.compile(r"[^\w '&!,.()+-]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_DASH_RUN = re.compile(r"\s+-+(?=\s)")
_GROUP_DROP = re.compile(r"[^A-Za-z0-9]+")
_URI_SAFE = re.compile(r"[A-Za-z0-9._~-]*")


@dataclass(frozen=True, slots=True)
class LanguageTokens:
    title: str
    """Token in the release title."""
    language: str | None
    """``torznab:attr language`` (English name); None = let the client assume the original."""
    subs: str | None


@lru_cache(maxsize=64)
def language_tokens(language: Language, anime: bool) -> LanguageTokens:
    """Tokens for a language variant. Subtitled variants of non-anime titles carry no language
    attribute: their audio is the series' original language, which the client knows best."""
    if language is Language.GERMAN_DUB:
        return LanguageTokens("German Dub", "German", None)
    if language is Language.ENGLISH_DUB:
        return LanguageTokens("English Dub", "English", None)
    if language is Language.JAPANESE:
        return LanguageTokens("Japanese", "Japanese", None)
    subs = "German" if language is Language.GERMAN_SUB else "English"
    token = "GerSub" if language is Language.GERMAN_SUB else "EngSub"
    if anime:
        return LanguageTokens(f"Japanese {token}", "Japanese", subs)
    return LanguageTokens(token, None, subs)


@dataclass(frozen=True, slots=True)
class Hit:
    """One (episode or movie, language variant) row of a search, numbering already resolved."""

    site: str
    slug: str
    kind: Literal["series", "movie"]
    name: str
    """Series/movie name to print: canonical when the mapping allows it, else the site title."""
    year: int | None
    season: int
    number: int
    """The site's own numbering (identity of the release)."""
    show_season: int
    show_episode: int
    absolute: int | None
    """Numbering printed in the title (canonical where mapped)."""
    language: Language
    first_seen: str
    tvdbid: int | None = None
    imdbid: str | None = None
    tmdbid: int | None = None


@lru_cache(maxsize=16384)
def clean_name(name: str) -> str:
    """A series/movie name safe inside a release title (no brackets, no `` - `` separators)."""
    cleaned = _NAME_DROP.sub(" ", name)
    cleaned = _DASH_RUN.sub(" ", f" {cleaned} ")
    return _SPACES.sub(" ", cleaned).strip(" -.") or "Untitled"


@lru_cache(maxsize=256)
def group_of(site: str) -> str:
    return _GROUP_DROP.sub("", site).upper() or "INDEX"


def release_parts(hit: Hit, anime: bool) -> tuple[str, str, str]:
    """``(prefix, name, suffix)`` of the release title; prefix and suffix use only letters,
    digits, spaces, ``-``, brackets and parentheses."""
    name = clean_name(hit.name)
    group = group_of(hit.site)
    lang = language_tokens(hit.language, anime).title
    if hit.kind == "movie":
        year = f" {hit.year}" if hit.year else ""
        return "", name, f"{year} {lang} 1080p WEB-DL x264-{group}"
    episode = f"S{hit.show_season:02d}E{hit.show_episode:02d}"
    if anime and hit.absolute is not None and hit.show_season > 0:
        return f"[{group}] ", name, f" - {hit.absolute:03d} - {episode} (WEB 1080p) [{lang}]"
    return "", name, f" {episode} {lang} 1080p WEB-DL x264-{group}"


def info_hash(site: str, slug: str, season: int, number: int, language: str) -> str:
    key = f"anibridge|{site}|{slug}|{season}|{number}|{language}"
    return hashlib.sha1(key.encode()).hexdigest()


@lru_cache(maxsize=16384)
def _pct(text: str) -> str:
    """Percent-encoding of a URI query value (cached: names and slugs repeat across a page)."""
    return text if _URI_SAFE.fullmatch(text) else quote(text, safe="")


@lru_cache(maxsize=16384)
def _pct_vocabulary(text: str) -> str:
    """Percent-encoding of the fixed title vocabulary (see :func:`release_parts`)."""
    return (
        text.replace(" ", "%20")
        .replace("[", "%5B")
        .replace("]", "%5D")
        .replace("(", "%28")
        .replace(")", "%29")
    )


def magnet_uri(infohash: str, parts: tuple[str, str, str], hit: Hit) -> str:
    prefix, name, suffix = parts
    dn = f"{_pct_vocabulary(prefix)}{_pct(name)}{_pct_vocabulary(suffix)}"
    return (
        f"magnet:?xt=urn:btih:{infohash}&dn={dn}&ab_site={_pct(hit.site)}"
        f"&ab_slug={_pct(hit.slug)}&ab_s={hit.season}&ab_e={hit.number}"
        f"&ab_lang={hit.language.value}"
    )


@dataclass(frozen=True, slots=True)
class MagnetTarget:
    infohash: str
    site: str
    slug: str
    season: int
    number: int
    language: Language


def parse_magnet(uri: str) -> MagnetTarget:
    """The episode a magnet from this indexer points at (for a download client)."""
    if not uri.startswith("magnet:?"):
        raise ValueError("not a magnet URI")
    params = dict(parse_qsl(uri[len("magnet:?") :], keep_blank_values=True))
    xt = params.get("xt", "")
    if not xt.startswith("urn:btih:"):
        raise ValueError("magnet without a btih")
    try:
        return MagnetTarget(
            infohash=xt[len("urn:btih:") :].lower(),
            site=params["ab_site"],
            slug=params["ab_slug"],
            season=int(params["ab_s"]),
            number=int(params["ab_e"]),
            language=Language(params["ab_lang"]),
        )
    except (KeyError, ValueError) as exc:
        raise ValueError(f"magnet is not one of this indexer's: {exc}") from exc


@lru_cache(maxsize=8192)
def rfc822(iso: str) -> str:
    """``2025-03-29T18:00:00+00:00`` → ``Sat, 29 Mar 2025 18:00:00 +0000`` (English names)."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        moment = _EPOCH
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))


def _estimated_size(kind: str, anime: bool, digest: int) -> int:
    if kind == "movie":
        base = 4_200_000_000
    elif anime:
        base = 1_100_000_000  # ~24 min at WEB-DL 1080p rates
    else:
        base = 1_400_000_000
    return base * (85 + digest % 31) // 100


def build_release(hit: Hit, anime: bool, categories: tuple[int, ...]) -> Release:
    parts = release_parts(hit, anime)
    title = "".join(parts)
    infohash = info_hash(hit.site, hit.slug, hit.season, hit.number, hit.language.value)
    digest = int(infohash[:12], 16)
    tokens = language_tokens(hit.language, anime)
    return Release(
        title=title,
        guid=f"anibridge:{hit.site}:{hit.slug}:{hit.season}:{hit.number}:{hit.language.value}",
        pub_date=rfc822(hit.first_seen),
        size=_estimated_size(hit.kind, anime, digest),
        infohash=infohash,
        magnet=magnet_uri(infohash, parts, hit),
        categories=categories,
        seeders=1 + digest % 40,
        leechers=(digest >> 8) % 12,
        language=tokens.language,
        subs=tokens.subs,
        tvdbid=hit.tvdbid,
        imdbid=hit.imdbid,
        tmdbid=hit.tmdbid,
    )
