-- +goose Up
-- A public release's page shows the open petition linked to it: a change to
-- a linked petition bumps the newsroom's version (see the PostgreSQL
-- migration of the same number).
-- +goose StatementBegin
CREATE TRIGGER petitions_newsroom_update AFTER UPDATE ON petitions
WHEN OLD.release_id IS NOT NULL OR NEW.release_id IS NOT NULL
BEGIN
    UPDATE newsroom_versions SET version = version + 1, changed_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER petitions_newsroom_delete AFTER DELETE ON petitions
WHEN OLD.release_id IS NOT NULL
BEGIN
    UPDATE newsroom_versions SET version = version + 1, changed_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER petitions_newsroom_delete;
DROP TRIGGER petitions_newsroom_update;
