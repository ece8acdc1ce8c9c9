-- Catalog pipeline: the staging row carries the listing entry's signature, so promotion can tell
-- new, changed and unchanged titles apart in SQL (changed titles become due for details).
ALTER TABLE staging_titles ADD COLUMN listing_hash TEXT;
