"""A generated catalog for text-search tests: titles made of words drawn with Zipf-like
frequencies from a fixed vocabulary (so a word's share of the catalog stays the same at any
size, as in a real one: a common word matches thousands of titles at 150k, a rare one a few),
aliases, canonical names under every mapping status, years, episodes with shared release
seconds (ties), episode mappings, gone titles. Written with plain ``sqlite3`` on a migrated
database; deterministic for a seed."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from anibridge_like.storage.migrate import apply_migrations
from anibridge_like.storage.timestamps import iso
from anibridge_like.torznab import feed, sources
from anibridge_like.torznab.query import (
    Allowed,
    Key,
    PageKeys,
    Query,
    Sql,
    TitleBound,
    pairs_sql,
    years_sql,
)

VOCABULARY = (
    "dragon", "drake", "saga", "moon", "river", "ghost", "night", "blade", "shadow", "crown",
    "storm", "iron", "garden", "frozen", "witch", "kingdom", "frontier", "chronicle", "signal",
    "harbor", "academy", "hexe", "garten", "brücke", "wölfin", "größe", "tōkyō", "kiseki", "sōsei",
    "école", "café", "shōjo", "ken", "hime", "uta", "senki", "monogatari", "gakuen", "tabi",
    "midnight", "restless", "broken", "fallen", "silver", "crimson", "hollow", "ember", "lantern",
    "meadow", "orbit", "quartz",
)  # fmt: skip
FILLERS = ("the", "of", "no", "a", "II", "III", "V", "2", "100")
SLICES = (("sto", "series"), ("aniworld", "series"), ("megakino", "movie"))
LANGUAGES = {"sto": ("de_dub", "en_dub"), "aniworld": ("de_dub", "de_sub"), "megakino": ("de_dub",)}
STATUSES = ("confirmed", "high", "low", "unmatched", "conflict")
ALLOWED = [
    Allowed(site, kind, language, lib, pref)
    for lib, (site, kind) in enumerate(SLICES)
    for pref, language in enumerate(LANGUAGES[site])
]
"""Every slice and language, one library each."""


@dataclass
class Generated:
    titles: int
    words: list[str] = field(default_factory=list)
    """Query texts sampled from the titles (1–3 consecutive words), in generation order."""


EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def stamp(quarter_seconds: int) -> str:
    """A release time as the database stores it (``storage/timestamps.py``), in steps of 250 ms:
    titles share seconds (with different milliseconds) and share exact times."""
    text = iso(EPOCH + timedelta(milliseconds=250 * quarter_seconds))
    assert text is not None
    return text


def _word(rng: random.Random) -> str:
    # Zipf-like: the k-th word is drawn with weight 1/(k+1)
    return rng.choices(VOCABULARY, weights=[1 / (k + 1) for k in range(len(VOCABULARY))])[0]


def _title(rng: random.Random) -> str:
    words = [_word(rng) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
    return " ".join(w.capitalize() if rng.random() < 0.8 else w for w in words)


def build(path: Path, titles: int, seed: int = 1, episodes: int = 3) -> Generated:
    """``titles`` titles of 1..``episodes`` episodes each, their releases spread over a few
    thousand distinct seconds (so titles tie), newer ids mostly newer."""
    apply_migrations(path)
    rng = random.Random(seed)
    out = Generated(titles)
    rows: dict[str, list[tuple[object, ...]]] = {
        k: [] for k in ("titles", "aliases", "sm", "eps", "langs", "em")
    }
    episode_id = 0
    for i in range(1, titles + 1):
        site, kind = SLICES[i % len(SLICES)] if rng.random() < 0.9 else rng.choice(SLICES)
        name = _title(rng)
        year = rng.randint(1990, 2026) if rng.random() < 0.85 else None
        gone = 1 if rng.random() < 0.03 else 0
        rows["titles"].append((i, site, f"t{i}", f"{name} {i}", kind, year, gone))
        if rng.random() < 0.2:
            rows["aliases"].append((i, _title(rng)))
        status = rng.choice(STATUSES) if rng.random() < 0.6 else None
        if status is not None:
            canonical = _title(rng) if rng.random() < 0.5 else name
            rows["sm"].append((i, status, canonical, rng.randint(1990, 2026)))
        base = i * 3 + rng.randint(-600, 600)  # mostly newer with the id, not strictly
        for n in range(1, rng.randint(1, episodes) + 1):
            episode_id += 1
            season = 1 if kind == "movie" else rng.choice((1, 1, 2))
            rows["eps"].append((episode_id, i, season, n, n if season == 1 else None))
            for language in LANGUAGES[site]:
                if rng.random() < 0.7 or language == LANGUAGES[site][0]:
                    seen = max(0, base + n * 5 + rng.randint(0, 3))
                    rows["langs"].append((episode_id, language, stamp(seen)))
            if status in ("confirmed", "high", "low") and rng.random() < 0.7:
                rows["em"].append((episode_id, i, season, n + (12 if season == 2 else 0), status))
        if rng.random() < 0.3:
            words = name.split()
            start = rng.randrange(len(words))
            out.words.append(" ".join(words[start : start + rng.randint(1, 3)]))
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO titles(id, site, slug, title, kind, year, gone, generation, first_seen,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, '2026', '2026')",
            rows["titles"],
        )
        conn.executemany(
            "INSERT INTO title_aliases(title_id, alias) VALUES (?, ?)", rows["aliases"]
        )
        conn.executemany(
            "INSERT INTO series_mappings(title_id, status, canonical_title, canonical_year,"
            " updated_at) VALUES (?, ?, ?, ?, '2026')",
            rows["sm"],
        )
        conn.executemany(
            "INSERT INTO episodes(id, title_id, season, number, absolute, first_seen)"
            " VALUES (?, ?, ?, ?, ?, '2026')",
            rows["eps"],
        )
        conn.executemany(
            "INSERT INTO episode_languages(episode_id, language, first_seen) VALUES (?, ?, ?)",
            rows["langs"],
        )
        conn.executemany(
            "INSERT INTO episode_mappings(episode_id, title_id, tvdb_season, tvdb_episode,"
            " status, method) VALUES (?, ?, ?, ?, ?, 'direct')",
            rows["em"],
        )
    conn.close()
    return out


FTS_TITLES = """
SELECT st.title_id AS title_id
FROM title_search
JOIN search_terms st ON st.id = title_search.rowid
WHERE title_search MATCH {match}
  AND CASE WHEN st.source = 'canonical'
      THEN EXISTS (SELECT 1 FROM series_mappings fsm WHERE fsm.title_id = st.title_id
                   AND fsm.status IN ('confirmed', 'high', 'low'))
      ELSE 1 END
