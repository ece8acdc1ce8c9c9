-- Torznab: live titles by (site, kind). Lets a feed over a small slice of the catalog (a movies
-- library next to large series catalogs) start from its titles instead of walking the newest
-- releases of every site, and gives the planner its per-scope title counts from the index alone.
CREATE INDEX titles_torznab_scope ON titles(site, kind) WHERE gone = 0;
