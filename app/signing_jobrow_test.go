package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"pressroom/jobs"
	"pressroom/models"
)

// TestSigningJobRowIsRiversOwn: on PostgreSQL a signing batch writes the job
// of its confirmation emails in the statement that stores the signatures, not
// through River. The row must be the one River's insert would have written
// for the same arguments (every column a worker reads, and arguments that
// decode as jobs.SignatureMailsArgs), or the worker could skip or mishandle it.
func TestSigningJobRowIsRiversOwn(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		if env.db.Dialect != models.Postgres {
			t.Skip("SQLite batches insert their jobs through River")
		}
		ctx := context.Background()
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Job rows","target":"T","demand":"D."}`)
		if r := signAPI(t, env, p.Slug, `{"name":"Sam","email":"sam@example.org","country":"GB"}`); r.Status != http.StatusAccepted {
			t.Fatalf("sign = %d %s", r.Status, r.Body)
		}
		sig := signatureRows(t, env, p.ID)[0]
		type jobRow struct {
			Kind, Queue, State, Metadata, Tags string
			MaxAttempts, Priority, Attempt     int
			UniqueKey, UniqueStates            *string
			SignatureID, Email                 string
			ScheduledNotAfterCreated           bool
		}
		// The first email of a job's packed list ("id\tkind\ttoken" lines).
		const firstSignature = `split_part(split_part(args->>'packed', E'\n', 1), E'\t', 1)`
		const cols = `kind, queue, state::text AS state, metadata::text AS metadata, tags::text AS tags, max_attempts, priority, attempt,
			encode(unique_key, 'hex') AS unique_key, unique_states::text AS unique_states,
			` + firstSignature + ` AS signature_id, split_part(split_part(args->>'packed', E'\n', 1), E'\t', 2) AS email, scheduled_at <= created_at AS scheduled_not_after_created`
		var ours []jobRow
		if err := env.db.Gorm.Raw("SELECT "+cols+" FROM river_job WHERE kind = 'signature_mails' AND "+firstSignature+" = ?", sig.ID).Scan(&ours).Error; err != nil {
			t.Fatal(err)
		}
		if len(ours) != 1 {
			t.Fatalf("%d confirmation jobs for the signature, want 1", len(ours))
		}
		var raw string
		env.db.Gorm.Raw("SELECT args::text FROM river_job WHERE kind = 'signature_mails' AND "+firstSignature+" = ?", sig.ID).Scan(&raw)
		var args jobs.SignatureMailsArgs
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			t.Fatalf("job arguments %s: %v", raw, err)
		}
		if len(args.Mails) != 1 || args.Mails[0].SignatureID != sig.ID || args.Mails[0].Email != models.SignEmailConfirm || args.Mails[0].Token == "" {
			t.Fatalf("job arguments %+v, want the signature's confirmation with its link token", args)
		}
		token := args.Mails[0].Token
		// The same arguments through River, in a transaction of their own.
		tx := env.db.Gorm.Begin()
		sqlTx, err := jobs.SQLTx(tx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.jobs.InsertTx(ctx, sqlTx, jobs.SignatureMailsArgs{Mails: []jobs.SignatureMailArgs{{SignatureID: "river-" + sig.ID, Email: models.SignEmailConfirm, Token: token}}}, nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit().Error; err != nil {
			t.Fatal(err)
		}
		var rivers []jobRow
		if err := env.db.Gorm.Raw("SELECT "+cols+" FROM river_job WHERE kind = 'signature_mails' AND "+firstSignature+" = ?", "river-"+sig.ID).Scan(&rivers).Error; err != nil || len(rivers) != 1 {
			t.Fatalf("River's row: %v %d", err, len(rivers))
		}
		want := rivers[0]
		want.SignatureID = sig.ID
		if ours[0] != want {
			t.Errorf("our job row\n%+v\nRiver's\n%+v", ours[0], want)
		}
	})
}
