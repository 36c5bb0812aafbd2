-- +goose Up
-- A new signature's confirmation link is kept on its own row: a second table
-- cost a row, two index entries and a foreign-key check (with a lock on the
-- signature) per signature, the most of any write a viral petition makes.
-- signature_tokens keeps the links sent again to a pending signer (and those
-- made before this column), so every link ever emailed still works.
ALTER TABLE signatures ADD COLUMN token_hash text;
CREATE UNIQUE INDEX signatures_token_idx ON signatures (token_hash) WHERE token_hash IS NOT NULL;

-- +goose Down
-- The links kept on the rows go back to the table, so none stops working.
INSERT INTO signature_tokens (token_hash, signature_id, created_at)
    SELECT token_hash, id, created_at FROM signatures WHERE token_hash IS NOT NULL;
DROP INDEX signatures_token_idx;
ALTER TABLE signatures DROP COLUMN token_hash;