"""
"""The search rule, as plain SQL over the per-text index ``title_search``: titles whose title,
alias or usable canonical name matches (the mapping looked up for canonical names only)."""


def reference_titles(conn: sqlite3.Connection, query: Query) -> list[TitleBound]:
    """Brute force: every matching live title of the allowed slices (and years) with its
    bound, in bound order (newest_seen descending, then newest_episode)."""
    sql = Sql()
    fts = FTS_TITLES.format(match=sql.p(query.match))
    text = (
        f"SELECT t.id, t.newest_seen, t.newest_episode FROM titles t WHERE t.id IN ({fts})"
        f" AND t.gone = 0 AND t.newest_seen IS NOT NULL AND {pairs_sql(sql, query.pairs, 't')}"
        f"{years_sql(sql, query.years, 't')}"
        " ORDER BY t.newest_seen DESC, t.newest_episode"
    )
    return [tuple(row) for row in conn.execute(text, sql.params)]  # type: ignore[misc]


def reference_keys(conn: sqlite3.Connection, query: Query) -> list[Key]:
    """Brute force: the first ``offset + limit`` rows of every matching title's rows in feed
    order — the whole FTS5 match, one statement, no walk and no early stop."""
    sql = Sql()
    fts = FTS_TITLES.format(match=sql.p(query.match))
    ids = [row[0] for row in conn.execute(f"SELECT DISTINCT title_id FROM ({fts})", sql.params)]
    return PageKeys(query).fetch(conn, ids, query.window)


def served_keys(conn: sqlite3.Connection, query: Query) -> list[Key]:
    """The same rows as the request path draws them (title source, then the feed's merge)."""
    with sources.text_titles(conn, query) as titles:
        return feed.window_keys(conn, query, titles)
