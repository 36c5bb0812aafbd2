-- +goose Up
-- Staff search contacts and supporters by any part of a name, address or
-- outlet (LIKE '%…%'). Trigram indexes answer those in milliseconds at 100,000+
-- rows instead of scanning the table; pg_trgm ships with PostgreSQL and is
-- available on the common hosted services.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX media_contacts_email_trgm ON media_contacts USING gin (LOWER(email) gin_trgm_ops);
CREATE INDEX media_contacts_name_trgm ON media_contacts USING gin (LOWER(name) gin_trgm_ops);
CREATE INDEX media_contacts_outlet_trgm ON media_contacts USING gin (LOWER(outlet) gin_trgm_ops);
CREATE INDEX supporters_email_trgm ON supporters USING gin (email gin_trgm_ops);
CREATE INDEX supporters_name_trgm ON supporters USING gin (LOWER(name) gin_trgm_ops);

-- +goose Down
DROP INDEX supporters_name_trgm;
DROP INDEX supporters_email_trgm;
DROP INDEX media_contacts_outlet_trgm;
DROP INDEX media_contacts_name_trgm;
DROP INDEX media_contacts_email_trgm;
