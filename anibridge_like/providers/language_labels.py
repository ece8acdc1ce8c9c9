"""German-language sites' language labels → the :class:`~anibridge_like.plugins.provider.Language`
vocabulary.

s.to-style episode pages carry ``data-language-label`` ("Deutsch", "Englisch",
"Englisch, Untertitel Deutsch" …) and a numeric ``data-language-id`` (1 = German audio,
2 = English audio, 3 = German subtitles); megakino-style pages show similar labels. The label wins
when it is recognised (it is what a human reads on the site), the id is the fallback. A value that
maps to nothing returns ``None``: callers log it and skip the variant — an unknown label is news,
not a reason to drop the episode.
"""

from __future__ import annotations

import re
import unicodedata

from anibridge_like.plugins.provider import Language

_SPACES = re.compile(r"[\s,;:/()\-–+|]+")

# Normalised labels (lower case, ASCII-folded, separators collapsed to one space).
_BY_LABEL: dict[str, Language] = {
    # German audio
    "deutsch": Language.GERMAN_DUB,
    "german": Language.GERMAN_DUB,
    "deutsch dub": Language.GERMAN_DUB,
    "german dub": Language.GERMAN_DUB,
    "ger dub": Language.GERMAN_DUB,
    "gerdub": Language.GERMAN_DUB,
    "de": Language.GERMAN_DUB,
    # English audio
    "englisch": Language.ENGLISH_DUB,
    "english": Language.ENGLISH_DUB,
    "english dub": Language.ENGLISH_DUB,
    "englisch dub": Language.ENGLISH_DUB,
    "en": Language.ENGLISH_DUB,
    # original audio with German subtitles
    "englisch untertitel deutsch": Language.GERMAN_SUB,
    "japanisch untertitel deutsch": Language.GERMAN_SUB,
    "original untertitel deutsch": Language.GERMAN_SUB,
    "mit deutschen untertiteln": Language.GERMAN_SUB,
    "mit deutschem untertitel": Language.GERMAN_SUB,
    "deutsche untertitel": Language.GERMAN_SUB,
    "untertitel deutsch": Language.GERMAN_SUB,
    "deutsch untertitel": Language.GERMAN_SUB,
    "german sub": Language.GERMAN_SUB,
    "gersub": Language.GERMAN_SUB,
    "ger sub": Language.GERMAN_SUB,
    "omu": Language.GERMAN_SUB,
    # original audio with English subtitles
    "japanisch untertitel englisch": Language.ENGLISH_SUB,
    "original untertitel englisch": Language.ENGLISH_SUB,
    "mit englischen untertiteln": Language.ENGLISH_SUB,
    "englische untertitel": Language.ENGLISH_SUB,
    "untertitel englisch": Language.ENGLISH_SUB,
    "english sub": Language.ENGLISH_SUB,
    # original (Japanese) audio, no subtitles
    "japanisch": Language.JAPANESE,
    "japanese": Language.JAPANESE,
}

_BY_ID: dict[str, Language] = {
    "1": Language.GERMAN_DUB,
    "2": Language.ENGLISH_DUB,
    "3": Language.GERMAN_SUB,
}


def normalize_label(label: str) -> str:
    """Lower case, ASCII-folded, separators collapsed: ``"Englisch, Untertitel Deutsch"`` →
    ``"englisch untertitel deutsch"``."""
    folded = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    return _SPACES.sub(" ", folded.lower()).strip()


def language_from_label(label: str | None, language_id: str | None = None) -> Language | None:
    """The variant a label (or, failing that, a numeric site id) names; ``None`` when unknown."""
    if label:
        found = _BY_LABEL.get(normalize_label(label))
        if found is not None:
            return found
    if language_id:
        return _BY_ID.get(language_id.strip())
    return None
