-- +goose Up
-- Sends: one pinned document revision to one audience. Recipients are
-- materialised once, at dispatch, into send_recipients (deduplicated by address,
-- suppressed addresses kept with their reason), split into batches of at most 1000
-- (SendGrid's personalization limit); each batch is one job. A batch moves
-- pending -> submitting -> submitted (or failed); see README "Sending guarantees".

CREATE TABLE sends (
    id              text PRIMARY KEY,
    document_id     text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    kind            text NOT NULL,                   -- the document's kind when the send was made
    revision        integer NOT NULL,                -- the approved revision, pinned
    subject         text NOT NULL DEFAULT '',        -- override; empty: from the headline
    from_email      text NOT NULL DEFAULT '',
    from_name       text NOT NULL DEFAULT '',
    reply_to        text NOT NULL DEFAULT '',
    schedule        text NOT NULL DEFAULT 'now' CHECK (schedule IN ('now', 'at', 'embargo')),
    scheduled_at    datetime,
    status          text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'queued', 'sending', 'paused', 'sent', 'cancelled', 'failed')),
    error           text NOT NULL DEFAULT '',
    recipients      integer NOT NULL DEFAULT 0,      -- rows materialised (sendable + suppressed)
    suppressed      integer NOT NULL DEFAULT 0,      -- suppressed at materialisation
    batches         integer NOT NULL DEFAULT 0,
    delivered       integer NOT NULL DEFAULT 0,      -- event counters, bumped once per recipient
    opened          integer NOT NULL DEFAULT 0,
    clicked         integer NOT NULL DEFAULT 0,
    bounced         integer NOT NULL DEFAULT 0,
    spam            integer NOT NULL DEFAULT 0,
    unsubscribed    integer NOT NULL DEFAULT 0,
    dispatch_job_id bigint,
    created_by      text REFERENCES users (id) ON DELETE SET NULL,
    created_at      datetime NOT NULL,
    updated_at      datetime NOT NULL,
    dispatched_at   datetime,
    materialised_at datetime,
    completed_at    datetime
);
CREATE INDEX sends_document_idx ON sends (document_id);
CREATE INDEX sends_created_idx ON sends (created_at);

CREATE TABLE send_audiences (
    send_id  text NOT NULL REFERENCES sends (id) ON DELETE CASCADE,
    audience text NOT NULL CHECK (audience IN ('media_list', 'supporter_list', 'media_segment', 'supporter_segment')),
    ref_id   text NOT NULL,
    PRIMARY KEY (send_id, audience, ref_id)
);

CREATE TABLE send_recipients (
    id              integer PRIMARY KEY,
    send_id         text NOT NULL REFERENCES sends (id) ON DELETE CASCADE,
    batch_no        integer,                         -- NULL when suppressed
    kind            text NOT NULL CHECK (kind IN ('journalist', 'supporter')),
    contact_id      text,
    supporter_id    text,
    email           text NOT NULL,
    name            text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'submitted', 'failed', 'suppressed')),
    reason          text NOT NULL DEFAULT '',        -- why suppressed
    message_id      text NOT NULL DEFAULT '',
    error           text NOT NULL DEFAULT '',
    submitted_at    datetime,
    delivered_at    datetime,
    opened_at       datetime,
    clicked_at      datetime,
    bounced_at      datetime,
    spam_at         datetime,
    unsubscribed_at datetime,
    UNIQUE (send_id, email)
);
CREATE INDEX send_recipients_batch_idx ON send_recipients (send_id, batch_no);

CREATE TABLE send_batches (
    send_id      text NOT NULL REFERENCES sends (id) ON DELETE CASCADE,
    batch_no     integer NOT NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'submitting', 'submitted', 'failed', 'cancelled')),
    attempts     integer NOT NULL DEFAULT 0,
    recipients   integer NOT NULL DEFAULT 0,
    submitted    integer NOT NULL DEFAULT 0,
    suppressed   integer NOT NULL DEFAULT 0,         -- suppressed between materialisation and submission
    failed       integer NOT NULL DEFAULT 0,
    message_id   text NOT NULL DEFAULT '',
    error        text NOT NULL DEFAULT '',
    job_id       bigint,
    created_at   datetime NOT NULL,
    updated_at   datetime NOT NULL,
    submitted_at datetime,
    PRIMARY KEY (send_id, batch_no)
);
CREATE INDEX send_batches_status_idx ON send_batches (send_id, status);

-- Raw Event Webhook events as SendGrid posted them; sg_event_id makes a repeated
-- post harmless.
CREATE TABLE webhook_events (
    id           integer PRIMARY KEY,
    sg_event_id  text NOT NULL UNIQUE,
    event        text NOT NULL,
    email        text NOT NULL DEFAULT '',
    send_id      text NOT NULL DEFAULT '',
    recipient_id bigint,
    occurred_at  datetime,
    payload      text NOT NULL,
    received_at  datetime NOT NULL,
    processed    boolean NOT NULL DEFAULT 0
);
CREATE INDEX webhook_events_unprocessed_idx ON webhook_events (processed, id);

-- +goose Down
DROP TABLE webhook_events;
DROP TABLE send_batches;
DROP TABLE send_recipients;
DROP TABLE send_audiences;
DROP TABLE sends;
