-- +goose Up
CREATE TABLE users (
    id            text PRIMARY KEY,
    email         text NOT NULL UNIQUE,            -- stored lower-cased
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'press_officer', 'approver', 'campaigner', 'viewer')),
    password_hash text NOT NULL,
    time_zone     text NOT NULL DEFAULT '',
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE groups (
    id          text PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL
);

CREATE TABLE group_members (
    group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    backup   boolean NOT NULL DEFAULT false,       -- escalation target when a step's SLA lapses
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user_idx ON group_members (user_id);

CREATE TABLE sessions (
    id           text PRIMARY KEY,                 -- SHA-256 of the cookie value, never the value itself
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip           text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_tokens (
    id           text PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL DEFAULT '',
    token_hash   text NOT NULL UNIQUE,             -- SHA-256 of the bearer token
    prefix       text NOT NULL,                    -- first characters, to recognise a token in lists
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE audit_events (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL,
    actor_id     text REFERENCES users (id) ON DELETE SET NULL,
    action       text NOT NULL,
    subject_type text NOT NULL DEFAULT '',
    subject_id   text NOT NULL DEFAULT '',
    revision     integer NOT NULL DEFAULT 0,
    from_status  text NOT NULL DEFAULT '',
    to_status    text NOT NULL DEFAULT '',
    comment      text NOT NULL DEFAULT '',
    ip           text NOT NULL DEFAULT '',
    details      text NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at_idx ON audit_events (at DESC);
CREATE INDEX audit_events_subject_idx ON audit_events (subject_type, subject_id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id);

CREATE TABLE outbox_messages (
    id          bigserial PRIMARY KEY,
    created_at  timestamptz NOT NULL,
    message_id  text NOT NULL UNIQUE,
    from_addr   text NOT NULL,
    to_addr     text NOT NULL,
    reply_to    text NOT NULL DEFAULT '',
    subject     text NOT NULL,
    html        text NOT NULL DEFAULT '',
    text_body   text NOT NULL DEFAULT '',
    headers     text NOT NULL DEFAULT '{}',        -- JSON object
    categories  text NOT NULL DEFAULT '',
    custom_args text NOT NULL DEFAULT '{}'         -- JSON object
);
CREATE INDEX outbox_messages_to_idx ON outbox_messages (to_addr);

-- +goose Down
DROP TABLE outbox_messages;
DROP TABLE audit_events;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE group_members;
DROP TABLE groups;
DROP TABLE users;
