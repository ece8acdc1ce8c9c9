"""The recency-ordered index ``title_recent`` (migration 0020) stays equal to a rebuild from the
catalog's source rows after any sequence of writes, through every trigger chain that reaches it:
titles inserted, renamed, moved between slices, gone and back, deleted (cascades included);
aliases and canonical names added and removed (``search_text``, migration 0019); canonical years
changed and mappings moved (``mapped_year``); releases added, re-dated, removed and moved between
titles (``newest_seen``, migration 0007). The expected index is computed here in Python from the
source rows (texts, newest release, years, the row key), not from the columns the triggers keep,
so a stale column fails too. The migration's backfill is checked the same way."""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from anibridge_like.storage.migrate import MIGRATIONS_DIR, apply_migrations
from anibridge_like.storage.timestamps import iso
from anibridge_like.torznab import recent

SLICES = (("sto", "series"), ("aniworld", "series"), ("megakino", "movie"))
WORDS = ("dragon", "Drake", "Ōkami", "saga", "Straße", "moon", "the", "II", "café", "ダンジョン")
EPOCH = datetime(2026, 11, 22, 10, tzinfo=UTC)
_DEFINITION = (
    "CREATE VIRTUAL TABLE {name} USING fts5(text, slice, years, content = '',"
    " tokenize = 'unicode61 remove_diacritics 2', prefix = '3 4 5 6 7 8')"
)


def _stamp(rng: random.Random) -> str:
    # few distinct seconds, with and without shared milliseconds: titles tie to the second
    stamp = iso(EPOCH + timedelta(milliseconds=rng.randrange(12) * 400))
    assert stamp is not None
    return stamp


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))


def _expected(conn: sqlite3.Connection) -> list[tuple[int, str, str, str]]:
    """The rows the index should hold, from the source rows alone."""
    rows = []
    for tid, site, kind, title, year, gone in conn.execute(
        "SELECT id, site, kind, title, year, gone FROM titles"
    ):
        newest = conn.execute(
            "SELECT max(el.first_seen) FROM episodes e JOIN episode_languages el"
            " ON el.episode_id = e.id WHERE e.title_id = ?",
            (tid,),
        ).fetchone()[0]
        if gone != 0 or newest is None:
            continue
        texts = [title] + [a for (a,) in conn.execute(
            "SELECT alias FROM title_aliases WHERE title_id = ?", (tid,)
        )]  # fmt: skip
        mapping = conn.execute(
            "SELECT canonical_title, canonical_year FROM series_mappings WHERE title_id = ?",
            (tid,),
        ).fetchone()
        mapped_year = None
        if mapping is not None:
            if mapping[0] is not None:
                texts.append(mapping[0])
            mapped_year = mapping[1]
        second = int(datetime.fromisoformat(newest).timestamp())
        rowid = (second << recent.ID_BITS) | tid
        years = " ".join(str(y) for y in (year, mapped_year) if y is not None)
        rows.append((rowid, " ".join(texts), recent.slice_token(site, kind), years))
    return rows


def _index(conn: sqlite3.Connection, table: str) -> Counter[tuple[str, int, str]]:
    """Every (token, rowid, column) the index holds, with its count (positions aside: the
    order of a title's texts in ``search_text`` is not fixed)."""
    vocab = f"temp.{table}_v"
    conn.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {vocab} USING fts5vocab(main, {table}, instance)"
    )
    return Counter(conn.execute(f"SELECT term, doc, col FROM temp.{table}_v"))


