-- +goose Up
-- A letter whose request to the provider may be out is marked before the
-- request goes (submitting_at). A crash or a lost answer leaves the mark; the
-- next attempt then settles the letter from the provider's own record (a
-- "processed" or "dropped" event carrying its letter_delivery_id) before it
-- sends anything, so an official does not get the same letter twice. settle_by
-- is when the wait for that event gives up and the letter is sent again.
ALTER TABLE letter_deliveries ADD COLUMN submitting_at datetime;
ALTER TABLE letter_deliveries ADD COLUMN settle_by datetime;
CREATE INDEX webhook_events_letter_accepted_idx ON webhook_events (letter_delivery_id) WHERE event IN ('processed', 'dropped') AND letter_delivery_id <> '';

-- +goose Down
DROP INDEX webhook_events_letter_accepted_idx;
ALTER TABLE letter_deliveries DROP COLUMN settle_by;
ALTER TABLE letter_deliveries DROP COLUMN submitting_at;
