-- +goose Up
-- A batch is "submitting" from the moment a worker claims it, while the worker
-- still renders it and waits for a free request slot; requested_at is set only
-- right before its request goes out. After a crash, a batch found submitting
-- without it had no request out and is sent again at once; one with it is
-- settled from the provider's events first. Without this mark every batch a
-- worker had claimed waited the whole settle wait after a crash (13 slots
-- against 8 requests in flight: the send stalled for SEND_SETTLE_WAIT).
ALTER TABLE send_batches ADD COLUMN requested_at timestamptz;

-- +goose Down
ALTER TABLE send_batches DROP COLUMN requested_at;
