-- +goose Up
-- PostgreSQL indexes search configurations here; SQLite's FTS5 search has no
-- per-language configurations. Kept so both dialects share version numbers.
SELECT 1;

-- +goose Down
SELECT 1;
