-- +goose Up
-- The media library: images and documents uploaded once, stored under
-- content-addressed keys (the SHA-256 of the bytes) through MEDIA_URL.
CREATE TABLE media (
    id             text PRIMARY KEY,
    kind           text NOT NULL,                 -- image | document
    title          text NOT NULL,
    caption        text NOT NULL DEFAULT '',
    credit         text NOT NULL DEFAULT '',
    alt_text       text NOT NULL DEFAULT '',
    licence        text NOT NULL DEFAULT '',
    filename       text NOT NULL DEFAULT '',
    content_type   text NOT NULL,
    bytes          bigint NOT NULL,
    width          integer NOT NULL DEFAULT 0,
    height         integer NOT NULL DEFAULT 0,
    content_hash   text NOT NULL,                 -- SHA-256 of the stored original
    uploaded_by_id text NOT NULL REFERENCES users (id),
    uploaded_at    datetime NOT NULL
);
CREATE INDEX media_content_hash ON media (content_hash);
CREATE INDEX media_uploaded_at ON media (uploaded_at);

-- Each stored file of an item: the original (metadata stripped) and, for
-- images, the derived sizes, made once at upload.
CREATE TABLE media_variants (
    media_id     text NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    name         text NOT NULL,                   -- original | thumb | social | large
    storage_key  text NOT NULL,
    content_type text NOT NULL,
    bytes        bigint NOT NULL,
    width        integer NOT NULL DEFAULT 0,
    height       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (media_id, name)
);

-- A revision's lead image and attachments are part of what is approved (and
-- hashed); revision_media indexes them so the visibility rule can ask, by
-- index, whether any publicly visible revision uses an item.
ALTER TABLE revisions ADD COLUMN lead_image_id text;
ALTER TABLE revisions ADD COLUMN attachment_ids text NOT NULL DEFAULT '[]';

CREATE TABLE revision_media (
    revision_id text NOT NULL REFERENCES revisions (id) ON DELETE CASCADE,
    media_id    text NOT NULL REFERENCES media (id),
    role        text NOT NULL,                    -- lead | attachment
    position    integer NOT NULL,
    PRIMARY KEY (revision_id, role, position)
);
CREATE INDEX revision_media_media ON revision_media (media_id);

-- +goose Down
DROP TABLE revision_media;
ALTER TABLE revisions DROP COLUMN attachment_ids;
ALTER TABLE revisions DROP COLUMN lead_image_id;
DROP TABLE media_variants;
DROP TABLE media;
