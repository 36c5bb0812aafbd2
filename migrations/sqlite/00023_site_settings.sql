-- +goose Up
-- The organisation's own settings, one row per key: its name on the newsroom
-- and in mail, and the supporter list a plain signup joins. Keys are few and
-- each is read through models.SiteSettingsOf.
CREATE TABLE site_settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at datetime NOT NULL
);

-- +goose Down
DROP TABLE site_settings;
