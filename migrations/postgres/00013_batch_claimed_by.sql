-- +goose Up
-- The worker (River client id) that last claimed a batch. A batch left
-- "submitting" may be claimed again by another worker only once that worker's
-- liveness lock is free: a live worker may still be sending it
-- (models.ClaimBatch). Empty for batches claimed before this column existed.
ALTER TABLE send_batches ADD COLUMN claimed_by text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE send_batches DROP COLUMN claimed_by;
