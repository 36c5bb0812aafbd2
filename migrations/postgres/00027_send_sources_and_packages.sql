-- +goose Up
-- Campaign analytics: a signature records the send whose email brought the
-- signer (the ?src= of the link), so each send's signatures can be counted.
-- The value is a send id, never anything personal; it is NULL for signatures
-- that came any other way. Letters to targets record it the same way.
ALTER TABLE signatures ADD COLUMN send_id text;
CREATE INDEX signatures_send_idx ON signatures (send_id, state) WHERE send_id IS NOT NULL;
-- Signatures over time: confirmed signatures of a petition by confirmation time.
CREATE INDEX signatures_confirmed_at_idx ON signatures (petition_id, confirmed_at) WHERE state = 'confirmed';
-- Letters to targets record it the same way (models.SendSource), and are
-- charted the same way.
ALTER TABLE letters ADD COLUMN send_id text;
CREATE INDEX letters_send_idx ON letters (send_id, state) WHERE send_id IS NOT NULL;
CREATE INDEX letters_confirmed_at_idx ON letters (document_id, confirmed_at) WHERE state = 'confirmed';

-- Rapid-response package: an action alert made from a press release follows
-- that release's embargo. It is published no earlier than the release, in the
-- same sweep that lifts the release's embargo, wherever that embargo moves.
ALTER TABLE documents ADD COLUMN follows_release_id text REFERENCES documents (id);
CREATE INDEX documents_follows_release_idx ON documents (follows_release_id) WHERE follows_release_id IS NOT NULL;

-- +goose Down
DROP INDEX documents_follows_release_idx;
ALTER TABLE documents DROP COLUMN follows_release_id;
DROP INDEX letters_confirmed_at_idx;
DROP INDEX letters_send_idx;
ALTER TABLE letters DROP COLUMN send_id;
DROP INDEX signatures_confirmed_at_idx;
DROP INDEX signatures_send_idx;
ALTER TABLE signatures DROP COLUMN send_id;
