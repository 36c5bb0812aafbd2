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

-- Newsroom identity: the accent colour, introduction, press office block,
-- logo and default social image are settings rows shown on public pages, so
-- changing any of them moves the newsroom version, as the name does (00023).
DROP TRIGGER settings_newsroom_insert;
DROP TRIGGER settings_newsroom_update;
-- +goose StatementBegin
CREATE TRIGGER settings_newsroom_insert AFTER INSERT ON settings
WHEN NEW.key IN ('organisation_name', 'accent_colour', 'newsroom_introduction', 'press_office_contact', 'logo_media_id', 'social_image_media_id')
BEGIN
    UPDATE newsroom_versions SET version = version + 1, changed_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER settings_newsroom_update AFTER UPDATE ON settings
WHEN NEW.key IN ('organisation_name', 'accent_colour', 'newsroom_introduction', 'press_office_contact', 'logo_media_id', 'social_image_media_id') AND OLD.value IS NOT NEW.value
BEGIN
    UPDATE newsroom_versions SET version = version + 1, changed_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER settings_newsroom_update;
DROP TRIGGER settings_newsroom_insert;
-- +goose StatementBegin
CREATE TRIGGER settings_newsroom_insert AFTER INSERT ON settings
WHEN NEW.key = 'organisation_name'
BEGIN
    UPDATE newsroom_versions SET version = version + 1, changed_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER settings_newsroom_update AFTER UPDATE ON settings
WHEN NEW.key = 'organisation_name' AND OLD.value IS NOT NEW.value
BEGIN
    UPDATE newsroom_versions SET version = version + 1, changed_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = 1;
END;
-- +goose StatementEnd
DROP TABLE contact_subscription_tokens;
ALTER TABLE media_contacts DROP COLUMN newsroom_status;
ALTER TABLE preview_links DROP COLUMN is_test;
