-- +goose Up
-- Staff given a password by an admin or the command line choose their own at
-- first sign-in; until they do, every admin page sends them to do so.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN must_change_password;
