-- Downloads: one row per grab that reached the qBittorrent-compatible API (keyed by the magnet's
-- info-hash, as qBittorrent keys torrents), and the categories clients created. The episode a row
-- points at is copied from the magnet's ab_* parameters so a restart needs nothing else.
CREATE TABLE downloads (
    hash          TEXT PRIMARY KEY,          -- lower-case hex info-hash
    name          TEXT NOT NULL,             -- release title (file name stem)
    magnet        TEXT NOT NULL,
    site          TEXT,
    slug          TEXT,
    season        INTEGER,
    number        INTEGER,
    language      TEXT,
    category      TEXT NOT NULL DEFAULT '',
    tags          TEXT NOT NULL DEFAULT '',
    save_path     TEXT NOT NULL,             -- absolute directory the file lands in
    mode          TEXT NOT NULL DEFAULT 'media' CHECK (mode IN ('media', 'strm')),
    state         TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'downloading', 'paused', 'completed', 'failed')),
    size          INTEGER NOT NULL DEFAULT 0,
    downloaded    INTEGER NOT NULL DEFAULT 0,
    file_name     TEXT,                      -- final file name inside save_path
    host          TEXT,                      -- hoster the media came from
    error         TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    added_at      TEXT NOT NULL,
    completed_at  TEXT,
    updated_at    TEXT NOT NULL
);
CREATE INDEX downloads_category ON downloads(category);

CREATE TABLE download_categories (
    name       TEXT PRIMARY KEY,
    save_path  TEXT NOT NULL DEFAULT ''      -- '' = <download_dir>/<name>
);
