-- +goose Up
-- A public release's page shows the open petition linked to it (the call to
-- sign), so a change to a linked petition is a change to a public surface:
-- it bumps the newsroom's version in its own transaction, as documents and
-- campaigns do (00020). Petitions not linked to a release are on no cached
-- newsroom page and leave the version alone. Updates to petitions are rare
-- (opening, closing, edits; counts live in petition_counters).
CREATE TRIGGER petitions_newsroom_update AFTER UPDATE ON petitions FOR EACH ROW
    WHEN (OLD.release_id IS NOT NULL OR NEW.release_id IS NOT NULL) EXECUTE FUNCTION bump_newsroom_version();
CREATE TRIGGER petitions_newsroom_delete AFTER DELETE ON petitions FOR EACH ROW
    WHEN (OLD.release_id IS NOT NULL) EXECUTE FUNCTION bump_newsroom_version();

-- +goose Down
DROP TRIGGER petitions_newsroom_delete ON petitions;
DROP TRIGGER petitions_newsroom_update ON petitions;
