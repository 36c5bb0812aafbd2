-- +goose Up
-- The newsroom's version: one row whose counter moves in the very transaction
-- that changes anything a public surface shows, so the caching fingerprint is a
-- primary-key read instead of a scan of the archive. Triggers bump it, so no
-- code path (approval, embargo lift, withdrawal, correction, a tag edit, a
-- campaign rename, a delete) can forget to. A document that is not and was not
-- public (drafts, reviews, scheduled releases) does not move it: autosaves do
-- not empty the newsroom's cache. changed_ms is the database's clock at the
-- bump, in Unix milliseconds, for Last-Modified.
CREATE TABLE newsroom_versions (
    id         integer PRIMARY KEY CHECK (id = 1),
    version    bigint  NOT NULL,
    changed_ms bigint  NOT NULL
);
INSERT INTO newsroom_versions (id, version, changed_ms)
VALUES (1, 1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint);

-- +goose StatementBegin
CREATE FUNCTION bump_newsroom_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE newsroom_versions SET version = version + 1,
        changed_ms = (extract(epoch FROM clock_timestamp()) * 1000)::bigint
    WHERE id = 1;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER documents_newsroom_insert AFTER INSERT ON documents FOR EACH ROW
    WHEN (NEW.status IN ('published', 'withdrawn')) EXECUTE FUNCTION bump_newsroom_version();
CREATE TRIGGER documents_newsroom_update AFTER UPDATE ON documents FOR EACH ROW
    WHEN (OLD.status IN ('published', 'withdrawn') OR NEW.status IN ('published', 'withdrawn')) EXECUTE FUNCTION bump_newsroom_version();
CREATE TRIGGER documents_newsroom_delete AFTER DELETE ON documents FOR EACH ROW
    WHEN (OLD.status IN ('published', 'withdrawn')) EXECUTE FUNCTION bump_newsroom_version();
CREATE TRIGGER campaigns_newsroom_update AFTER UPDATE OF name ON campaigns FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION bump_newsroom_version();

-- Every public query is served by an index: listings page by key over the
-- public rows, latest first, whole or by language or campaign; a release is
-- found by the normalised form of its index number.
CREATE INDEX documents_public_idx ON documents (published_at DESC, id DESC) WHERE status IN ('published', 'withdrawn');
CREATE INDEX documents_public_language_idx ON documents (language, published_at DESC, id DESC) WHERE status IN ('published', 'withdrawn');
CREATE INDEX documents_public_campaign_idx ON documents (campaign_id, published_at DESC, id DESC) WHERE status IN ('published', 'withdrawn');
CREATE INDEX documents_index_key_idx ON documents ((UPPER(REPLACE(REPLACE(REPLACE(index_number, ' ', ''), '/', ''), '-', ''))));
-- The country, region and theme filters test the tag arrays (models.tagMatch).
CREATE INDEX documents_public_countries_idx ON documents USING GIN ((string_to_array(LOWER(countries), ','))) WHERE status IN ('published', 'withdrawn');
CREATE INDEX documents_public_regions_idx ON documents USING GIN ((string_to_array(LOWER(regions), ','))) WHERE status IN ('published', 'withdrawn');
CREATE INDEX documents_public_themes_idx ON documents USING GIN ((string_to_array(LOWER(themes), ','))) WHERE status IN ('published', 'withdrawn');

-- +goose Down
DROP INDEX documents_public_themes_idx;
DROP INDEX documents_public_regions_idx;
DROP INDEX documents_public_countries_idx;
DROP INDEX documents_index_key_idx;
DROP INDEX documents_public_campaign_idx;
DROP INDEX documents_public_language_idx;
DROP INDEX documents_public_idx;
DROP TRIGGER campaigns_newsroom_update ON campaigns;
DROP TRIGGER documents_newsroom_delete ON documents;
DROP TRIGGER documents_newsroom_update ON documents;
DROP TRIGGER documents_newsroom_insert ON documents;
DROP FUNCTION bump_newsroom_version();
DROP TABLE newsroom_versions;
