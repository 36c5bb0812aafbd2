-- +goose Up
-- The review queue reads the releases approvers may act on, oldest submission
-- first (models.ReviewQueuePage). They are a small share of all documents
-- (1,000 of 10,000 in the admin benchmark), so a partial index with the queue's
-- own predicate and order finds them without reading every document and
-- without sorting; its predicate must stay the same text as reviewableWhere.
CREATE INDEX documents_review_idx ON documents (submitted_at, id)
    WHERE status = 'in_review' OR (status = 'published' AND correction_pending);

-- +goose Down
DROP INDEX documents_review_idx;
