-- +goose Up
-- A recipient's submitted state is now derived from its batch (the checkpoint
-- updates one send_batches row, not a thousand send_recipients rows), so the
-- room 00011 left in every page for those updates to stay HOT is no longer
-- used: back to full pages, about half as many to write at
-- materialisation and to read per batch. The rare per-recipient updates left
-- (a suppression found at submission, a failure, the webhook's timestamps)
-- do not need it. Only new pages are filled fully; existing ones stay as they
-- are until rewritten.
ALTER TABLE send_recipients SET (fillfactor = 100);

-- +goose Down
-- Recipients of batches submitted meanwhile are still "pending" on their own
-- row; set them submitted so the per-row reading of earlier versions holds.
UPDATE send_recipients r SET status = 'submitted', message_id = b.message_id, submitted_at = b.submitted_at
FROM send_batches b WHERE b.send_id = r.send_id AND b.batch_no = r.batch_no AND b.status = 'submitted' AND r.status = 'pending';
ALTER TABLE send_recipients SET (fillfactor = 45);
