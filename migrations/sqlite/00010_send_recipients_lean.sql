-- +goose Up
-- PostgreSQL drops the unique (send_id, email) index of send_recipients to make
-- materialising large sends cheaper; on SQLite dropping a table constraint means
-- rebuilding the table, for sends that are small there. Kept so both dialects
-- share version numbers.
SELECT 1;

-- +goose Down
SELECT 1;
