-- +goose Up
-- Urgent Actions: the directory of officials (targets), the action fields of
-- an alert's revisions, Further Information updates, letters written by
-- supporters and their delivery record per target.

-- Officials reused across actions. A bounce from their address marks them
-- (email_bounced_at) until someone fixes the address; next_letter_at is the
-- pacing slot: the earliest time the next letter to them may go.
CREATE TABLE targets (
    id               text PRIMARY KEY,
    name             text NOT NULL,
    title            text NOT NULL DEFAULT '',
    organisation     text NOT NULL DEFAULT '',
    country          text NOT NULL DEFAULT '',
    email            text NOT NULL DEFAULT '',
    postal_address   text NOT NULL DEFAULT '',
    salutation       text NOT NULL DEFAULT '',
    language         text NOT NULL DEFAULT '',
    notes            text NOT NULL DEFAULT '',
    email_bounced_at timestamptz,
    bounce_reason    text NOT NULL DEFAULT '',
    next_letter_at   timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE UNIQUE INDEX targets_email_idx ON targets (email) WHERE email <> '';
CREATE INDEX targets_name_idx ON targets (LOWER(name));

-- The action of an alert's revision (targets, deadline, suggested letter,
-- outcome), as JSON: part of the approved content and its hash.
ALTER TABLE revisions ADD COLUMN action text NOT NULL DEFAULT '';

-- A Further Information update points at the original action and carries its
-- number (1, 2, …) after the original's index.
ALTER TABLE documents ADD COLUMN update_of text REFERENCES documents (id);
ALTER TABLE documents ADD COLUMN update_number integer;
CREATE UNIQUE INDEX documents_update_idx ON documents (update_of, update_number) WHERE update_of IS NOT NULL;

-- The targets of each action's current revision, for "actions using this
-- target" and the per-target counts. Rewritten on every save.
CREATE TABLE action_targets (
    document_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    target_id   text NOT NULL REFERENCES targets (id),
    position    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (document_id, target_id)
);
CREATE INDEX action_targets_target_idx ON action_targets (target_id);

-- People who confirmed an address by writing a letter: their later letters go
-- without another confirmation.
CREATE TABLE letter_writers (
    normalised_email text PRIMARY KEY,
    confirmed_at     timestamptz NOT NULL
);

-- One letter by one writer on one action, to one or more of its targets.
CREATE TABLE letters (
    id               text PRIMARY KEY,
    document_id      text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    name             text NOT NULL DEFAULT '',
    email            text,                          -- NULL once erased
    normalised_email text NOT NULL,
    email_domain     text NOT NULL DEFAULT '',
    country          text NOT NULL DEFAULT '',
    subject          text NOT NULL,
    body             text NOT NULL,
    unchanged        boolean NOT NULL DEFAULT false, -- the suggested letter as it was
    opt_in           boolean NOT NULL DEFAULT false,
    consent_wording  text NOT NULL DEFAULT '',
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'confirmed', 'flagged', 'invalidated')),
    flag_reason      text NOT NULL DEFAULT '',
    ip               text NOT NULL DEFAULT '',
    ip_erased        boolean NOT NULL DEFAULT false,
    source           text NOT NULL DEFAULT '',
    supporter_id     text REFERENCES supporters (id) ON DELETE SET NULL,
    emails_sent      integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    confirmed_at     timestamptz
);
CREATE INDEX letters_document_idx ON letters (document_id, state);
CREATE INDEX letters_ip_idx ON letters (ip, created_at);
CREATE INDEX letters_document_ip_idx ON letters (document_id, ip, created_at);
CREATE INDEX letters_email_idx ON letters (normalised_email);

CREATE TABLE letter_tokens (
    token_hash text PRIMARY KEY,
    letter_id  text NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL
);
CREATE INDEX letter_tokens_letter_idx ON letter_tokens (letter_id);

-- The delivery record of one letter to one target. The unique index is the
-- rule "one letter per writer per target per action".
CREATE TABLE letter_deliveries (
    id               text PRIMARY KEY,
    letter_id        text NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    document_id      text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    target_id        text NOT NULL REFERENCES targets (id),
    normalised_email text NOT NULL,
    country          text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'queued', 'waiting', 'sent', 'delivered', 'bounced', 'cancelled')),
    scheduled_at     timestamptz,
    sent_at          timestamptz,
    delivered_at     timestamptz,
    bounced_at       timestamptz,
    posted_at        timestamptz,                  -- the writer printed and posted it
    message_id       text NOT NULL DEFAULT '',
    error            text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL
);
CREATE UNIQUE INDEX letter_deliveries_once_idx ON letter_deliveries (document_id, target_id, normalised_email);
CREATE INDEX letter_deliveries_letter_idx ON letter_deliveries (letter_id);
CREATE INDEX letter_deliveries_target_idx ON letter_deliveries (target_id, status);

-- "I posted it": printed letters, counted apart from the emailed ones.
CREATE TABLE letter_posts (
    id          text PRIMARY KEY,
    document_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    target_id   text NOT NULL REFERENCES targets (id),
    country     text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL
);
CREATE INDEX letter_posts_document_idx ON letter_posts (document_id);

-- Webhook events of letters carry the delivery id in custom_args.
ALTER TABLE webhook_events ADD COLUMN letter_delivery_id text NOT NULL DEFAULT '';

-- A send can go to everyone who acted on or received an action (ref_id: the
-- original action).
ALTER TABLE send_audiences DROP CONSTRAINT IF EXISTS send_audiences_audience_check;
ALTER TABLE send_audiences ADD CONSTRAINT send_audiences_audience_check
    CHECK (audience IN ('media_list', 'supporter_list', 'media_segment', 'supporter_segment', 'action_participants'));

-- +goose Down
ALTER TABLE send_audiences DROP CONSTRAINT IF EXISTS send_audiences_audience_check;
ALTER TABLE send_audiences ADD CONSTRAINT send_audiences_audience_check
    CHECK (audience IN ('media_list', 'supporter_list', 'media_segment', 'supporter_segment'));
ALTER TABLE webhook_events DROP COLUMN letter_delivery_id;
DROP TABLE letter_posts;
DROP TABLE letter_deliveries;
DROP TABLE letter_tokens;
DROP TABLE letters;
DROP TABLE letter_writers;
DROP TABLE action_targets;
DROP INDEX documents_update_idx;
ALTER TABLE documents DROP COLUMN update_number;
ALTER TABLE documents DROP COLUMN update_of;
ALTER TABLE revisions DROP COLUMN action;
DROP TABLE targets;
