"""Query parameters of a Torznab request → a typed :class:`Params`, or a Newznab error.

What the clients really send is accepted: ``season=00``, ``imdbid`` with or without ``tt``, several
ids at once, empty values for unknown ids (``tvdbid=&imdbid=tt…``), ``ep=MM/DD`` of daily shows,
``+`` for spaces in ``q`` and unknown extras such as ``extended=1`` (ignored). A value that cannot
mean anything (a non-numeric ``season``, ``limit=abc``) is error 201; a missing ``t`` is 200;
an unknown ``t`` is 202 and a Newznab function this indexer does not offer is 203.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from anibridge_like.torznab.caps import DEFAULT_LIMIT, MAX_LIMIT
from anibridge_like.torznab.errors import NewznabCode, NewznabError

Function = Literal["caps", "search", "tvsearch", "movie"]

_FUNCTIONS: dict[str, Function] = {
    "caps": "caps",
    "search": "search",
    "tvsearch": "tvsearch",
    "tv-search": "tvsearch",
    "movie": "movie",
    "movie-search": "movie",
    "moviesearch": "movie",
}
_NOT_OFFERED = frozenset(
    {
        "music",
        "music-search",
        "audio",
        "audio-search",
        "book",
        "book-search",
        "details",
        "get",
        "getnfo",
        "nfo",
        "register",
        "user",
        "cart-add",
        "cart-del",
        "comments",
        "comments-add",
        "nzbadd",
    }
)
_DIGITS = re.compile(r"[0-9]{1,12}")
_IMDB = re.compile(r"(?:tt)?([0-9]{1,10})", re.IGNORECASE)
_DAILY_EP = re.compile(r"([0-9]{1,2})/([0-9]{1,2})")
MAX_QUERY_CHARS = 200
MAX_OFFSET = 1_000_000
MAX_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Params:
    """One request's parameters, validated. ``None`` = not sent (or sent empty)."""

    t: Function
    q: str | None = None
    season: int | None = None
    ep: int | None = None
    daily: bool = False
    """``ep`` was a ``MM/DD`` date (daily show); the index has no air dates."""
    tvdbid: int | None = None
    imdbid: str | None = None
    """Normalised to ``tt`` + at least 7 digits."""
    tmdbid: int | None = None
    rid: int | None = None
    tvmazeid: int | None = None
    cat: tuple[int, ...] = field(default=())
    offset: int = 0
    limit: int = DEFAULT_LIMIT

    @property
    def has_ids(self) -> bool:
        return any(x is not None for x in (self.tvdbid, self.imdbid, self.tmdbid))

    @property
    def has_foreign_ids(self) -> bool:
        """Ids this index never holds (TVRage, TVmaze): accepted, they find nothing."""
        return self.rid is not None or self.tvmazeid is not None


def parse_function(raw: str | None) -> Function:
    value = (raw or "").strip().lower()
    if not value:
        raise NewznabError(NewznabCode.MISSING_PARAMETER, "t")
    if value in _FUNCTIONS:
        return _FUNCTIONS[value]
    if value in _NOT_OFFERED:
        raise NewznabError(NewznabCode.FUNCTION_NOT_AVAILABLE, f"t={value[:40]}")
    raise NewznabError(NewznabCode.NO_SUCH_FUNCTION, f"t={value[:40]}")


def parse_params(query: Mapping[str, str]) -> Params:
    """Validate a request's query mapping (``request.query_params``)."""
    t = parse_function(query.get("t"))
    if t == "caps":
        return Params(t=t)
    ep_raw = _value(query, "ep")
    daily = False
    ep: int | None = None
    if ep_raw is not None:
        if _DAILY_EP.fullmatch(ep_raw):
            daily = True
        else:
            ep = _number("ep", ep_raw, 99_999)
    limit = _optional_number(query, "limit", 1_000_000)
    return Params(
        t=t,
        q=_query(query.get("q")),
        season=_optional_number(query, "season", 9_999),
        ep=ep,
        daily=daily,
        tvdbid=_id(query, "tvdbid"),
        imdbid=_imdb(_value(query, "imdbid")),
        tmdbid=_id(query, "tmdbid"),
        rid=_id(query, "rid"),
        tvmazeid=_id(query, "tvmazeid"),
        cat=_categories(_value(query, "cat")),
        offset=_optional_number(query, "offset", MAX_OFFSET) or 0,
        limit=DEFAULT_LIMIT if not limit else min(limit, MAX_LIMIT),
    )


def _value(query: Mapping[str, str], name: str) -> str | None:
    raw = query.get(name)
    if raw is None:
        return None
    value = raw.strip()
    return value or None


def _number(name: str, value: str, maximum: int) -> int:
    if not _DIGITS.fullmatch(value):
        raise NewznabError(NewznabCode.INCORRECT_PARAMETER, f"{name} must be a number")
    number = int(value)
    if number > maximum:
        raise NewznabError(NewznabCode.INCORRECT_PARAMETER, f"{name} is out of range")
    return number


def _optional_number(query: Mapping[str, str], name: str, maximum: int) -> int | None:
    value = _value(query, name)
    return None if value is None else _number(name, value, maximum)


def _id(query: Mapping[str, str], name: str) -> int | None:
    number = _optional_number(query, name, MAX_ID)
    return number or None  # 0 = unknown, as some clients send it


def _imdb(value: str | None) -> str | None:
    if value is None:
        return None
    match = _IMDB.fullmatch(value)
    if match is None:
        raise NewznabError(NewznabCode.INCORRECT_PARAMETER, "imdbid must be tt<digits> or digits")
    number = int(match.group(1))
    return f"tt{number:07d}" if number else None


def _categories(value: str | None) -> tuple[int, ...]:
    if value is None:
        return ()
    out: list[int] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        number = _number("cat", part, 999_999)
        if number not in out:
            out.append(number)
    return tuple(out)


def _query(raw: str | None) -> str | None:
    if raw is None:
        return None
    value = " ".join(raw.split())[:MAX_QUERY_CHARS]
    return value or None
