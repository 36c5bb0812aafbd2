-- +goose Up
-- Full-text search of releases. One row per document and audience: 'staff' holds
-- the current revision (drafts included, for the admin search), 'public' the
-- approved revision (what readers may see once the embargo lifts). Whether a
-- public row may be shown is decided at query time from documents.status and
-- published_at, so an embargoed release indexed at approval stays invisible
-- until it is published, without any re-index.
CREATE TABLE search_entries (
    document_id  text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    which        text NOT NULL CHECK (which IN ('public', 'staff')),
    revision     integer NOT NULL,
    language     text NOT NULL,
    -- The text search configuration of the document's language. A regconfig
    -- column (not a CASE over language) keeps the generated column immutable.
    config       regconfig NOT NULL DEFAULT 'simple',
    headline     text NOT NULL DEFAULT '',
    standfirst   text NOT NULL DEFAULT '',
    body         text NOT NULL DEFAULT '',             -- plain text, Markdown stripped
    index_number text NOT NULL DEFAULT '',
    -- Lower-case letters-and-digits fragments of the index number ("pre01",
    -- "pre01001", "0012026", …) so that any run of its parts finds the release.
    index_terms  text NOT NULL DEFAULT '',
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector(config, coalesce(headline, '')), 'A') ||
        setweight(to_tsvector(config, coalesce(standfirst, '')), 'B') ||
        setweight(to_tsvector(config, coalesce(body, '')), 'C') ||
        setweight(to_tsvector('simple'::regconfig, coalesce(index_terms, '')), 'A')
    ) STORED,
    PRIMARY KEY (document_id, which)
);
-- Public and staff searches never mix, so each has its own (smaller) index.
CREATE INDEX search_entries_public_tsv_idx ON search_entries USING GIN (tsv) WHERE which = 'public';
CREATE INDEX search_entries_staff_tsv_idx ON search_entries USING GIN (tsv) WHERE which = 'staff';

-- Backfill what exists already. The Markdown is indexed as it is here; the next
-- save or approval of a document rebuilds its rows with plain text.
INSERT INTO search_entries (document_id, which, revision, language, config, headline, standfirst, body, index_number, index_terms)
SELECT d.id, w.which, r.number, d.language,
       CASE split_part(lower(d.language), '-', 1)
           WHEN 'ar' THEN 'arabic' WHEN 'da' THEN 'danish' WHEN 'de' THEN 'german' WHEN 'el' THEN 'greek'
           WHEN 'en' THEN 'english' WHEN 'es' THEN 'spanish' WHEN 'fi' THEN 'finnish' WHEN 'fr' THEN 'french'
           WHEN 'hu' THEN 'hungarian' WHEN 'id' THEN 'indonesian' WHEN 'it' THEN 'italian' WHEN 'nl' THEN 'dutch'
           WHEN 'no' THEN 'norwegian' WHEN 'nb' THEN 'norwegian' WHEN 'pt' THEN 'portuguese' WHEN 'ro' THEN 'romanian'
           WHEN 'ru' THEN 'russian' WHEN 'sv' THEN 'swedish' WHEN 'tr' THEN 'turkish'
           ELSE 'simple' END::regconfig,
       r.headline, r.standfirst, r.body, coalesce(d.index_number, ''),
       lower(regexp_replace(coalesce(d.index_number, ''), '[^A-Za-z0-9]+', ' ', 'g')) || ' ' ||
           lower(regexp_replace(coalesce(d.index_number, ''), '[^A-Za-z0-9]+', '', 'g'))
FROM documents d
CROSS JOIN (VALUES ('staff'), ('public')) AS w (which)
JOIN revisions r ON r.document_id = d.id
 AND r.number = CASE w.which WHEN 'staff' THEN d.current_revision ELSE d.approved_revision END;

-- +goose Down
DROP TABLE search_entries;
