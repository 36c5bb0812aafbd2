-- +goose Up
-- A supporter's data export and erasure find their letters by supporter or by
-- address (as signatures_supporter_idx and signatures_email_idx do for
-- signatures); without these both read every letter of every action.
CREATE INDEX letters_supporter_idx ON letters (supporter_id);
CREATE INDEX letters_writer_email_idx ON letters (email);

-- +goose Down
DROP INDEX letters_writer_email_idx;
DROP INDEX letters_supporter_idx;
