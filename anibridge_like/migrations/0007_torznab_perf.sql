-- Torznab: each title's newest release, kept by triggers, so a feed ordered by release time can
-- visit titles newest-first and stop early instead of walking every release of every site.
--
-- (titles.newest_seen, titles.newest_episode) is the title's first (episode, language) row in
-- feed order (first_seen DESC, episode_id ASC) over all its languages, NULL while it has none.
-- Readers use it as an upper bound: no release of the title sorts before it. The triggers below
-- keep it exact for inserts, deletes and updates of episode_languages and episodes, so the
-- pipeline's writers need no change. `titles_newest` walks one (site, kind) newest-first.

ALTER TABLE titles ADD COLUMN newest_seen TEXT;
ALTER TABLE titles ADD COLUMN newest_episode INTEGER;

UPDATE titles SET (newest_seen, newest_episode) = (
    SELECT el.first_seen, el.episode_id
    FROM episodes e JOIN episode_languages el ON el.episode_id = e.id
    WHERE e.title_id = titles.id
    ORDER BY el.first_seen DESC, el.episode_id
    LIMIT 1
);

CREATE INDEX titles_newest ON titles(site, kind, newest_seen DESC, newest_episode)
WHERE gone = 0;

-- A new release raises its title's bound when it sorts first.
CREATE TRIGGER episode_languages_newest_insert AFTER INSERT ON episode_languages BEGIN
    UPDATE titles SET newest_seen = new.first_seen, newest_episode = new.episode_id
    WHERE id = (SELECT title_id FROM episodes WHERE id = new.episode_id)
      AND (newest_seen IS NULL OR new.first_seen > newest_seen
           OR (new.first_seen = newest_seen AND new.episode_id < newest_episode));
END;

-- Removing the bound's episode recomputes the bound from what is left.
CREATE TRIGGER episode_languages_newest_delete AFTER DELETE ON episode_languages BEGIN
    UPDATE titles SET (newest_seen, newest_episode) = (
        SELECT el.first_seen, el.episode_id
        FROM episodes e JOIN episode_languages el ON el.episode_id = e.id
        WHERE e.title_id = titles.id
        ORDER BY el.first_seen DESC, el.episode_id
        LIMIT 1
    )
    WHERE id = (SELECT title_id FROM episodes WHERE id = old.episode_id)
      AND newest_episode = old.episode_id;
END;

CREATE TRIGGER episode_languages_newest_update
AFTER UPDATE OF first_seen, episode_id ON episode_languages BEGIN
    UPDATE titles SET (newest_seen, newest_episode) = (
        SELECT el.first_seen, el.episode_id
        FROM episodes e JOIN episode_languages el ON el.episode_id = e.id
        WHERE e.title_id = titles.id
        ORDER BY el.first_seen DESC, el.episode_id
        LIMIT 1
    )
    WHERE id IN (SELECT title_id FROM episodes WHERE id IN (old.episode_id, new.episode_id));
END;

-- Episodes deleted (their language rows go by cascade) or moved to another title.
CREATE TRIGGER episodes_newest_delete AFTER DELETE ON episodes BEGIN
    UPDATE titles SET (newest_seen, newest_episode) = (
        SELECT el.first_seen, el.episode_id
        FROM episodes e JOIN episode_languages el ON el.episode_id = e.id
        WHERE e.title_id = titles.id
        ORDER BY el.first_seen DESC, el.episode_id
        LIMIT 1
    )
    WHERE id = old.title_id AND newest_episode = old.id;
END;

CREATE TRIGGER episodes_newest_move AFTER UPDATE OF title_id ON episodes BEGIN
    UPDATE titles SET (newest_seen, newest_episode) = (
        SELECT el.first_seen, el.episode_id
        FROM episodes e JOIN episode_languages el ON el.episode_id = e.id
        WHERE e.title_id = titles.id
        ORDER BY el.first_seen DESC, el.episode_id
        LIMIT 1
    )
    WHERE id IN (old.title_id, new.title_id);
END;
