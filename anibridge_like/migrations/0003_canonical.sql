-- Canonical mappings: provider titles/episodes → TVDB numbering, absolute numbers, movie ids.

-- One row per provider title. `status` is the match outcome; only confirmed/high are served by id,
-- low only for text searches, conflict never. `pinned` = manual override, never overwritten.
CREATE TABLE series_mappings (
    title_id         INTEGER PRIMARY KEY REFERENCES titles(id) ON DELETE CASCADE,
    status           TEXT NOT NULL
                     CHECK (status IN ('confirmed', 'high', 'low', 'unmatched', 'conflict')),
    score            REAL,
    source           TEXT,          -- metadata instance name, or 'override'
    reason           TEXT,          -- human-readable rationale
    tvdb_id          INTEGER,
    tmdb_id          INTEGER,
    imdb_id          TEXT,          -- with 'tt'
    anilist_id       INTEGER,
    mal_id           INTEGER,
    canonical_title  TEXT,
    canonical_year   INTEGER,
    pinned           INTEGER NOT NULL DEFAULT 0,
    updated_at       TEXT NOT NULL
);
CREATE INDEX series_mappings_tvdb ON series_mappings(tvdb_id) WHERE tvdb_id IS NOT NULL;
CREATE INDEX series_mappings_tmdb ON series_mappings(tmdb_id) WHERE tmdb_id IS NOT NULL;
CREATE INDEX series_mappings_imdb ON series_mappings(imdb_id) WHERE imdb_id IS NOT NULL;

-- One row per provider episode that maps onto canonical numbering.
CREATE TABLE episode_mappings (
    episode_id    INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
    title_id      INTEGER NOT NULL REFERENCES titles(id) ON DELETE CASCADE,
    tvdb_season   INTEGER,
    tvdb_episode  INTEGER,
    absolute      INTEGER,
    status        TEXT NOT NULL CHECK (status IN ('confirmed', 'high', 'low', 'conflict')),
    method        TEXT NOT NULL,   -- direct | absolute | title | override
    reason        TEXT
);
CREATE INDEX episode_mappings_canonical
    ON episode_mappings(title_id, tvdb_season, tvdb_episode);
CREATE INDEX episode_mappings_absolute ON episode_mappings(title_id, absolute);

-- Metadata answers cached with a TTL, so a restart does not re-query everything.
CREATE TABLE metadata_cache (
    instance    TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,      -- JSON
    fetched_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (instance, key)
) WITHOUT ROWID;

-- Canonical names join the full-text index.
CREATE TRIGGER series_mappings_terms_insert AFTER INSERT ON series_mappings
WHEN new.canonical_title IS NOT NULL BEGIN
    INSERT INTO search_terms(title_id, source, text)
    VALUES (new.title_id, 'canonical', new.canonical_title);
END;
CREATE TRIGGER series_mappings_terms_update AFTER UPDATE OF canonical_title ON series_mappings
WHEN old.canonical_title IS NOT new.canonical_title BEGIN
    DELETE FROM search_terms WHERE title_id = old.title_id AND source = 'canonical';
    INSERT INTO search_terms(title_id, source, text)
    SELECT new.title_id, 'canonical', new.canonical_title WHERE new.canonical_title IS NOT NULL;
END;
CREATE TRIGGER series_mappings_terms_delete AFTER DELETE ON series_mappings BEGIN
    DELETE FROM search_terms WHERE title_id = old.title_id AND source = 'canonical';
END;