def _assert_consistent(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS expected_recent")
    conn.execute(_DEFINITION.format(name="expected_recent"))
    conn.executemany(
        "INSERT INTO expected_recent(rowid, text, slice, years) VALUES (?, ?, ?, ?)",
        _expected(conn),
    )
    conn.execute("DROP TABLE IF EXISTS temp.expected_recent_v")
    want = _index(conn, "expected_recent")
    assert want, "nothing is served: the comparison would mean nothing"
    assert _index(conn, "title_recent") == want
    conn.execute("INSERT INTO title_recent(title_recent) VALUES ('integrity-check')")
    conn.execute("DROP TABLE expected_recent")


class _Writes:
    """Random writes of every kind that reaches the index."""

    def __init__(self, conn: sqlite3.Connection, rng: random.Random) -> None:
        self.conn, self.rng = conn, rng
        self.next_title = self.next_episode = 1

    def _pick(self, sql: str) -> int | None:
        row = self.conn.execute(sql + " ORDER BY random() LIMIT 1").fetchone()
        return None if row is None else int(row[0])

    def insert_title(self) -> None:
        site, kind = self.rng.choice(SLICES)
        tid, self.next_title = self.next_title, self.next_title + 1
        self.conn.execute(
            "INSERT INTO titles(id, site, slug, title, kind, year, generation, first_seen,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, '2026', '2026')",
            (tid, site, f"t{tid}", _text(self.rng), kind, self.rng.choice((None, 2001, 2013))),
        )
        for _ in range(self.rng.randint(0, 2)):
            self.insert_episode(tid)

    def insert_episode(self, tid: int | None = None) -> None:
        tid = tid or self._pick("SELECT id FROM titles")
        if tid is None:
            return
        eid, self.next_episode = self.next_episode, self.next_episode + 1
        self.conn.execute(
            "INSERT INTO episodes(id, title_id, season, number, first_seen)"
            " VALUES (?, ?, 1, ?, '2026')",
            (eid, tid, eid),
        )
        for language in self.rng.sample(("de_dub", "de_sub", "en_dub"), self.rng.randint(1, 3)):
            self.conn.execute(
                "INSERT INTO episode_languages(episode_id, language, first_seen) VALUES (?, ?, ?)",
                (eid, language, _stamp(self.rng)),
            )

    def redate_release(self) -> None:
        row = self.conn.execute(
            "SELECT episode_id, language FROM episode_languages ORDER BY random() LIMIT 1"
        ).fetchone()
        if row is not None:
            self.conn.execute(
                "UPDATE episode_languages SET first_seen = ? WHERE episode_id = ? AND language = ?",
                (_stamp(self.rng), *row),
            )

    def delete_release(self) -> None:
        self.conn.execute(
            "DELETE FROM episode_languages WHERE (episode_id, language) IN"
            " (SELECT episode_id, language FROM episode_languages ORDER BY random() LIMIT 1)"
        )

    def delete_episode(self) -> None:
        eid = self._pick("SELECT id FROM episodes")
        self.conn.execute("DELETE FROM episodes WHERE id = ?", (eid,))

    def move_episode(self) -> None:
        eid, tid = self._pick("SELECT id FROM episodes"), self._pick("SELECT id FROM titles")
        if eid is not None and tid is not None:
            self.conn.execute("UPDATE OR IGNORE episodes SET title_id = ? WHERE id = ?", (tid, eid))

    def rename_title(self) -> None:
        tid = self._pick("SELECT id FROM titles")
        self.conn.execute("UPDATE titles SET title = ? WHERE id = ?", (_text(self.rng), tid))

    def change_title(self) -> None:
        tid = self._pick("SELECT id FROM titles")
        site, kind = self.rng.choice(SLICES)
        year = self.rng.choice((None, 1999, 2013, 2014))
        self.conn.execute(
            "UPDATE OR IGNORE titles SET site = ?, kind = ?, year = ? WHERE id = ?",
            (site, kind, year, tid),
        )

    def toggle_gone(self) -> None:
        tid = self._pick("SELECT id FROM titles")
        self.conn.execute("UPDATE titles SET gone = 1 - gone WHERE id = ?", (tid,))

    def relist(self) -> None:
        # a listing's upsert sets every title's columns whether they changed or not
        self.conn.execute("UPDATE titles SET gone = 0, kind = kind, year = year, missed = 0")

    def delete_title(self) -> None:
        self.conn.execute("DELETE FROM titles WHERE id = ?", (self._pick("SELECT id FROM titles"),))

    def add_alias(self) -> None:
        tid = self._pick("SELECT id FROM titles")
        self.conn.execute(
            "INSERT OR IGNORE INTO title_aliases(title_id, alias) VALUES (?, ?)",
            (tid, _text(self.rng)),
        )

    def delete_alias(self) -> None:
        self.conn.execute(
            "DELETE FROM title_aliases WHERE (title_id, alias) IN"
            " (SELECT title_id, alias FROM title_aliases ORDER BY random() LIMIT 1)"
        )

    def upsert_mapping(self) -> None:
        tid = self._pick("SELECT id FROM titles")
        if tid is None:
            return
        self.conn.execute(
            "INSERT INTO series_mappings(title_id, status, canonical_title, canonical_year,"
            " updated_at) VALUES (?, ?, ?, ?, '2026') ON CONFLICT(title_id) DO UPDATE SET"
            " status = excluded.status, canonical_title = excluded.canonical_title,"
            " canonical_year = excluded.canonical_year",
            (
                tid,
                self.rng.choice(("confirmed", "high", "low", "unmatched", "conflict")),
                self.rng.choice((None, _text(self.rng))),
                self.rng.choice((None, 2012, 2013, 2020)),
            ),
        )

    def move_mapping(self) -> None:
        source = self._pick("SELECT title_id FROM series_mappings")
        target = self._pick(
            "SELECT id FROM titles WHERE id NOT IN (SELECT title_id FROM series_mappings)"
        )
        if source is not None and target is not None:
            self.conn.execute(
                "UPDATE series_mappings SET title_id = ? WHERE title_id = ?", (target, source)
            )

    def delete_mapping(self) -> None:
        self.conn.execute(
            "DELETE FROM series_mappings WHERE title_id = ?",
            (self._pick("SELECT title_id FROM series_mappings"),),
        )


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


OPERATIONS = [name for name in vars(_Writes) if not name.startswith("_")]


@pytest.mark.parametrize("seed", range(4))
def test_the_index_equals_a_rebuild_after_random_writes(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "recent.db"
    apply_migrations(path)
    conn = _connect(path)
    rng = random.Random(seed)
    writes = _Writes(conn, rng)
    for _ in range(30):
        writes.insert_title()
    for step in range(600):
        getattr(writes, rng.choice(OPERATIONS))()
        if rng.random() < 0.3:
            writes.insert_title()  # keep the catalog from emptying
        if step % 60 == 59:
            _assert_consistent(conn)
    _assert_consistent(conn)
    conn.close()


def test_the_migration_indexes_the_existing_catalog(tmp_path: Path) -> None:
    before = tmp_path / "migrations"
    before.mkdir()
    for sql in MIGRATIONS_DIR.glob("*.sql"):
        if int(sql.name[:4]) < 20:
            shutil.copy(sql, before / sql.name)
    path = tmp_path / "backfill.db"
    apply_migrations(path, before)
    conn = _connect(path)
    writes = _Writes(conn, random.Random(9))
    for _ in range(60):
        writes.insert_title()
    for _ in range(200):
        getattr(writes, writes.rng.choice(OPERATIONS))()
    conn.close()
    assert apply_migrations(path) == ["0020_title_recent"]
    conn = _connect(path)
    _assert_consistent(conn)
    # and the triggers keep it so from there
    writes.conn = conn
    for _ in range(200):
        getattr(writes, writes.rng.choice(OPERATIONS))()
    _assert_consistent(conn)
    conn.close()


def test_a_row_key_orders_newest_second_first_and_names_its_title() -> None:
    conn = sqlite3.connect(":memory:")
    key = (
        "SELECT (max(0, min(4294967295, coalesce(CAST(strftime('%s', ?) AS INTEGER), 0))))"
        " * 2147483648 + ?"
    )
    stamps = ["2026-11-22T10:00:01.999Z", "2026-11-22T10:00:01.000Z", "2026-11-22T09:59:59.999Z"]
    pairs = zip(stamps, (7, 3, 9), strict=True)
    keys = [conn.execute(key, pair).fetchone()[0] for pair in pairs]
    assert [recent.title_id(k) for k in keys] == [7, 3, 9]
    assert recent.second(keys[0]) == recent.second(keys[1]) > recent.second(keys[2])
    assert keys[2] < keys[1] < keys[0]  # within a second: by title id, the reader sorts
    # the largest id and the last second still fit a signed 64-bit rowid
    assert conn.execute(key, ("2106-02-07T06:28:15.000Z", 2**31 - 1)).fetchone()[0] == 2**63 - 1
    # a time strftime cannot read counts as the oldest
    assert recent.second(conn.execute(key, ("someday", 1)).fetchone()[0]) == 0
    conn.close()


def test_a_title_written_with_its_release_is_indexed_at_once(tmp_path: Path) -> None:
    """The pipeline inserts titles before their releases; a title inserted with its bound
    already set (an import, a restore) is indexed by the insert itself."""
    path = tmp_path / "insert.db"
    apply_migrations(path)
    conn = _connect(path)
    conn.execute(
        "INSERT INTO titles(id, site, slug, title, kind, year, generation, first_seen, updated_at,"
        " newest_seen, newest_episode) VALUES (5, 'sto', 't5', 'Dragon Saga', 'series', 2013, 1,"
        " '2026', '2026', '2026-11-22T10:00:00.000Z', 1)"
    )
    token = recent.slice_token("sto", "series")
    rows = conn.execute(
        "SELECT rowid FROM title_recent WHERE title_recent MATCH ?",
        (f'text : "dragon" AND slice : "{token}" AND years : "2013"',),
    ).fetchall()
    second = int(datetime(2026, 11, 22, 10, tzinfo=UTC).timestamp())
    assert rows == [((second << recent.ID_BITS) | 5,)]
    conn.close()


def test_the_database_still_dumps(tmp_path: Path) -> None:
    """A contentless FTS5 table without column sizes cannot be scanned: ``.dump`` (and
    ``iterdump``) of the whole database would fail."""
    path = tmp_path / "dump.db"
    apply_migrations(path)
    conn = _connect(path)
    writes = _Writes(conn, random.Random(2))
    for _ in range(5):
        writes.insert_title()
    assert conn.execute("SELECT count(*) FROM title_recent").fetchone()[0] > 0
    assert any("title_recent" in line for line in conn.iterdump())
    conn.close()
