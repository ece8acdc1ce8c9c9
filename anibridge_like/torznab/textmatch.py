"""The FTS5 match of a text search, evaluated exactly in Python on a candidate title's texts.

The candidates come from the recency-ordered index ``title_recent`` (migration 0020), one row
per title holding all its texts (``titles.search_text``, migration 0019): an FTS5 row match is a
superset of the search's rule, which matches each text on its own and counts a canonical name
only where the title's mapping is usable (:func:`anibridge_like.torznab.sources.text_titles`).
:meth:`Match.title` gives the exact verdict without a VM instruction; an ASCII text that lacks a
query term as a substring is rejected without being tokenized.

:func:`compile_match` reads the expressions :func:`anibridge_like.torznab.search.match_expression`
builds — an ``AND`` of parts, each ``"word"*`` (prefix), ``"word"`` (whole token) or
``("word"* OR "word")`` — and :func:`tokens` splits a text the way the ``unicode61
remove_diacritics 2`` tokenizer of ``title_search`` and ``title_recent`` does (letters and
digits, case folded, diacritics removed; everything else separates tokens).
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


LATIN_DIACRITICS = re.compile("[\u0300-\u036f]+")
"""The combining marks the tokenizer's ``remove_diacritics`` removes (not, say, the kana voicing
marks: ``ダ`` stays ``ダ``)."""


def tokens(text: str) -> list[str]:
    if text.isascii():
        return _TOKEN.findall(text.lower())
    stripped = LATIN_DIACRITICS.sub("", unicodedata.normalize("NFD", text))
    return _TOKEN.findall(unicodedata.normalize("NFC", stripped).lower())


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


def _ascii_view(text: str) -> str:
    """``text`` decomposed, lowercased and stripped of every non-ASCII character: each ASCII run
    of a token (:func:`tokens`) stays a contiguous run of it, so an ASCII term that a token
    starts with is a substring of it. C speed, no tokenizing."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFD", text).lower().encode("ascii", "ignore").decode("ascii")


@dataclass(frozen=True, slots=True)
class Match:
    """A compiled expression: an ``AND`` of groups, each an ``OR`` of terms."""

    groups: tuple[tuple[_Term, ...], ...]
    ascii_groups: tuple[tuple[str, ...], ...]
    """The groups whose terms are all ASCII, as the terms' texts (the prefilter's)."""

    def __call__(self, texts: Iterable[str]) -> bool:
        """Whether one of ``texts`` matches (FTS5 matches a row, one text, when every group
        hits one of its tokens)."""
        return any(self._text(text) for text in texts)

    def _text(self, text: str) -> bool:
        words = tokens(text)
        return all(any(t.hits(w) for t in group for w in words) for group in self.groups)

    def title(self, search_text: str) -> Verdict:
        """The verdict on a title's ``search_text``. A text whose ASCII view lacks every term
        of an all-ASCII group cannot match: most false candidates are rejected so, without
        tokenizing."""
        view = _ascii_view(search_text)
        for group in self.ascii_groups:
            for term in group:
                if term in view:
                    break
            else:
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
    ascii_groups = tuple(
        tuple(t.text for t in group) for group in groups if all(t.text.isascii() for t in group)
    )
    return Match(tuple(groups), ascii_groups)
