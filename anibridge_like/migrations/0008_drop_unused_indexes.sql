-- Indexes no query uses any more (Torznab orders its feed through titles.newest_seen since 0007,
-- and joins titles → episodes → episode_languages in that order). Each cost the writer on every
-- episode_languages / titles insert.
DROP INDEX IF EXISTS episode_languages_newest;
DROP INDEX IF EXISTS titles_torznab_scope;
