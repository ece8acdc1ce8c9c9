"""The FTS5 match of a text search, evaluated in Python on a few titles' terms.

A broad match (thousands of titles) is served by walking the newest-first title index and keeping
the titles that match (:func:`anibridge_like.torznab.sources.text_titles`). Asking FTS5 for every
match first costs time in proportion to the number of matches (72,654 titles for a common prefix
at 150k titles), and asking it per walked row (``MATCH … AND rowid = ?``) costs 15–80 µs a row.
Reading the walked titles' terms (``search_terms``, indexed by title) and testing them here costs
a few µs a title, whatever the size of the catalog.

:func:`compile_match` reads the expressions :func:`anibridge_like.torznab.search.match_expression`
builds — an ``AND`` of parts, each ``"word"*`` (prefix), ``"word"`` (whole token) or
``("word"* OR "word")`` — and :func:`tokens` splits a text the way the ``unicode61
remove_diacritics 2`` tokenizer of ``title_search`` does (letters and digits, case folded,
diacritics removed; everything else separates tokens).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

_TERM = re.compile(r'"([^"]*)"(\*?)')
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class _Term:
    text: str
    prefix: bool

    def hits(self, token: str) -> bool:
        return token.startswith(self.text) if self.prefix else token == self.text


Matcher = Callable[[Iterable[str]], bool]
"""Whether any of a title's texts (title, aliases, usable canonical name) matches."""


def tokens(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _TOKEN.findall(stripped.lower())


def compile_match(expression: str) -> Matcher | None:
    """A matcher for ``expression``, or ``None`` when it is not of the generated shape."""
    groups: list[list[_Term]] = []
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
        groups.append(terms)
    if not groups:
        return None

    def matches(texts: Iterable[str]) -> bool:
        # FTS5 matches a row (one text) when every part hits one of its tokens
        for text in texts:
            words = tokens(text)
            if all(any(t.hits(w) for t in group for w in words) for group in groups):
                return True
        return False

    return matches
