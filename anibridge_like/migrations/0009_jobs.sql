-- Jobs: scheduled (or manual) units of work of a registered job type, and their run history.
-- A job belongs to a library (seed `jobs:` or the admin API) or to a plugin instance (catalog
-- refresh, one per provider instance, kept in step with the instance). Deleting either deletes
-- its jobs and their runs.
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    key             TEXT UNIQUE,                 -- scheduler id of derived jobs (catalog:<instance>)
    library_id      INTEGER REFERENCES libraries(id) ON DELETE CASCADE,
    instance_id     INTEGER REFERENCES plugin_instances(id) ON DELETE CASCADE,
    type            TEXT NOT NULL,               -- a type of anibridge_like.jobs.registry
    name            TEXT NOT NULL,
    cron            TEXT,                        -- 5-field crontab as the user wrote it
    interval_hours  REAL,                        -- or a fixed interval (catalog refresh)
    timezone        TEXT,                        -- IANA name; NULL = ANIBRIDGE_TIMEZONE
    enabled         INTEGER NOT NULL DEFAULT 1,
    config          TEXT NOT NULL DEFAULT '{}',  -- JSON validated by the type's config model
    managed_by      TEXT NOT NULL CHECK (managed_by IN ('seed', 'api', 'instance')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_run_at     TEXT,
    last_run_status TEXT,
    last_run_message TEXT
);
CREATE UNIQUE INDEX jobs_library_name ON jobs(library_id, name) WHERE library_id IS NOT NULL;
CREATE INDEX jobs_instance ON jobs(instance_id) WHERE instance_id IS NOT NULL;

CREATE TABLE job_runs (
    id           INTEGER PRIMARY KEY,
    job_id       INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    trigger      TEXT NOT NULL CHECK (trigger IN ('cron', 'manual', 'startup', 'retry')),
    status       TEXT NOT NULL CHECK (status IN
                   ('pending', 'running', 'success', 'partial', 'failed', 'skipped', 'aborted')),
    dry_run      INTEGER NOT NULL DEFAULT 0,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    message      TEXT,
    summary      TEXT                            -- JSON of the type's summary model
);
-- At most one active run per job: claiming a run is an INSERT that this index refuses while
-- another run of the job is pending or running (skip-if-running without check-then-insert).
CREATE UNIQUE INDEX job_runs_one_active ON job_runs(job_id) WHERE status IN ('pending', 'running');
CREATE INDEX job_runs_job ON job_runs(job_id, id);
