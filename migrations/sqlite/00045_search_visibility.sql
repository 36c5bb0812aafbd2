-- +goose Up
-- PostgreSQL's migration of the same number keeps each public search row's
-- visibility on the row, so its search joins no other table before its
-- candidate limits. SQLite's search ranks FTS5 matches joined to documents
-- and judges visibility there, as before.
SELECT 1;

-- +goose Down
SELECT 1;
