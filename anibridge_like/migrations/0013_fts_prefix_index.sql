-- Prefix indexes for the title search (issue 12, 7b): every query word of three letters or more is
-- searched as a prefix ("dra"*), which without a prefix index expands to every indexed term that
-- starts with it. The FTS5 table (external content: search_terms) is rebuilt with 3- and
-- 4-character prefix indexes; longer prefixes expand to few terms. The triggers on search_terms
-- and titles refer to title_search by name and keep working.
DROP TABLE title_search;
CREATE VIRTUAL TABLE title_search USING fts5(
    text,
    content = 'search_terms',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '3 4'
);
INSERT INTO title_search(title_search) VALUES ('rebuild');
