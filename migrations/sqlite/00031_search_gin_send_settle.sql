-- +goose Up
-- Merge the FTS5 index's segments into one b-tree: a query then reads one
-- structure instead of one per earlier batch of writes. (PostgreSQL's
-- migration of the same number stops search's GIN indexes deferring entries.)
INSERT INTO search_fts (search_fts) VALUES ('optimize');

-- A batch found "submitting" after a crash is settled from the provider's own
-- record before anything is resent: its recipients with a "processed" (or
-- "dropped") event were accepted and are not sent again. settle_by is when the
-- wait for those events gives up and the rest are resent.
ALTER TABLE send_batches ADD COLUMN settle_by datetime;
CREATE INDEX webhook_events_accepted_idx ON webhook_events (send_id, recipient_id) WHERE event IN ('processed', 'dropped');

-- +goose Down
DROP INDEX webhook_events_accepted_idx;
ALTER TABLE send_batches DROP COLUMN settle_by;
