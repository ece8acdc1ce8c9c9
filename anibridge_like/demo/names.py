"""Vocabulary of the generated catalogs: words for realistic titles (English, German, romaji,
with Unicode and punctuation) and the site-style slug function."""

from __future__ import annotations

import unicodedata

EN_ADJ = (
    "Black",
    "Silent",
    "Crimson",
    "Last",
    "Broken",
    "Golden",
    "Hidden",
    "Eternal",
    "Wild",
    "Little",
    "Lonely",
    "Burning",
    "Frozen",
    "Secret",
    "Fallen",
    "Iron",
    "Blue",
    "Savage",
    "Midnight",
    "Lost",
    "Quiet",
    "Bright",
    "Dark",
    "Final",
    "Strange",
    "Holy",
    "Restless",
)
EN_NOUN = (
    "Dragon",
    "Garden",
    "Empire",
    "Witch",
    "Knight",
    "River",
    "Academy",
    "Detective",
    "Sword",
    "Kingdom",
    "Heart",
    "Ocean",
    "Titan",
    "Hunter",
    "Blade",
    "Storm",
    "Frontier",
    "Circus",
    "Machine",
    "Shadow",
    "Crown",
    "Island",
    "Harbor",
    "Signal",
    "Doctor",
    "Family",
    "Legacy",
)
EN_PATTERNS = (
    "The {adj} {noun}",
    "{adj} {noun}",
    "{noun} of the {adj} {noun2}",
    "The {noun}'s {noun2}",
    "{adj} {noun}: {noun2} Chronicles",
    "{noun} & {noun2}",
    "{adj} {noun}!",
    "Who Killed the {noun}?",
    "{noun} Café",
    "{adj} {noun} – Part {roman}",
)
DE_ADJ = (
    "Schwarze",
    "Stille",
    "Letzte",
    "Goldene",
    "Verborgene",
    "Ewige",
    "Wilde",
    "Kleine",
    "Brennende",
    "Geheime",
    "Eiserne",
    "Blaue",
    "Dunkle",
    "Fremde",
    "Müde",
    "Süße",
)
DE_NOUN = (
    "Drache",
    "Garten",
    "Hexe",
    "Ritter",
    "Akademie",
    "Klinge",
    "Königin",
    "Insel",
    "Stadt",
    "Straße",
    "Größe",
    "Brücke",
    "Schule",
    "Wölfin",
    "Nacht",
    "Familie",
)
JA = (
    "Kimi no",
    "Boku no",
    "Shingeki no",
    "Tensei shitara",
    "Yūsha",
    "Mahō Shōjo",
    "Kōkaku",
    "Dōbutsu",
    "Shōnen",
    "Sekai no",
    "Tōkyō",
    "Ōsama",
    "Kaijū",
    "Koi to",
    "Hoshi no",
)
JA_TAIL = ("Monogatari", "Senki", "Gakuen", "Ken", "Hime", "Kiseki", "Sōsei", "Tabi", "Uta")
ROMAN = ("II", "III", "IV", "V")
EP_WORDS_EN = (
    "Beginning",
    "Reunion",
    "Storm",
    "Promise",
    "Betrayal",
    "Festival",
    "Homecoming",
    "Encounter",
    "Trial",
    "Escape",
    "Dawn",
    "Farewell",
    "Secret",
    "Rival",
    "Journey",
)
EP_WORDS_DE = (
    "Anfang",
    "Wiedersehen",
    "Sturm",
    "Versprechen",
    "Verrat",
    "Fest",
    "Heimkehr",
    "Begegnung",
    "Prüfung",
    "Flucht",
    "Morgengrauen",
    "Abschied",
    "Geheimnis",
    "Rivale",
)


def slugify(text: str) -> str:
    """Site-style slug: ASCII-folded, lower case, words joined by ``-``."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    out: list[str] = []
    word: list[str] = []
    for ch in folded.lower():
        if ch.isalnum():
            word.append(ch)
        elif word:
            out.append("".join(word))
            word = []
    if word:
        out.append("".join(word))
    return "-".join(out) or "untitled"
