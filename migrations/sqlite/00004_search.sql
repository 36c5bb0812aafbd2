-- +goose Up
-- Full-text search of releases. One row per document and audience: 'staff' holds
-- the current revision (drafts included, for the admin search), 'public' the
-- approved revision (what readers may see once the embargo lifts). Whether a
-- public row may be shown is decided at query time from documents.status and
-- published_at, so an embargoed release indexed at approval stays invisible
-- until it is published, without any re-index.
CREATE TABLE search_entries (
    id           integer PRIMARY KEY,                  -- the FTS5 rowid
    document_id  text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    which        text NOT NULL CHECK (which IN ('public', 'staff')),
    revision     integer NOT NULL,
    language     text NOT NULL,
    headline     text NOT NULL DEFAULT '',
    standfirst   text NOT NULL DEFAULT '',
    body         text NOT NULL DEFAULT '',             -- plain text, Markdown stripped
    index_number text NOT NULL DEFAULT '',
    -- Lower-case letters-and-digits fragments of the index number ("pre01",
    -- "pre01001", "0012026", …) so that any run of its parts finds the release.
    index_terms  text NOT NULL DEFAULT '',
    UNIQUE (document_id, which)
);

-- The FTS5 index over search_entries (external content: the text is stored
-- once). Porter stemming on top of unicode61 gives English plurals and verb
-- forms; other languages match on their unstemmed, diacritic-folded words.
CREATE VIRTUAL TABLE search_fts USING fts5(
    headline, standfirst, body, index_terms,
    content = 'search_entries', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- The triggers keep the FTS index in step with search_entries, whoever writes.
-- +goose StatementBegin
CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN
    INSERT INTO search_fts (rowid, headline, standfirst, body, index_terms)
    VALUES (new.id, new.headline, new.standfirst, new.body, new.index_terms);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN
    INSERT INTO search_fts (search_fts, rowid, headline, standfirst, body, index_terms)
    VALUES ('delete', old.id, old.headline, old.standfirst, old.body, old.index_terms);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN
    INSERT INTO search_fts (search_fts, rowid, headline, standfirst, body, index_terms)
    VALUES ('delete', old.id, old.headline, old.standfirst, old.body, old.index_terms);
    INSERT INTO search_fts (rowid, headline, standfirst, body, index_terms)
    VALUES (new.id, new.headline, new.standfirst, new.body, new.index_terms);
END;
-- +goose StatementEnd

-- Backfill what exists already. The Markdown is indexed as it is here; the next
-- save or approval of a document rebuilds its rows with plain text.
INSERT INTO search_entries (document_id, which, revision, language, headline, standfirst, body, index_number, index_terms)
SELECT d.id, w.which, r.number, d.language, r.headline, r.standfirst, r.body, coalesce(d.index_number, ''),
       lower(replace(replace(replace(coalesce(d.index_number, ''), '/', ' '), '-', ' '), '.', ' ')) || ' ' ||
           lower(replace(replace(replace(replace(coalesce(d.index_number, ''), ' ', ''), '/', ''), '-', ''), '.', ''))
FROM documents d
CROSS JOIN (SELECT 'staff' AS which UNION ALL SELECT 'public') AS w
JOIN revisions r ON r.document_id = d.id
 AND r.number = CASE w.which WHEN 'staff' THEN d.current_revision ELSE d.approved_revision END;

-- +goose Down
DROP TRIGGER search_entries_au;
DROP TRIGGER search_entries_ad;
DROP TRIGGER search_entries_ai;
DROP TABLE search_fts;
DROP TABLE search_entries;
