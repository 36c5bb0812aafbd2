-- +goose Up
-- Lets search list the text search configurations in use with a loose index
-- scan instead of reading every row (see searchConfigsInUse).
CREATE INDEX search_entries_config_idx ON search_entries (which, config);

-- +goose Down
DROP INDEX search_entries_config_idx;
