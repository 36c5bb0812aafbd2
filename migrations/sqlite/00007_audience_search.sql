-- +goose Up
-- PostgreSQL adds trigram indexes for staff search here; SQLite databases are
-- small enough (development, tests) to scan. Kept so both dialects share
-- version numbers.
SELECT 1;

-- +goose Down
SELECT 1;
