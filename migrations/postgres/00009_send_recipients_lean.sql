-- +goose Up
-- A million-recipient send inserts a million rows in one statement, and every
-- index on send_recipients is maintained row by row. The unique (send_id, email)
-- index was a second proof of what materialisation already guarantees (one row
-- per lower-cased address, by construction of its query; see MaterialiseSend and
-- TestMaterialiseDeduplicatesAndSuppresses) and nothing looks recipients up by
-- address, so it goes: the batch index and the primary key are all a send needs.
ALTER TABLE send_recipients DROP CONSTRAINT send_recipients_send_id_email_key;

-- +goose Down
ALTER TABLE send_recipients ADD CONSTRAINT send_recipients_send_id_email_key UNIQUE (send_id, email);
