-- +goose Up
-- The organisation's name (the newsroom's masthead) and its default supporter
-- list are rows of settings (00022), keys organisation_name and
-- default_supporter_list_id. The masthead is on every public page, so changing
-- the name moves the newsroom version in its own transaction, as a document
-- change does (00020): no cached page or ETag keeps the old name.
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

-- +goose Down
DROP TRIGGER settings_newsroom_update;
DROP TRIGGER settings_newsroom_insert;
