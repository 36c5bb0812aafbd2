-- +goose Up
-- PostgreSQL leaves room for HOT updates in send_recipients and checks its send
-- key once per statement instead of once per row, for million-recipient sends.
-- SQLite has neither fillfactor nor statement triggers with transition tables,
-- and its sends are small. Kept so both dialects share version numbers.
SELECT 1;

-- +goose Down
SELECT 1;
