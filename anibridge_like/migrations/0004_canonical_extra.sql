-- Canonical enrichment, second part: manual mapping overrides and ids the sites link themselves.

-- A pinned mapping for a provider title, keyed by (site, slug) so it can be declared before the
-- title is indexed. `origin` = 'seed' (reconciled from the YAML seed on every start) or 'api'
-- (PUT /api/v1/titles/{site}/{slug}/mapping); an api row wins over the seed until it is deleted.
CREATE TABLE mapping_overrides (
    site             TEXT NOT NULL,
    slug             TEXT NOT NULL,
    origin           TEXT NOT NULL CHECK (origin IN ('seed', 'api')),
    tvdb_id          INTEGER,
    tmdb_id          INTEGER,
    imdb_id          TEXT,
    anilist_id       INTEGER,
    mal_id           INTEGER,
    canonical_title  TEXT,
    canonical_year   INTEGER,
    numbering        TEXT NOT NULL DEFAULT 'auto' CHECK (numbering IN ('auto', 'direct', 'absolute')),
    season_map       TEXT NOT NULL DEFAULT '{}',   -- JSON {"<site season>": <tvdb season>}
    note             TEXT,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (site, slug)
) WITHOUT ROWID;

-- External ids a provider page links (TitleDetail.external_ids); explicit ids win in matching.
CREATE TABLE title_external_ids (
    title_id   INTEGER NOT NULL REFERENCES titles(id) ON DELETE CASCADE,
    namespace  TEXT NOT NULL,     -- tvdb | tmdb | imdb | anilist | mal
    value      TEXT NOT NULL,
    PRIMARY KEY (title_id, namespace)
) WITHOUT ROWID;

CREATE INDEX metadata_cache_expiry ON metadata_cache(expires_at);
