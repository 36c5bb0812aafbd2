-- +goose Up
-- Every new signature wrote an entry into each of these indexes, though a new
-- signature has neither a supporter (only opt-ins get one, set after the
-- insert) nor an invalidation: both keys are NULL for nearly every row, and
-- no query looks a NULL up. Partial indexes keep only the rows that have one.
DROP INDEX signatures_supporter_idx;
CREATE INDEX signatures_supporter_idx ON signatures (supporter_id) WHERE supporter_id IS NOT NULL;
DROP INDEX signatures_invalidation_idx;
CREATE INDEX signatures_invalidation_idx ON signatures (invalidation_id) WHERE invalidation_id IS NOT NULL;
-- (petition, ip, created_at) duplicated (ip, created_at) for the queries that
-- name an IP (the abuse limits, an invalidation by IP): an IP's rows are few,
-- so (ip, created_at) serves them with the petition as a filter, and the
-- per-petition source counts never used it. One index entry less per signature.
DROP INDEX signatures_petition_ip_idx;

-- +goose Down
CREATE INDEX signatures_petition_ip_idx ON signatures (petition_id, ip, created_at);
DROP INDEX signatures_invalidation_idx;
CREATE INDEX signatures_invalidation_idx ON signatures (invalidation_id);
DROP INDEX signatures_supporter_idx;
CREATE INDEX signatures_supporter_idx ON signatures (supporter_id);
