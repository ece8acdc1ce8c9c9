"""The recency-ordered title index ``title_recent`` (migration 0020): its row keys and queries.

One FTS5 row per served title; its rowid is ``newest second * 2^31 + title id``, so descending
rowids are the titles newest release first, to the second. A search asks FTS5 for the rows of a
:class:`~anibridge_like.torznab.textmatch.Match` within the request's (site, kind) slices (and
years) in descending rowid order and reads only as many as its page needs.

The FTS5 expression is a **superset** of the exact match: the row holds every text of the title
(a word of the title and a word of an alias satisfy it together), the canonical name whatever
the mapping's status, the canonical year whatever the status, and a prefix longer than the
longest prefix index is cut to it. The reader checks each candidate exactly
(:mod:`~anibridge_like.torznab.sources`).
"""

from __future__ import annotations

from collections.abc import Sequence

from anibridge_like.torznab.textmatch import Match

ID_BITS = 31
ID_MASK = (1 << ID_BITS) - 1
PREFIX_LENGTHS = range(3, 9)
"""The table's ``prefix='3 4 5 6 7 8'``: a query prefix of these lengths is read from its own
index, lazily; FTS5 would otherwise merge the lists of every term it expands to first."""
MAX_YEARS = 40
"""Wider year ranges are not put into the expression (checked on the candidates only)."""


def title_id(rowid: int) -> int:
    return rowid & ID_MASK


def second(rowid: int) -> int:
    """The second of the row's newest release (since 1970): equal for titles whose newest
    release is in the same second."""
    return rowid >> ID_BITS


def slice_token(site: str, kind: str) -> str:
    """The ``slice`` column's token of a (site, kind): ``hex(site || char(31) || kind)``."""
    return f"{site}\x1f{kind}".encode().hex()


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _term(text: str, prefix: bool) -> str | None:
    """One term of the expression: ``None`` for a prefix no index serves (the group is left to
    the exact check rather than have FTS5 expand it over the whole vocabulary)."""
    if not prefix:
        return _quoted(text)
    if len(text) < PREFIX_LENGTHS.start:
        return None
    return _quoted(text[: PREFIX_LENGTHS.stop - 1]) + "*"


def expression(
    match: Match, pairs: Sequence[tuple[str, str]], years: tuple[int, int] | None = None
) -> str:
    """The FTS5 expression of the candidates: the match's terms in ``text``, one of the slices'
    tokens in ``slice``, one of the years in ``years``."""
    parts = []
    for group in match.groups:
        terms = [_term(t.text, t.prefix) for t in group]
        if all(term is not None for term in terms):
            parts.append("(" + " OR ".join(t for t in terms if t is not None) + ")")
    clauses = [f"text : ({' AND '.join(parts)})"] if parts else []
    clauses.append("slice : (" + " OR ".join(_quoted(slice_token(*p)) for p in pairs) + ")")
    if years is not None and years[0] >= 0 and 0 <= years[1] - years[0] <= MAX_YEARS:
        span = range(years[0], years[1] + 1)
        clauses.append("years : (" + " OR ".join(_quoted(str(y)) for y in span) + ")")
    return " AND ".join(clauses)
