-- Text searches at catalog scale (issue 12, 7b): a broad match is served by walking a slice's
-- titles newest-first and testing each title's searchable texts in Python
-- (torznab/sources.py, torznab/textmatch.py). Reading those texts from `search_terms` cost
-- about 50 VM instructions a title; kept on the title and in the walked index they cost none.
--
-- `titles.search_text` holds the texts `search_terms` holds for the title (its title, aliases
-- and canonical name: the triggers of migrations 0002 and 0003) joined by char(31), the
-- canonical name marked with a leading char(30): it counts only where the title's mapping is
-- usable, the rule of torznab/query.py FTS_TITLES, checked when a search reads it. The triggers
-- below recompute it from those source rows (not from search_terms: SQLite runs a table's
-- triggers newest first, and a title's own BEFORE DELETE trigger deletes its search_terms).
ALTER TABLE titles ADD COLUMN search_text TEXT;

UPDATE titles SET search_text = (
        SELECT group_concat(text, char(31)) FROM (
            SELECT t2.title AS text FROM titles t2 WHERE t2.id = titles.id
            UNION ALL SELECT a.alias FROM title_aliases a WHERE a.title_id = titles.id
            UNION ALL SELECT char(30) || sm.canonical_title FROM series_mappings sm
            WHERE sm.title_id = titles.id AND sm.canonical_title IS NOT NULL
        )
    );

-- The newest-first walk of a (site, kind) slice, now covering the texts and the site's year too
-- (same name: the readiness probe and the RSS walk use it by name).
DROP INDEX titles_newest;
CREATE INDEX titles_newest
ON titles(site, kind, newest_seen DESC, newest_episode, search_text, year)
WHERE gone = 0;

CREATE TRIGGER titles_text_insert AFTER INSERT ON titles BEGIN
    UPDATE titles SET search_text = (
        SELECT group_concat(text, char(31)) FROM (
            SELECT t2.title AS text FROM titles t2 WHERE t2.id = titles.id
            UNION ALL SELECT a.alias FROM title_aliases a WHERE a.title_id = titles.id
            UNION ALL SELECT char(30) || sm.canonical_title FROM series_mappings sm
            WHERE sm.title_id = titles.id AND sm.canonical_title IS NOT NULL
        )
    )
    WHERE id = new.id;
END;

CREATE TRIGGER titles_text_update AFTER UPDATE OF title ON titles
WHEN old.title IS NOT new.title BEGIN
    UPDATE titles SET search_text = (
        SELECT group_concat(text, char(31)) FROM (
            SELECT t2.title AS text FROM titles t2 WHERE t2.id = titles.id
            UNION ALL SELECT a.alias FROM title_aliases a WHERE a.title_id = titles.id
            UNION ALL SELECT char(30) || sm.canonical_title FROM series_mappings sm
            WHERE sm.title_id = titles.id AND sm.canonical_title IS NOT NULL
        )
    )
    WHERE id = new.id;
END;

CREATE TRIGGER aliases_text_insert AFTER INSERT ON title_aliases BEGIN
    UPDATE titles SET search_text = (
        SELECT group_concat(text, char(31)) FROM (
            SELECT t2.title AS text FROM titles t2 WHERE t2.id = titles.id
            UNION ALL SELECT a.alias FROM title_aliases a WHERE a.title_id = titles.id
            UNION ALL SELECT char(30) || sm.canonical_title FROM series_mappings sm
            WHERE sm.title_id = titles.id AND sm.canonical_title IS NOT NULL
        )
    )
    WHERE id = new.title_id;
END;

CREATE TRIGGER aliases_text_delete AFTER DELETE ON title_aliases BEGIN
    UPDATE titles SET search_text = (
        SELECT group_concat(text, char(31)) FROM (
            SELECT t2.title AS text FROM titles t2 WHERE t2.id = titles.id
            UNION ALL SELECT a.alias FROM title_aliases a WHERE a.title_id = titles.id
            UNION ALL SELECT char(30) || sm.canonical_title FROM series_mappings sm
            WHERE sm.title_id = titles.id AND sm.canonical_title IS NOT NULL
        )
    )
    WHERE id = old.title_id;
END;

CREATE TRIGGER series_mappings_text_insert AFTER INSERT ON series_mappings
WHEN new.canonical_title IS NOT NULL BEGIN
    UPDATE titles SET search_text = (
        SELECT group_concat(text, char(31)) FROM (
            SELECT t2.title AS text FROM titles t2 WHERE t2.id = titles.id
            UNION ALL SELECT a.alias FROM title_aliases a WHERE a.title_id = titles.id
            UNION ALL SELECT char(30) || sm.canonical_title FROM series_mappings sm
            WHERE sm.title_id = titles.id AND sm.canonical_title IS NOT NULL
        )
    )
    WHERE id = new.title_id;
END;

CREATE TRIGGER series_mappings_text_update AFTER UPDATE OF canonical_title, title_id ON series_mappings
WHEN old.canonical_title IS NOT new.canonical_title OR old.title_id IS NOT new.title_id BEGIN
    UPDATE titles SET search_text = (
        SELECT group_concat(text, char(31)) FROM (
            SELECT t2.title AS text FROM titles t2 WHERE t2.id = titles.id
            UNION ALL SELECT a.alias FROM title_aliases a WHERE a.title_id = titles.id
            UNION ALL SELECT char(30) || sm.canonical_title FROM series_mappings sm
            WHERE sm.title_id = titles.id AND sm.canonical_title IS NOT NULL
        )
    )
    WHERE id IN (old.title_id, new.title_id);
END;

CREATE TRIGGER series_mappings_text_delete AFTER DELETE ON series_mappings
WHEN old.canonical_title IS NOT NULL BEGIN
    UPDATE titles SET search_text = (
        SELECT group_concat(text, char(31)) FROM (
            SELECT t2.title AS text FROM titles t2 WHERE t2.id = titles.id
            UNION ALL SELECT a.alias FROM title_aliases a WHERE a.title_id = titles.id
            UNION ALL SELECT char(30) || sm.canonical_title FROM series_mappings sm
            WHERE sm.title_id = titles.id AND sm.canonical_title IS NOT NULL
        )
    )
    WHERE id = old.title_id;
END;
