-- +goose Up
-- A send goes out only while its document is approved, scheduled or published
-- and its pinned revision is still the approved one. A send whose document left
-- that state is held (status 'paused') with the reason, which the send page and
-- the API show, until staff re-point it to the new approved revision or cancel it.
ALTER TABLE sends ADD COLUMN held_reason text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sends DROP COLUMN held_reason;
