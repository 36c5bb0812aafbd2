-- +goose Up
-- The audit log is a hash chain: each event stores the hash of the one before
-- it and its own hash over its fields, and audit_chain_head remembers the last
-- event sealed, so removing the newest event is noticed too. Rows written before
-- this migration are sealed once by `pressroom migrate` (models.SealAuditLog).
ALTER TABLE audit_events ADD COLUMN prev_hash text NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash text NOT NULL DEFAULT '';

CREATE TABLE audit_chain_head (
    id        integer PRIMARY KEY CHECK (id = 1),
    last_id   bigint NOT NULL DEFAULT 0,
    last_hash text NOT NULL DEFAULT ''
);
INSERT INTO audit_chain_head (id) VALUES (1);

-- Audit rows are never updated or deleted. The one update allowed seals a row
-- written without a hash (before the chain existed): it sets prev_hash and hash
-- and changes nothing else, and only once.
-- +goose StatementBegin
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.hash = '' AND NEW.hash <> ''
       AND NEW.id = OLD.id AND NEW.at = OLD.at
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
       AND NEW.action = OLD.action AND NEW.subject_type = OLD.subject_type
       AND NEW.subject_id = OLD.subject_id AND NEW.revision = OLD.revision
       AND NEW.from_status = OLD.from_status AND NEW.to_status = OLD.to_status
       AND NEW.comment = OLD.comment AND NEW.ip = OLD.ip AND NEW.details = OLD.details THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

-- Content-Security-Policy violations browsers report to POST /csp-reports.
CREATE TABLE csp_reports (
    id                 bigserial PRIMARY KEY,
    at                 timestamptz NOT NULL,
    document_uri       text NOT NULL DEFAULT '',
    violated_directive text NOT NULL DEFAULT '',
    blocked_uri        text NOT NULL DEFAULT '',
    user_agent         text NOT NULL DEFAULT ''
);
CREATE INDEX csp_reports_at_idx ON csp_reports (at DESC);

-- +goose Down
DROP TABLE csp_reports;
DROP TRIGGER audit_events_no_truncate ON audit_events;
DROP TRIGGER audit_events_no_delete ON audit_events;
DROP TRIGGER audit_events_no_update ON audit_events;
DROP FUNCTION audit_events_refuse_change();
DROP TABLE audit_chain_head;
ALTER TABLE audit_events DROP COLUMN hash;
ALTER TABLE audit_events DROP COLUMN prev_hash;
