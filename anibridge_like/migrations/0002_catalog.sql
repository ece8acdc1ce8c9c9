-- The catalog index: titles, aliases, episodes and languages keyed by (site, slug), the staging
-- generation of a running listing, per-(instance, stage) readiness and per-title stage state,
-- and the full-text index Torznab searches.

CREATE TABLE titles (
    id            INTEGER PRIMARY KEY,
    site          TEXT NOT NULL,
    slug          TEXT NOT NULL,
    title         TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('series', 'movie')),
    year          INTEGER,
    generation    INTEGER NOT NULL,            -- last complete listing generation that had it
    missed        INTEGER NOT NULL DEFAULT 0,  -- consecutive complete listings that missed it
    gone          INTEGER NOT NULL DEFAULT 0,  -- 1 after two complete listings missed it
    listing_hash  TEXT,                        -- hash of the listing entry (change detection)
    first_seen    TEXT NOT NULL,               -- ISO-8601 UTC
    updated_at    TEXT NOT NULL,
    UNIQUE (site, slug)
);
CREATE INDEX titles_site_live ON titles(site, gone);

CREATE TABLE title_aliases (
    title_id  INTEGER NOT NULL REFERENCES titles(id) ON DELETE CASCADE,
    alias     TEXT NOT NULL,
    PRIMARY KEY (title_id, alias)
) WITHOUT ROWID;

-- Films (of a series, or a movie title's single entry) use season -1; specials season 0.
CREATE TABLE episodes (
    id          INTEGER PRIMARY KEY,
    title_id    INTEGER NOT NULL REFERENCES titles(id) ON DELETE CASCADE,
    season      INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    absolute    INTEGER,
    kind        TEXT NOT NULL DEFAULT 'episode' CHECK (kind IN ('episode', 'special', 'film')),
    names       TEXT NOT NULL DEFAULT '{}',    -- JSON {"de": "...", "en": "..."}
    first_seen  TEXT NOT NULL,
    UNIQUE (title_id, season, number)
);

-- One row per (episode, language variant) available; first_seen is the release's pubDate.
CREATE TABLE episode_languages (
    episode_id  INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    language    TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    PRIMARY KEY (episode_id, language)
) WITHOUT ROWID;
CREATE INDEX episode_languages_newest ON episode_languages(first_seen DESC);

-- Rows of a listing in progress. Promoted into `titles` in one transaction when the listing
-- completes; a crash or failure leaves them behind to be resumed or discarded, never served.
CREATE TABLE staging_titles (
    site        TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    slug        TEXT NOT NULL,
    title       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    year        INTEGER,
    aliases     TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (site, generation, slug)
) WITHOUT ROWID;

-- Readiness per (instance, stage): status, counts, timestamps, next attempt, last error.
CREATE TABLE stage_state (
    instance            TEXT NOT NULL,
    stage               TEXT NOT NULL CHECK (stage IN ('title', 'detail', 'canonical')),
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'running', 'ready', 'failed', 'backing_off')),
    listed              INTEGER NOT NULL DEFAULT 0,
    persisted           INTEGER NOT NULL DEFAULT 0,
    failed              INTEGER NOT NULL DEFAULT 0,
    total               INTEGER NOT NULL DEFAULT 0,
    started_at          TEXT,
    finished_at         TEXT,
    ready_at            TEXT,      -- first time this stage became ready (stays set afterwards)
    next_attempt_at     TEXT,
    attempts            INTEGER NOT NULL DEFAULT 0,  -- consecutive failed attempts
    last_error          TEXT,
    live_generation     INTEGER,
    staging_generation  INTEGER,
    cursor              TEXT,      -- listing cursor to resume the staging generation from
    PRIMARY KEY (instance, stage)
) WITHOUT ROWID;

-- Per-title stage state (detail and canonical).
CREATE TABLE title_state (
    title_id             INTEGER PRIMARY KEY REFERENCES titles(id) ON DELETE CASCADE,
    detail_status        TEXT NOT NULL DEFAULT 'pending',  -- pending | ok | failed
    detail_ok_at         TEXT,
    detail_next_at       TEXT,
    detail_failures      INTEGER NOT NULL DEFAULT 0,
    detail_error         TEXT,
    canonical_status     TEXT NOT NULL DEFAULT 'pending',  -- pending | ok | failed
    canonical_ok_at      TEXT,
    canonical_next_at    TEXT,
    canonical_failures   INTEGER NOT NULL DEFAULT 0,
    canonical_error      TEXT
);
CREATE INDEX title_state_detail_due ON title_state(detail_status, detail_next_at);
CREATE INDEX title_state_canonical_due ON title_state(canonical_status, canonical_next_at);

-- Full-text index over titles and aliases (and canonical names, added by the canonical stage).
-- `search_terms` holds the text rows (indexed by title_id so deletes are cheap); the FTS5 table
-- uses it as external content. Triggers keep both in sync so no writer can forget them.
CREATE TABLE search_terms (
    id        INTEGER PRIMARY KEY,
    title_id  INTEGER NOT NULL REFERENCES titles(id) ON DELETE CASCADE,
    source    TEXT NOT NULL,          -- 'title' | 'alias' | 'canonical'
    text      TEXT NOT NULL
);
CREATE INDEX search_terms_title ON search_terms(title_id, source);

CREATE VIRTUAL TABLE title_search USING fts5(
    text,
    content = 'search_terms',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER search_terms_ai AFTER INSERT ON search_terms BEGIN
    INSERT INTO title_search(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER search_terms_ad AFTER DELETE ON search_terms BEGIN
    INSERT INTO title_search(title_search, rowid, text) VALUES ('delete', old.id, old.text);
END;

CREATE TRIGGER titles_terms_insert AFTER INSERT ON titles BEGIN
    INSERT INTO search_terms(title_id, source, text) VALUES (new.id, 'title', new.title);
END;
CREATE TRIGGER titles_terms_update AFTER UPDATE OF title ON titles
WHEN old.title IS NOT new.title BEGIN
    DELETE FROM search_terms WHERE title_id = old.id AND source = 'title';
    INSERT INTO search_terms(title_id, source, text) VALUES (new.id, 'title', new.title);
END;
CREATE TRIGGER titles_terms_delete BEFORE DELETE ON titles BEGIN
    DELETE FROM search_terms WHERE title_id = old.id;
END;
CREATE TRIGGER aliases_terms_insert AFTER INSERT ON title_aliases BEGIN
    INSERT INTO search_terms(title_id, source, text) VALUES (new.title_id, 'alias', new.alias);
END;
CREATE TRIGGER aliases_terms_delete AFTER DELETE ON title_aliases BEGIN
    DELETE FROM search_terms
    WHERE title_id = old.title_id AND source = 'alias' AND text = old.alias;
END;
