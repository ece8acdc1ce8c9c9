-- Libraries and plugin instances, reconciled from the YAML seed on every start.
CREATE TABLE libraries (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('series', 'anime', 'movies')),
    categories  TEXT NOT NULL DEFAULT '[]',   -- JSON list of Torznab category ids
    languages   TEXT NOT NULL DEFAULT '[]',   -- JSON list of Language codes, preferred first
    api_key     TEXT                          -- optional own Torznab key
);

CREATE TABLE plugin_instances (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    implementation  TEXT NOT NULL,
    kind            TEXT NOT NULL,             -- provider | metadata | ...
    site            TEXT,                      -- providers: catalog site key (capabilities or config)
    enabled         INTEGER NOT NULL DEFAULT 1,
    config          TEXT NOT NULL DEFAULT '{}', -- JSON as written in the seed (secrets stay in env)
    all_libraries   INTEGER NOT NULL DEFAULT 1, -- 1 = no `libraries:` list in the seed
    refresh_interval_hours  REAL,              -- per-instance catalog refresh cadence
    refresh_cron            TEXT               -- or a cron expression (settings timezone)
);

-- Scope of an instance when all_libraries = 0. Deleting a library removes its rows here and so
-- narrows the scope; it never turns an instance into an all-libraries one.
CREATE TABLE plugin_instance_libraries (
    instance_id  INTEGER NOT NULL REFERENCES plugin_instances(id) ON DELETE CASCADE,
    library_id   INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
    PRIMARY KEY (instance_id, library_id)
) WITHOUT ROWID;
CREATE INDEX plugin_instance_libraries_library ON plugin_instance_libraries(library_id);
