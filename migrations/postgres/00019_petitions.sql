-- +goose Up
-- Campaign pages and petitions: petitions, their signatures (the truth), the
-- counter rows the public count is served from (one writer: the count job),
-- the per-domain email normalisation rules and the confirmation tokens.

ALTER TABLE campaigns ADD COLUMN slug text;
UPDATE campaigns SET slug = id WHERE slug IS NULL;
CREATE UNIQUE INDEX campaigns_slug_idx ON campaigns (slug);

CREATE TABLE petitions (
    id                   text PRIMARY KEY,
    slug                 text NOT NULL UNIQUE,
    campaign_id          text REFERENCES campaigns (id),
    release_id           text REFERENCES documents (id),
    title                text NOT NULL,
    target               text NOT NULL,              -- who must act; one official or body per line
    demand               text NOT NULL,              -- one sentence, shown in bold everywhere
    body                 text NOT NULL DEFAULT '',   -- background, Markdown
    goal                 integer NOT NULL DEFAULT 0,
    language             text NOT NULL DEFAULT 'en',
    status               text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
    open_on_embargo_lift boolean NOT NULL DEFAULT false,
    opens_at             timestamptz,
    closes_at            timestamptz,
    opened_at            timestamptz,
    closed_at            timestamptz,
    text_updated_at      timestamptz,                -- demand or target changed while open
    created_by           text REFERENCES users (id) ON DELETE SET NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX petitions_campaign_idx ON petitions (campaign_id);
CREATE INDEX petitions_release_idx ON petitions (release_id);
CREATE INDEX petitions_closing_idx ON petitions (closes_at) WHERE status = 'open';

CREATE TABLE signatures (
    id               text PRIMARY KEY,
    petition_id      text NOT NULL REFERENCES petitions (id) ON DELETE CASCADE,
    name             text NOT NULL DEFAULT '',
    email            text,                           -- as given, lower-cased; NULL once erased
    normalised_email text NOT NULL,                  -- one mailbox, one signature
    email_domain     text NOT NULL DEFAULT '',
    country          text NOT NULL DEFAULT '',
    postcode         text NOT NULL DEFAULT '',
    opt_in           boolean NOT NULL DEFAULT false,
    consent_wording  text NOT NULL DEFAULT '',       -- exactly what the signer was shown
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'confirmed', 'flagged', 'invalidated')),
    flag_reason      text NOT NULL DEFAULT '',
    ip               text NOT NULL DEFAULT '',       -- erased to its /24 or /48 after SIGNATURE_IP_DAYS
    ip_erased        boolean NOT NULL DEFAULT false,
    source           text NOT NULL DEFAULT '',
    supporter_id     text REFERENCES supporters (id) ON DELETE SET NULL,
    emails_sent      integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    confirmed_at     timestamptz,
    counted_at       timestamptz,                    -- set by the count job when it added this signature
    invalidation_id  text,                           -- the bulk invalidation that invalidated it
    state_before     text NOT NULL DEFAULT ''        -- its state before, so the invalidation can be reversed
);
CREATE UNIQUE INDEX signatures_mailbox_idx ON signatures (petition_id, normalised_email);
CREATE INDEX signatures_ip_idx ON signatures (ip, created_at);
CREATE INDEX signatures_petition_ip_idx ON signatures (petition_id, ip, created_at);
CREATE INDEX signatures_uncounted_idx ON signatures (petition_id) WHERE state = 'confirmed' AND counted_at IS NULL;
CREATE INDEX signatures_pending_idx ON signatures (created_at) WHERE state = 'pending';
CREATE INDEX signatures_ip_keep_idx ON signatures (created_at) WHERE ip_erased = false;
CREATE INDEX signatures_supporter_idx ON signatures (supporter_id);
CREATE INDEX signatures_email_idx ON signatures (email);   -- a supporter's data export and erasure

CREATE INDEX signatures_invalidation_idx ON signatures (invalidation_id);

-- Bulk invalidations: criteria, progress, and whether they were reversed.
CREATE TABLE invalidations (
    id           text PRIMARY KEY,
    petition_id  text NOT NULL REFERENCES petitions (id) ON DELETE CASCADE,
    criteria     text NOT NULL,                     -- JSON of the criteria, as previewed
    status       text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'reversed')),
    matched      integer NOT NULL DEFAULT 0,
    invalidated  integer NOT NULL DEFAULT 0,
    created_by   text REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    reversed_at  timestamptz
);
CREATE INDEX invalidations_petition_idx ON invalidations (petition_id);

-- The emailed confirmation links; only hashes are stored. A pending signature
-- may have several (each email carries a fresh one).
CREATE TABLE signature_tokens (
    token_hash   text PRIMARY KEY,
    signature_id text NOT NULL REFERENCES signatures (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL
);
CREATE INDEX signature_tokens_signature_idx ON signature_tokens (signature_id);

-- The public count. Only the count job writes these rows.
CREATE TABLE petition_counters (
    petition_id text PRIMARY KEY REFERENCES petitions (id) ON DELETE CASCADE,
    confirmed   bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL
);
CREATE TABLE petition_country_counts (
    petition_id text NOT NULL REFERENCES petitions (id) ON DELETE CASCADE,
    country     text NOT NULL,
    confirmed   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (petition_id, country)
);

-- How addresses of a domain are folded into one mailbox. Staff edit these rows.
CREATE TABLE email_normalisation_rules (
    domain           text PRIMARY KEY,
    canonical_domain text NOT NULL DEFAULT '',      -- '' keeps the domain
    strip_dots       boolean NOT NULL DEFAULT false,
    tag_separator    text NOT NULL DEFAULT '+'      -- '' when the domain has no sub-addresses
);
INSERT INTO email_normalisation_rules (domain, canonical_domain, strip_dots, tag_separator) VALUES
    ('gmail.com', 'gmail.com', true, '+'),
    ('googlemail.com', 'gmail.com', true, '+');

-- +goose Down
DROP TABLE invalidations;
DROP TABLE email_normalisation_rules;
DROP TABLE petition_country_counts;
DROP TABLE petition_counters;
DROP TABLE signature_tokens;
DROP TABLE signatures;
DROP TABLE petitions;
DROP INDEX campaigns_slug_idx;
ALTER TABLE campaigns DROP COLUMN slug;
