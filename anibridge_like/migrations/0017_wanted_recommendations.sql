-- Wanted lists and recommendations (issue 17). Every row belongs to a library and the plugin
-- instance that produced it; deleting either removes its rows.

-- One list entry per (library, instance, external id). An entry missing from a complete listing
-- is marked removed (removed_at), never deleted; listed again, it comes back.
CREATE TABLE wanted_items (
    id           INTEGER PRIMARY KEY,
    library_id   INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    instance_id  INTEGER NOT NULL REFERENCES plugin_instances(id) ON DELETE CASCADE,
    external_id  TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('series', 'movie')),
    title        TEXT NOT NULL,
    year         INTEGER,
    list_status  TEXT NOT NULL,
    tvdb_id      INTEGER,
    tmdb_id      INTEGER,
    imdb_id      TEXT,
    anilist_id   INTEGER,
    mal_id       INTEGER,
    generation   INTEGER NOT NULL,   -- listing generation that last saw it
    first_seen   TEXT NOT NULL,
    last_seen    TEXT NOT NULL,
    removed_at   TEXT,
    UNIQUE (library_id, instance_id, external_id)
);

-- An entry linked to every catalog title of its library its ids resolve to.
CREATE TABLE wanted_links (
    wanted_id  INTEGER NOT NULL REFERENCES wanted_items(id) ON DELETE CASCADE,
    title_id   INTEGER NOT NULL REFERENCES titles(id) ON DELETE CASCADE,
    PRIMARY KEY (wanted_id, title_id)
) WITHOUT ROWID;
CREATE INDEX wanted_links_title ON wanted_links(title_id);

-- Sync state per (library, instance): the cursor a partial listing resumes from, the listing
-- generation in progress, and what the error policy decided.
CREATE TABLE wanted_sync_state (
    library_id       INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    instance_id      INTEGER NOT NULL REFERENCES plugin_instances(id) ON DELETE CASCADE,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'ok', 'partial', 'paused', 'failed',
                                       'disconnected')),
    cursor           TEXT,
    generation       INTEGER NOT NULL DEFAULT 0,
    failures         INTEGER NOT NULL DEFAULT 0,   -- consecutive, pauses not counted
    next_attempt_at  TEXT,
    last_error_code  TEXT,
    last_error       TEXT,
    last_run_at      TEXT,
    last_complete_at TEXT,
    items            INTEGER NOT NULL DEFAULT 0,   -- live entries after the last run
    config_hash      TEXT,   -- the instance's config when it was disconnected (a change reconnects)
    PRIMARY KEY (library_id, instance_id)
) WITHOUT ROWID;

-- The last refresh of each (library, instance): candidates resolved to canonical works.
-- work_id is the work's canonical key ('tvdb:81797', 'tmdb:129', 'anilist:5114' …).
CREATE TABLE recommendations (
    library_id   INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    instance_id  INTEGER NOT NULL REFERENCES plugin_instances(id) ON DELETE CASCADE,
    work_id      TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    title        TEXT NOT NULL,
    score        REAL NOT NULL,
    reason       TEXT NOT NULL,
    based_on     TEXT NOT NULL DEFAULT '[]',   -- JSON list of seed titles
    title_ids    TEXT NOT NULL DEFAULT '[]',   -- JSON list of the library's catalog titles
    generated_at TEXT NOT NULL,
    PRIMARY KEY (library_id, instance_id, work_id)
) WITHOUT ROWID;

CREATE TABLE recommendation_runs (
    library_id   INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    instance_id  INTEGER NOT NULL REFERENCES plugin_instances(id) ON DELETE CASCADE,
    status       TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    generated_at TEXT,          -- last successful refresh
    last_run_at  TEXT NOT NULL,
    candidates   INTEGER NOT NULL DEFAULT 0,
    kept         INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    PRIMARY KEY (library_id, instance_id)
) WITHOUT ROWID;

-- A dismissed work is hidden from every instance's recommendations of the library.
CREATE TABLE recommendation_dismissals (
    library_id    INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    work_id       TEXT NOT NULL,
    dismissed_at  TEXT NOT NULL,
    PRIMARY KEY (library_id, work_id)
) WITHOUT ROWID;

-- Wanted items and recommendation candidates resolve through every id namespace; the AniList
-- and MAL ids of the mappings had no index (TVDB/TMDB/IMDb have theirs since 0003).
CREATE INDEX series_mappings_anilist ON series_mappings(anilist_id) WHERE anilist_id IS NOT NULL;
CREATE INDEX series_mappings_mal ON series_mappings(mal_id) WHERE mal_id IS NOT NULL;
-- ... and through the ids a provider page links, for titles not mapped yet.
CREATE INDEX title_external_ids_value ON title_external_ids(namespace, value);
