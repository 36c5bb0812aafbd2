-- +goose Up
-- Merge the FTS5 index's segments into one b-tree: a query then reads one
-- structure instead of one per earlier batch of writes. (PostgreSQL's
-- migration of the same number stops search's GIN indexes deferring entries.)
INSERT INTO search_fts (search_fts) VALUES ('optimize');

-- +goose Down
SELECT 1;
