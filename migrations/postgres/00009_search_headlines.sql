-- +goose Up
-- Headline and standfirst alone, indexed apart: search takes its candidates
-- from headline matches first (short vectors, cheap to check, and the best
-- matches anyway) and reads whole bodies only for a bounded number of rows.
ALTER TABLE search_entries ADD COLUMN head_tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector(config, coalesce(headline, '')), 'A') ||
    setweight(to_tsvector(config, coalesce(standfirst, '')), 'B') ||
    setweight(to_tsvector('simple'::regconfig, coalesce(index_terms, '')), 'A')
) STORED;
CREATE INDEX search_entries_public_head_idx ON search_entries USING GIN (head_tsv) WHERE which = 'public';
CREATE INDEX search_entries_staff_head_idx ON search_entries USING GIN (head_tsv) WHERE which = 'staff';

-- +goose Down
DROP INDEX search_entries_staff_head_idx;
DROP INDEX search_entries_public_head_idx;
ALTER TABLE search_entries DROP COLUMN head_tsv;
