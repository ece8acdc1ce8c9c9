-- Media servers: what the user owns. A media-server instance (plugin_instances, kind media_server)
-- binds daemon libraries to server libraries; each binding is pulled page by page.
--
-- Per (instance, library): the listing's state. `generation` numbers listings; `complete` = 1
-- once the generation's listing reached its end, `cursor` is where an incomplete one resumes.
-- `connection` is what the last attempt learned about the server (auth rejected → disconnected,
-- unreachable → degraded with `next_attempt_at`).
CREATE TABLE media_scan_state (
    instance_id      INTEGER NOT NULL REFERENCES plugin_instances(id) ON DELETE CASCADE,
    library_id       INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    server_library   TEXT NOT NULL,             -- the binding as written (name, ref or path)
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'running', 'complete', 'partial', 'failed')),
    connection       TEXT NOT NULL DEFAULT 'unknown'
                     CHECK (connection IN ('unknown', 'connected', 'degraded', 'disconnected')),
    server_name      TEXT,
    server_version   TEXT,
    generation       INTEGER NOT NULL DEFAULT 0,
    cursor           TEXT,
    complete         INTEGER NOT NULL DEFAULT 0,
    items            INTEGER NOT NULL DEFAULT 0,  -- items stored by the current generation
    pages            INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,  -- consecutive failed attempts
    started_at       TEXT,
    finished_at      TEXT,
    last_complete_at TEXT,
    next_attempt_at  TEXT,
    last_error       TEXT,
    PRIMARY KEY (instance_id, library_id)
) WITHOUT ROWID;

-- The inventory as listed, with the canonical work each item resolved to ('tvdb:267440',
-- 'tmdb:603', 'imdb:tt0133093'; NULL = not in the index) and how (id | name). Rows of older
-- generations are removed only when a newer listing completed.
CREATE TABLE media_items (
    instance_id  INTEGER NOT NULL REFERENCES plugin_instances(id) ON DELETE CASCADE,
    library_id   INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    server_id    TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('series', 'movie', 'episode')),
    title        TEXT NOT NULL,
    year         INTEGER,
    tvdb_id      INTEGER,
    tmdb_id      INTEGER,
    imdb_id      TEXT,
    anilist_id   INTEGER,
    series_key   TEXT NOT NULL DEFAULT '',
    season       INTEGER,
    episode      INTEGER,
    episode_end  INTEGER,
    absolute     INTEGER,
    path         TEXT NOT NULL DEFAULT '',
    work         TEXT,
    resolved_by  TEXT CHECK (resolved_by IN ('id', 'name')),
    generation   INTEGER NOT NULL,
    PRIMARY KEY (instance_id, library_id, server_id)
) WITHOUT ROWID;
CREATE INDEX media_items_work ON media_items(work) WHERE work IS NOT NULL;

-- Ownership per canonical episode (TVDB season/episode; a movie is season -1 episode 1).
-- 'owned' comes from any listing page; 'missing' is written only when a listing completed:
-- an episode the index knows for an owned work that no item covers, or one that was owned and
-- the complete listing no longer has. An incomplete listing never turns owned into missing.
CREATE TABLE media_ownership (
    library_id   INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    work         TEXT NOT NULL,
    season       INTEGER NOT NULL,
    episode      INTEGER NOT NULL,
    instance_id  INTEGER NOT NULL REFERENCES plugin_instances(id) ON DELETE CASCADE,
    state        TEXT NOT NULL CHECK (state IN ('owned', 'missing')),
    path         TEXT,
    generation   INTEGER NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (library_id, work, season, episode, instance_id)
) WITHOUT ROWID;
CREATE INDEX media_ownership_instance ON media_ownership(instance_id, library_id, state);
