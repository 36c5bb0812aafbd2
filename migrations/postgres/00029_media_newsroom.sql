-- +goose Up
-- Test sends: a preview link made for a test of a send says so on its page,
-- and is never one of a journalist's links.
ALTER TABLE preview_links ADD COLUMN is_test boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE preview_links DROP COLUMN is_test;
