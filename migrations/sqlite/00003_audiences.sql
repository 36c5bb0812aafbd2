-- +goose Up
-- Audiences: media contacts and supporters, their lists and saved segments,
-- consent history, double opt-in tokens, the one suppression list and CSV imports.
-- Emails are stored lower-cased; email_hash is the hex SHA-256 of that lower-cased
-- address, so suppressions can be matched by hash after an erasure drops the address.

CREATE TABLE media_contacts (
    id             text PRIMARY KEY,
    email          text NOT NULL UNIQUE,
    email_hash     text NOT NULL,
    name           text NOT NULL DEFAULT '',
    outlet         text NOT NULL DEFAULT '',
    role           text NOT NULL DEFAULT '',
    beats          text NOT NULL DEFAULT '',      -- comma-separated, lower-cased
    countries      text NOT NULL DEFAULT '',      -- comma-separated ISO codes, upper-cased
    languages      text NOT NULL DEFAULT '',      -- comma-separated codes, lower-cased
    phone          text NOT NULL DEFAULT '',
    notes          text NOT NULL DEFAULT '',
    do_not_contact boolean NOT NULL DEFAULT 0,
    created_at     datetime NOT NULL,
    updated_at     datetime NOT NULL
);
CREATE INDEX media_contacts_email_hash_idx ON media_contacts (email_hash);
CREATE INDEX media_contacts_outlet_idx ON media_contacts (outlet);

CREATE TABLE media_lists (
    id          text PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    created_at  datetime NOT NULL
);

CREATE TABLE media_list_members (
    list_id    text NOT NULL REFERENCES media_lists (id) ON DELETE CASCADE,
    contact_id text NOT NULL REFERENCES media_contacts (id) ON DELETE CASCADE,
    added_at   datetime NOT NULL,
    PRIMARY KEY (list_id, contact_id)
);
CREATE INDEX media_list_members_contact_idx ON media_list_members (contact_id);

CREATE TABLE supporters (
    id              text PRIMARY KEY,
    email           text UNIQUE,                  -- NULL once erased
    email_hash      text NOT NULL,
    name            text NOT NULL DEFAULT '',
    country         text NOT NULL DEFAULT '',
    language        text NOT NULL DEFAULT '',
    tags            text NOT NULL DEFAULT '',     -- comma-separated, lower-cased
    source          text NOT NULL DEFAULT '',
    status          text NOT NULL CHECK (status IN ('pending', 'subscribed', 'unsubscribed', 'bounced', 'complained')),
    topics          text NOT NULL DEFAULT '',     -- comma-separated preference topics; empty: all
    frequency       text NOT NULL DEFAULT 'all',
    last_engaged_at datetime,
    erased_at       datetime,
    created_at      datetime NOT NULL,
    updated_at      datetime NOT NULL
);
CREATE INDEX supporters_email_hash_idx ON supporters (email_hash);
CREATE INDEX supporters_status_idx ON supporters (status);

CREATE TABLE supporter_lists (
    id          text PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    created_at  datetime NOT NULL
);

CREATE TABLE supporter_list_members (
    list_id      text NOT NULL REFERENCES supporter_lists (id) ON DELETE CASCADE,
    supporter_id text NOT NULL REFERENCES supporters (id) ON DELETE CASCADE,
    added_at     datetime NOT NULL,
    PRIMARY KEY (list_id, supporter_id)
);
CREATE INDEX supporter_list_members_supporter_idx ON supporter_list_members (supporter_id);

-- Append-only: every change of a supporter's consent, with how, when, from where
-- and under which wording. Only erasure scrubs the IP address.
CREATE TABLE consent_records (
    id              text PRIMARY KEY,
    supporter_id    text NOT NULL REFERENCES supporters (id) ON DELETE CASCADE,
    at              datetime NOT NULL,
    action          text NOT NULL,
    status          text NOT NULL,
    source          text NOT NULL DEFAULT '',
    ip              text NOT NULL DEFAULT '',
    wording_version text NOT NULL DEFAULT '',
    actor_id        text REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX consent_records_supporter_idx ON consent_records (supporter_id, at);

CREATE TABLE subscription_tokens (
    token_hash   text PRIMARY KEY,                -- SHA-256 of the emailed token
    supporter_id text NOT NULL REFERENCES supporters (id) ON DELETE CASCADE,
    list_id      text REFERENCES supporter_lists (id) ON DELETE SET NULL,
    source       text NOT NULL DEFAULT '',
    created_at   datetime NOT NULL,
    expires_at   datetime NOT NULL,
    used_at      datetime
);
CREATE INDEX subscription_tokens_supporter_idx ON subscription_tokens (supporter_id);

CREATE TABLE segments (
    id         text PRIMARY KEY,
    audience   text NOT NULL CHECK (audience IN ('media', 'supporters')),
    name       text NOT NULL,
    filter     text NOT NULL DEFAULT '{}',        -- JSON of MediaFilter or SupporterFilter
    created_by text REFERENCES users (id) ON DELETE SET NULL,
    created_at datetime NOT NULL,
    UNIQUE (audience, name)
);

-- One suppression list for every channel; it always wins over lists and segments.
CREATE TABLE suppressions (
    id         text PRIMARY KEY,
    email      text,                              -- NULL once the person is erased
    email_hash text NOT NULL UNIQUE,
    reason     text NOT NULL CHECK (reason IN ('bounce', 'complaint', 'unsubscribe', 'manual', 'erased')),
    note       text NOT NULL DEFAULT '',
    created_by text REFERENCES users (id) ON DELETE SET NULL,
    created_at datetime NOT NULL
);
CREATE INDEX suppressions_email_idx ON suppressions (email);

CREATE TABLE imports (
    id         text PRIMARY KEY,
    audience   text NOT NULL CHECK (audience IN ('media', 'supporters')),
    list_id    text NOT NULL,
    user_id    text REFERENCES users (id) ON DELETE SET NULL,
    status     text NOT NULL DEFAULT 'done',     -- queued, running, done, failed
    total_rows integer NOT NULL DEFAULT 0,
    processed  integer NOT NULL DEFAULT 0,        -- rows handled so far, for the progress bar
    mapping    text NOT NULL DEFAULT '{}',        -- JSON field -> column index
    data       blob,                             -- the uploaded file while a background import waits; cleared when done
    error      text NOT NULL DEFAULT '',
    imported   integer NOT NULL DEFAULT 0,
    updated    integer NOT NULL DEFAULT 0,
    rejected   integer NOT NULL DEFAULT 0,
    rejects    text NOT NULL DEFAULT '',          -- CSV: row,email,reason
    created_at datetime NOT NULL
);

-- +goose Down
DROP TABLE imports;
DROP TABLE suppressions;
DROP TABLE segments;
DROP TABLE subscription_tokens;
DROP TABLE consent_records;
DROP TABLE supporter_list_members;
DROP TABLE supporter_lists;
DROP TABLE supporters;
DROP TABLE media_list_members;
DROP TABLE media_lists;
DROP TABLE media_contacts;
