-- +goose Up
-- The worker (River client id) that last claimed a batch; see the PostgreSQL
-- migration. SQLite runs one worker process, which re-claims its own batches.
ALTER TABLE send_batches ADD COLUMN claimed_by text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE send_batches DROP COLUMN claimed_by;
