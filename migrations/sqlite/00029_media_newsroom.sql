-- +goose Up
-- Test sends: a preview link made for a test of a send says so on its page,
-- and is never one of a journalist's links.
ALTER TABLE preview_links ADD COLUMN is_test boolean NOT NULL DEFAULT 0;

-- Journalists who subscribe on the newsroom's "Get our releases" form:
-- pending until they confirm by POST (double opt-in, as supporters), then
-- subscribed; '' for contacts the press office added itself.
ALTER TABLE media_contacts ADD COLUMN newsroom_status text NOT NULL DEFAULT '';
CREATE TABLE contact_subscription_tokens (
    token_hash text PRIMARY KEY,
    contact_id text NOT NULL REFERENCES media_contacts (id) ON DELETE CASCADE,
    created_at datetime NOT NULL,
    expires_at datetime NOT NULL,
    used_at    datetime
);
CREATE INDEX contact_subscription_tokens_contact ON contact_subscription_tokens (contact_id);

-- +goose Down
DROP TABLE contact_subscription_tokens;
ALTER TABLE media_contacts DROP COLUMN newsroom_status;
ALTER TABLE preview_links DROP COLUMN is_test;
