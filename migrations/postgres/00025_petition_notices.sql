-- +goose Up
-- The notices sent to campaigners about a petition, one row per thing told:
-- a milestone ('10', '100', …, 'goal') or a trending source ('ip:…',
-- 'domain:…'). The primary key is the once-only guarantee: a notice is sent
-- by whoever inserts its row, in the transaction that enqueues the email.
CREATE TABLE petition_notices (
    petition_id text NOT NULL REFERENCES petitions (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('milestone', 'trending')),
    subject     text NOT NULL,
    value       bigint NOT NULL DEFAULT 0,      -- the count when it was sent
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (petition_id, kind, subject)
);

-- +goose Down
DROP TABLE petition_notices;
