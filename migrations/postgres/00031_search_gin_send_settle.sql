-- +goose Up
-- Search's GIN indexes take every new entry straight into the index instead of
-- a "pending list". The pending list makes inserts cheaper, but every query
-- scans the whole list linearly and the planner prices that in: after a bulk
-- load of 100,000 releases a word found nowhere cost 3 ms instead of 0.1, and
-- a rare word's plan fell back to reading every row (2 s under load). Releases
-- are saved a few times a day; searches arrive by the thousand.
ALTER INDEX search_entries_public_tsv_idx SET (fastupdate = off);
ALTER INDEX search_entries_staff_tsv_idx SET (fastupdate = off);
ALTER INDEX search_entries_public_head_idx SET (fastupdate = off);
ALTER INDEX search_entries_staff_head_idx SET (fastupdate = off);
-- Whatever is pending now moves into the index.
SELECT gin_clean_pending_list('search_entries_public_tsv_idx'::regclass), gin_clean_pending_list('search_entries_staff_tsv_idx'::regclass),
       gin_clean_pending_list('search_entries_public_head_idx'::regclass), gin_clean_pending_list('search_entries_staff_head_idx'::regclass);

-- A batch found "submitting" after a crash is settled from the provider's own
-- record before anything is resent: its recipients with a "processed" (or
-- "dropped") event were accepted and are not sent again. settle_by is when the
-- wait for those events gives up and the rest are resent.
ALTER TABLE send_batches ADD COLUMN settle_by timestamptz;
CREATE INDEX webhook_events_accepted_idx ON webhook_events (send_id, recipient_id) WHERE event IN ('processed', 'dropped');

-- +goose Down
DROP INDEX webhook_events_accepted_idx;
ALTER TABLE send_batches DROP COLUMN settle_by;
ALTER INDEX search_entries_public_tsv_idx RESET (fastupdate);
ALTER INDEX search_entries_staff_tsv_idx RESET (fastupdate);
ALTER INDEX search_entries_public_head_idx RESET (fastupdate);
ALTER INDEX search_entries_staff_head_idx RESET (fastupdate);
