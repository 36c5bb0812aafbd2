-- +goose Up
-- Second factors. One row per factor; kind is 'totp' today and leaves room for
-- WebAuthn passkeys (credential id and public key would be further columns).
-- A TOTP secret is stored encrypted (AES-GCM, key derived from SESSION_SECRET)
-- and never shown again after enrolment; last_step is the RFC 6238 time step
-- of the last accepted code, so the same code is refused if replayed.
CREATE TABLE second_factors (
    id           text PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('totp')),
    secret_enc   text NOT NULL DEFAULT '',
    last_step    integer NOT NULL DEFAULT 0,
    created_at   datetime NOT NULL,
    confirmed_at datetime,
    last_used_at datetime
);
CREATE UNIQUE INDEX second_factors_totp_idx ON second_factors (user_id) WHERE kind = 'totp';

-- Single-use recovery codes, stored as SHA-256 (each holds 80 random bits).
CREATE TABLE recovery_codes (
    id         text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  text NOT NULL UNIQUE,
    created_at datetime NOT NULL,
    used_at    datetime
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);

-- A password checked, a code still to come: not a session, and nothing but the
-- code step accepts it.
CREATE TABLE login_challenges (
    id         text PRIMARY KEY,                 -- SHA-256 of the cookie value
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    next_path  text NOT NULL DEFAULT '',
    created_at datetime NOT NULL,
    expires_at datetime NOT NULL,
    used_at    datetime
);
CREATE INDEX login_challenges_user_idx ON login_challenges (user_id);

-- Organisation-wide settings an admin changes on the Settings page.
CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at datetime NOT NULL,
    updated_by text REFERENCES users (id) ON DELETE SET NULL
);

-- Least-privilege API tokens: scopes (read or write, optionally limited to
-- areas), an optional expiry, and where they were last used from.
ALTER TABLE api_tokens ADD COLUMN scopes text NOT NULL DEFAULT 'write';
ALTER TABLE api_tokens ADD COLUMN expires_at datetime;
ALTER TABLE api_tokens ADD COLUMN last_used_ip text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN last_used_ip;
ALTER TABLE api_tokens DROP COLUMN expires_at;
ALTER TABLE api_tokens DROP COLUMN scopes;
DROP TABLE settings;
DROP TABLE login_challenges;
DROP TABLE recovery_codes;
DROP TABLE second_factors;
