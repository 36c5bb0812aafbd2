-- +goose Up
CREATE TABLE campaigns (
    id          text PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    created_at  datetime NOT NULL
);

-- Index series: the organisation's document-index styles, e.g. PRE 01 → "PRE 01/348/2026".
CREATE TABLE index_series (
    id         text PRIMARY KEY,
    code       text NOT NULL UNIQUE,
    name       text NOT NULL,
    format     text NOT NULL,                   -- placeholders {code} {serial} {serial:03} {year} {yy}
    kind       text NOT NULL DEFAULT '',        -- the document kind it is the default for, or ''
    created_at datetime NOT NULL
);

-- Serials are issued by incrementing this row inside the approval's transaction:
-- the row lock serialises concurrent approvals and a rollback returns the number,
-- so serials are unique and gapless per series and year.
CREATE TABLE index_counters (
    series_id   text NOT NULL REFERENCES index_series (id),
    year        integer NOT NULL,
    last_serial integer NOT NULL,
    PRIMARY KEY (series_id, year)
);

CREATE TABLE workflows (
    id          text PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    is_default  boolean NOT NULL DEFAULT 0,
    created_at  datetime NOT NULL
);

CREATE TABLE workflow_steps (
    id               text PRIMARY KEY,
    workflow_id      text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    position         integer NOT NULL,
    group_id         text NOT NULL REFERENCES groups (id),
    approvals_needed integer NOT NULL DEFAULT 1 CHECK (approvals_needed > 0),
    sla_minutes      integer NOT NULL DEFAULT 0 CHECK (sla_minutes >= 0),
    UNIQUE (workflow_id, position)
);

CREATE TABLE documents (
    id                 text PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('press_release', 'action_alert')),
    language           text NOT NULL DEFAULT 'en',
    original_id        text REFERENCES documents (id),   -- a translation's original
    campaign_id        text REFERENCES campaigns (id),
    series_id          text NOT NULL REFERENCES index_series (id),
    workflow_id        text NOT NULL REFERENCES workflows (id),
    author_id          text NOT NULL REFERENCES users (id),
    status             text NOT NULL CHECK (status IN ('draft', 'in_review', 'changes_requested', 'approved', 'scheduled', 'published', 'withdrawn')),
    current_revision   integer NOT NULL,
    approved_revision  integer NOT NULL DEFAULT 0,      -- what is (or will be) public and what sends pin
    correction_pending boolean NOT NULL DEFAULT 0,  -- a published release with a correction under review
    correction_note    text NOT NULL DEFAULT '',
    rapid              boolean NOT NULL DEFAULT 0,
    submitted_at       datetime,
    escalated_at       datetime,
    index_number       text,                            -- shared by a translation and its original
    index_year         integer,
    index_serial       integer,
    slug               text UNIQUE,
    embargo_at         datetime,
    embargo_tz         text NOT NULL DEFAULT '',
    published_at       datetime,
    withdrawn_at       datetime,
    withdrawal_notice  text NOT NULL DEFAULT '',
    countries          text NOT NULL DEFAULT '',        -- comma-separated tags
    regions            text NOT NULL DEFAULT '',
    themes             text NOT NULL DEFAULT '',
    created_at         datetime NOT NULL,
    updated_at         datetime NOT NULL
);
CREATE UNIQUE INDEX documents_index_number_key ON documents (index_number, language);
CREATE INDEX documents_status_idx ON documents (status, updated_at DESC);
CREATE INDEX documents_published_idx ON documents (published_at DESC) WHERE published_at IS NOT NULL;
CREATE INDEX documents_embargo_idx ON documents (embargo_at) WHERE status = 'scheduled';
CREATE INDEX documents_original_idx ON documents (original_id);
CREATE INDEX documents_campaign_idx ON documents (campaign_id);

-- Every save is an immutable revision; its SHA-256 content hash is what an
-- approval signs.
CREATE TABLE revisions (
    id               text PRIMARY KEY,
    document_id      text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    number           integer NOT NULL,
    headline         text NOT NULL,
    standfirst       text NOT NULL DEFAULT '',
    dateline         text NOT NULL DEFAULT '',
    body             text NOT NULL DEFAULT '',
    notes_to_editors text NOT NULL DEFAULT '',
    press_contacts   text NOT NULL DEFAULT '[]',        -- JSON array
    embargo_at       datetime,                       -- part of what is approved
    content_hash     text NOT NULL,
    editor_id        text NOT NULL REFERENCES users (id),
    created_at       datetime NOT NULL,
    UNIQUE (document_id, number)
);

CREATE TABLE approvals (
    id            text PRIMARY KEY,
    document_id   text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    revision      integer NOT NULL,
    content_hash  text NOT NULL,
    step_id       text NOT NULL REFERENCES workflow_steps (id),
    group_id      text NOT NULL REFERENCES groups (id),
    user_id       text NOT NULL REFERENCES users (id),
    comment       text NOT NULL DEFAULT '',
    created_at    datetime NOT NULL,
    UNIQUE (document_id, content_hash, user_id)
);
CREATE INDEX approvals_document_idx ON approvals (document_id, content_hash);

CREATE TABLE comments (
    id          text PRIMARY KEY,
    document_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    revision    integer NOT NULL,
    user_id     text NOT NULL REFERENCES users (id),
    body        text NOT NULL,
    created_at  datetime NOT NULL
);
CREATE INDEX comments_document_idx ON comments (document_id, created_at);

-- One row per step escalation: the unique key makes the escalation email go out
-- exactly once per submission, however often the escalation job runs.
CREATE TABLE escalations (
    document_id  text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    step_id      text NOT NULL REFERENCES workflow_steps (id) ON DELETE CASCADE,
    submitted_at datetime NOT NULL,
    created_at   datetime NOT NULL,
    PRIMARY KEY (document_id, step_id, submitted_at)
);

-- +goose Down
DROP TABLE escalations;
DROP TABLE comments;
DROP TABLE approvals;
DROP TABLE revisions;
DROP TABLE documents;
DROP TABLE workflow_steps;
DROP TABLE workflows;
DROP TABLE index_counters;
DROP TABLE index_series;
DROP TABLE campaigns;
