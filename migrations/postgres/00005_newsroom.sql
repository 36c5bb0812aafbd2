-- +goose Up
-- Per-journalist embargo preview links: the token is shown once; only its hash
-- is kept.
CREATE TABLE preview_links (
    id          text PRIMARY KEY,
    document_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    contact_id  text,                      -- the media contact it was made for, when known
    email       text NOT NULL,
    token_hash  text NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    created_by  text REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX preview_links_document_idx ON preview_links (document_id);

CREATE TABLE preview_views (
    id         bigserial PRIMARY KEY,
    link_id    text NOT NULL REFERENCES preview_links (id) ON DELETE CASCADE,
    viewed_at  timestamptz NOT NULL,
    ip         text NOT NULL DEFAULT '',
    user_agent text NOT NULL DEFAULT ''
);
CREATE INDEX preview_views_link_idx ON preview_views (link_id, viewed_at);

-- +goose Down
DROP TABLE preview_views;
DROP TABLE preview_links;
