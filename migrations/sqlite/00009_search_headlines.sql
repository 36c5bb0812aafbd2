-- +goose Up
-- PostgreSQL indexes headlines apart here (see the postgres migration); SQLite's
-- FTS5 table weights its columns instead. Kept so both dialects share versions.
SELECT 1;

-- +goose Down
SELECT 1;
