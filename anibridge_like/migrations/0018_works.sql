-- Canonical works: one row per series (keyed tvdb:<id>) or movie (tmdb:<id>, imdb:<tt…> when
-- only that is known), the same keys media_items.work and the gap report use. Filled by the
-- canonical stage from the metadata answers it fetches; refreshed by metadata_refresh jobs.
CREATE TABLE works (
    key            TEXT PRIMARY KEY,          -- tvdb:N | tmdb:N | imdb:ttN
    kind           TEXT NOT NULL CHECK (kind IN ('series', 'movie')),
    tvdb_id        INTEGER,
    tmdb_id        INTEGER,
    imdb_id        TEXT,
    anilist_id     INTEGER,
    mal_id         INTEGER,
    title          TEXT NOT NULL,
    aliases        TEXT NOT NULL DEFAULT '[]',   -- JSON list
    year           INTEGER,
    status         TEXT CHECK (status IN ('continuing', 'ended', 'upcoming')),
    first_aired    TEXT,
    last_aired     TEXT,
    overview       TEXT,
    genres         TEXT NOT NULL DEFAULT '[]',   -- JSON list
    rating         REAL,
    rating_votes   INTEGER,
    poster_url     TEXT,
    fanart_url     TEXT,
    locked_fields  TEXT NOT NULL DEFAULT '[]',   -- JSON list of field names never written
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX works_anilist ON works(anilist_id) WHERE anilist_id IS NOT NULL;

-- A series' canonical episode list (TVDB numbering; season 0 = specials).
CREATE TABLE work_episodes (
    work      TEXT NOT NULL REFERENCES works(key) ON DELETE CASCADE,
    season    INTEGER NOT NULL,
    episode   INTEGER NOT NULL,
    absolute  INTEGER,
    title     TEXT,
    air_date  TEXT,
    runtime   INTEGER,
    special   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (work, season, episode)
) WITHOUT ROWID;

-- When a metadata instance last refreshed a work (metadata_refresh's recency guard).
CREATE TABLE work_sync (
    work       TEXT NOT NULL REFERENCES works(key) ON DELETE CASCADE,
    instance   TEXT NOT NULL,
    synced_at  TEXT NOT NULL,
    PRIMARY KEY (work, instance)
) WITHOUT ROWID;

-- Provider titles → their work (served mappings only; the key rule of media-server resolution).
CREATE VIEW title_works AS
SELECT sm.title_id AS title_id,
       CASE WHEN sm.tvdb_id IS NOT NULL THEN 'tvdb:' || sm.tvdb_id
            WHEN sm.tmdb_id IS NOT NULL THEN 'tmdb:' || sm.tmdb_id
            WHEN sm.imdb_id IS NOT NULL THEN 'imdb:' || sm.imdb_id END AS work
FROM series_mappings sm
WHERE sm.status IN ('confirmed', 'high')
  AND COALESCE(sm.tvdb_id, sm.tmdb_id, sm.imdb_id) IS NOT NULL;
