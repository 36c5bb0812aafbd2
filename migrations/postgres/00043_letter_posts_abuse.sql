-- +goose Up
-- "I posted it" follows the letters' abuse rules: a post past the burst or
-- sustained limit of its address is kept but flagged (counted apart), and its
-- IP is cut to the network prefix after the abuse window like a letter's.
ALTER TABLE letter_posts ADD COLUMN flag_reason text NOT NULL DEFAULT '';
ALTER TABLE letter_posts ADD COLUMN ip_erased boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE letter_posts DROP COLUMN ip_erased;
ALTER TABLE letter_posts DROP COLUMN flag_reason;
