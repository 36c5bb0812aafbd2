-- +goose Up
-- A recipient's submitted state is now derived from its batch (PostgreSQL also
-- puts send_recipients back to fillfactor 100). SQLite has no fillfactor; its
-- rows need no change going up.
SELECT 1;

-- +goose Down
-- Recipients of batches submitted meanwhile are still "pending" on their own
-- row; set them submitted so the per-row reading of earlier versions holds.
UPDATE send_recipients SET status = 'submitted',
  message_id = (SELECT b.message_id FROM send_batches b WHERE b.send_id = send_recipients.send_id AND b.batch_no = send_recipients.batch_no),
  submitted_at = (SELECT b.submitted_at FROM send_batches b WHERE b.send_id = send_recipients.send_id AND b.batch_no = send_recipients.batch_no)
WHERE status = 'pending' AND EXISTS (SELECT 1 FROM send_batches b
  WHERE b.send_id = send_recipients.send_id AND b.batch_no = send_recipients.batch_no AND b.status = 'submitted');
