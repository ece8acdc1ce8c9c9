"""The FTS5 match of a text search, evaluated in Python on the titles a walk visits.

A broad match (thousands of titles) is served by walking the newest-first title index and keeping
the titles that match (:func:`anibridge_like.torznab.sources.text_titles`). Asking FTS5 for every
match first costs time in proportion to the number of matches (72,654 titles for a common prefix
at 150k titles), and asking it per walked row (``MATCH … AND rowid = ?``) costs 15–80 µs a row.
The walked index carries each title's texts (``titles.search_text``, migration 0019): testing
them here costs no VM instruction, and an ASCII text that lacks a query term as a substring is
rejected without being tokenized (:meth:`Match.title`).

:func:`compile_match` reads the expressions :func:`anibridge_like.torznab.search.match_expression`
builds — an ``AND`` of parts, each ``"word"*`` (prefix), ``"word"`` (whole token) or
``("word"* OR "word")`` — and :func:`tokens` splits a text the way the ``unicode61
remove_diacritics 2`` tokenizer of ``title_search`` does (letters and digits, case folded,
diacritics removed; everything else separates tokens).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

_TERM = re.compile(r'"([^"]*)"(\*?)')
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class _Term:
    text: str
    prefix: bool

    def hits(self, token: str) -> bool:
        return token.startswith(self.text) if self.prefix else token == self.text


def tokens(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _TOKEN.findall(stripped.lower())


CANONICAL_MARK = "\x1e"
"""Leads a canonical name in ``titles.search_text`` (migration 0019): it counts only where the
title's mapping is usable."""
TEXT_SEPARATOR = "\x1f"
"""Separates the texts of ``titles.search_text``."""


class Verdict(IntEnum):
    NO = 0
    YES = 1
    CANONICAL_ONLY = 2
    """Only the canonical name matches: the title matches where its mapping is usable."""


@dataclass(frozen=True, slots=True)
class Match:
    """A compiled expression: an ``AND`` of groups, each an ``OR`` of terms."""

    groups: tuple[tuple[_Term, ...], ...]

    def __call__(self, texts: Iterable[str]) -> bool:
        """Whether one of ``texts`` matches (FTS5 matches a row, one text, when every group
        hits one of its tokens)."""
        return any(self._text(text) for text in texts)

    def _text(self, text: str) -> bool:
        words = tokens(text)
        return all(any(t.hits(w) for t in group for w in words) for group in self.groups)

    def title(self, search_text: str) -> Verdict:
        """The verdict on a title's ``search_text``. An ASCII text lacking some group's term as
        a substring cannot match (its tokens are its lowercased words): most titles of a walk
        are rejected so, without tokenizing."""
        if search_text.isascii():
            lowered = search_text.lower()
            if not all(any(t.text in lowered for t in group) for group in self.groups):
                return Verdict.NO
        verdict = Verdict.NO
        for text in search_text.split(TEXT_SEPARATOR):
            if text.startswith(CANONICAL_MARK):
                if self._text(text[1:]):
                    verdict = Verdict.CANONICAL_ONLY
            elif self._text(text):
                return Verdict.YES
        return verdict


def compile_match(expression: str) -> Match | None:
    """A matcher for ``expression``, or ``None`` when it is not of the generated shape."""
    groups: list[tuple[_Term, ...]] = []
    for part in expression.split(" AND "):
        part = part.strip()
        if part.startswith("(") and part.endswith(")"):
            part = part[1:-1]
        alternatives = [p.strip() for p in part.split(" OR ")]
        terms: list[_Term] = []
        for alternative in alternatives:
            found = _TERM.fullmatch(alternative)
            if found is None:
                return None
            terms.append(_Term(found.group(1), bool(found.group(2))))
        groups.append(tuple(terms))
    if not groups:
        return None
    return Match(tuple(groups))
