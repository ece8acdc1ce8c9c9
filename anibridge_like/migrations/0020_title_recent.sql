-- Text searches whose cost does not depend on the catalog's size (issue 12, 7b): a second FTS5
-- index, `title_recent`, with one row per served title (gone = 0 and a release indexed) whose
-- rowid orders the rows newest release first, so that a search reads its matching titles in
-- feed order and stops once the page is full (torznab/sources.py text_titles, torznab/recent.py).
--
-- rowid = s * 2^31 + id, where s is the title's newest_seen in whole seconds since 1970 (clamped
-- to [0, 2^32 - 1]; a value strftime cannot read counts as 0, i.e. oldest) and id the title's id
-- (< 2^31). `ORDER BY rowid DESC` is therefore newest second first, and the title is
-- `rowid & (2^31 - 1)`, no join. Within one second the order is not the feed's (milliseconds,
-- newest_episode): a reader sorts each second's titles itself. (Ascending rowids for newest
-- first read about twice as fast in FTS5, but FTS5 flushes its pending data at every rowid not
-- above the last one written: a re-dated title's delete and insert would both arrive out of
-- order, not only its delete as here; bulk writes measured 25-35 % dearer.)
--
-- Columns: `text` = titles.search_text (all texts of the title in one row: an FTS row match is a
-- superset of the per-text match, which the reader checks exactly), `slice` = one token for
-- (site, kind): hex(site || char(31) || kind), `years` = the site year and the mapping's
-- canonical year (any status: a superset of the year rule, checked exactly too). Contentless: a
-- row is deleted with the values it was inserted with, which the triggers have as old.* because
-- every indexed value is a column of `titles` (the canonical year is mirrored into
-- titles.mapped_year for that reason). Prefix indexes of 3 to 8 characters: a query prefix is
-- read lazily from its index (a longer one is cut to 8, a superset); without an index FTS5 merges
-- every matching term's whole list first, a cost that grows with the catalog. (No
-- `columnsize = 0`: a contentless table without its sizes cannot be scanned, so `.dump` and
-- `iterdump()` of the database would fail.)
ALTER TABLE titles ADD COLUMN mapped_year INTEGER;

UPDATE titles SET mapped_year = (
    SELECT sm.canonical_year FROM series_mappings sm WHERE sm.title_id = titles.id
);

CREATE TRIGGER series_mappings_year_insert AFTER INSERT ON series_mappings
WHEN new.canonical_year IS NOT NULL BEGIN
    UPDATE titles SET mapped_year = new.canonical_year WHERE id = new.title_id;
END;

CREATE TRIGGER series_mappings_year_update AFTER UPDATE OF canonical_year, title_id
ON series_mappings
WHEN old.canonical_year IS NOT new.canonical_year OR old.title_id IS NOT new.title_id BEGIN
    UPDATE titles SET mapped_year = NULL WHERE id = old.title_id AND old.title_id IS NOT new.title_id;
    UPDATE titles SET mapped_year = new.canonical_year WHERE id = new.title_id;
END;

CREATE TRIGGER series_mappings_year_delete AFTER DELETE ON series_mappings
WHEN old.canonical_year IS NOT NULL BEGIN
    UPDATE titles SET mapped_year = NULL WHERE id = old.title_id;
END;

CREATE VIRTUAL TABLE title_recent USING fts5(
    text,
    slice,
    years,
    content = '',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '3 4 5 6 7 8'
);

-- in rowid order: FTS5 flushes its pending data at every rowid that is not above the last one
INSERT INTO title_recent(rowid, text, slice, years)
SELECT (max(0, min(4294967295,
            coalesce(CAST(strftime('%s', newest_seen) AS INTEGER), 0)))) * 2147483648 + id,
       search_text,
       hex(site || char(31) || kind),
       trim(coalesce(year, '') || ' ' || coalesce(mapped_year, ''))
FROM titles WHERE gone = 0 AND newest_seen IS NOT NULL
ORDER BY 1;

CREATE TRIGGER titles_recent_insert AFTER INSERT ON titles
WHEN new.gone = 0 AND new.newest_seen IS NOT NULL BEGIN
    INSERT INTO title_recent(rowid, text, slice, years) VALUES (
        (max(0, min(4294967295,
            coalesce(CAST(strftime('%s', new.newest_seen) AS INTEGER), 0)))) * 2147483648 + new.id,
        new.search_text,
        hex(new.site || char(31) || new.kind),
        trim(coalesce(new.year, '') || ' ' || coalesce(new.mapped_year, ''))
    );
END;

-- Only when something indexed changes (a listing's upsert sets gone = 0 on every title).
CREATE TRIGGER titles_recent_update
AFTER UPDATE OF id, newest_seen, search_text, gone, site, kind, year, mapped_year ON titles
WHEN (old.gone = 0 AND old.newest_seen IS NOT NULL) IS NOT (new.gone = 0 AND new.newest_seen IS NOT NULL)
    OR old.id IS NOT new.id
    OR coalesce(CAST(strftime('%s', old.newest_seen) AS INTEGER), 0)
       IS NOT coalesce(CAST(strftime('%s', new.newest_seen) AS INTEGER), 0)
    OR old.search_text IS NOT new.search_text
    OR old.site IS NOT new.site OR old.kind IS NOT new.kind
    OR old.year IS NOT new.year OR old.mapped_year IS NOT new.mapped_year
BEGIN
    INSERT INTO title_recent(title_recent, rowid, text, slice, years)
    SELECT 'delete',
        (max(0, min(4294967295,
            coalesce(CAST(strftime('%s', old.newest_seen) AS INTEGER), 0)))) * 2147483648 + old.id,
        old.search_text,
        hex(old.site || char(31) || old.kind),
        trim(coalesce(old.year, '') || ' ' || coalesce(old.mapped_year, ''))
    WHERE old.gone = 0 AND old.newest_seen IS NOT NULL;
    INSERT INTO title_recent(rowid, text, slice, years)
    SELECT
        (max(0, min(4294967295,
            coalesce(CAST(strftime('%s', new.newest_seen) AS INTEGER), 0)))) * 2147483648 + new.id,
        new.search_text,
        hex(new.site || char(31) || new.kind),
        trim(coalesce(new.year, '') || ' ' || coalesce(new.mapped_year, ''))
    WHERE new.gone = 0 AND new.newest_seen IS NOT NULL;
END;

CREATE TRIGGER titles_recent_delete AFTER DELETE ON titles
WHEN old.gone = 0 AND old.newest_seen IS NOT NULL BEGIN
    INSERT INTO title_recent(title_recent, rowid, text, slice, years) VALUES ('delete',
        (max(0, min(4294967295,
            coalesce(CAST(strftime('%s', old.newest_seen) AS INTEGER), 0)))) * 2147483648 + old.id,
        old.search_text,
        hex(old.site || char(31) || old.kind),
        trim(coalesce(old.year, '') || ' ' || coalesce(old.mapped_year, ''))
    );
END;

-- The newest-first walk no longer tests texts (only RSS walks it): the index covers the bound
-- again, not the texts and year of migration 0019 (less to rewrite on every write).
DROP INDEX titles_newest;
CREATE INDEX titles_newest ON titles(site, kind, newest_seen DESC, newest_episode) WHERE gone = 0;
