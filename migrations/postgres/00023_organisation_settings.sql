-- +goose Up
-- The organisation's name (the newsroom's masthead) and its default supporter
-- list are rows of settings (00022), keys organisation_name and
-- default_supporter_list_id. The masthead is on every public page, so changing
-- the name moves the newsroom version in its own transaction, as a document
-- change does (00020): no cached page or ETag keeps the old name.
CREATE TRIGGER settings_newsroom_insert AFTER INSERT ON settings FOR EACH ROW
    WHEN (NEW.key = 'organisation_name') EXECUTE FUNCTION bump_newsroom_version();
CREATE TRIGGER settings_newsroom_update AFTER UPDATE ON settings FOR EACH ROW
    WHEN (NEW.key = 'organisation_name' AND OLD.value IS DISTINCT FROM NEW.value) EXECUTE FUNCTION bump_newsroom_version();

-- +goose Down
DROP TRIGGER settings_newsroom_update ON settings;
DROP TRIGGER settings_newsroom_insert ON settings;
