package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"pressroom/models"
)

// SignatureMailsArgs is the emails one batch of signing requests causes, in
// one job: a viral petition's signing writes a job row per batch instead of
// per signature (the row and its indexes cost more than the signature), and
// the worker sends each petition's emails of a kind in one provider request.
// On PostgreSQL the statement that stores the batch writes this job's JSON
// itself (models.SignatureCommitter.MailJob), so its form is part of that
// statement.
//
// The JSON is {"packed": "id\tkind\ttoken\n…"}: one line per email, its three
// fields separated by tabs (none can hold a tab or a line break). Building
// that string costs PostgreSQL a fraction of the JSON objects of one email
// each, in the statement every signing batch waits on. The earlier form,
// {"mails": [{"signature_id", "email", "token"}]}, still decodes, for jobs
// queued before.
type SignatureMailsArgs struct {
	Mails []SignatureMailArgs
}

// signatureMailsJSON is SignatureMailsArgs' JSON, in either form.
type signatureMailsJSON struct {
	Packed *string             `json:"packed,omitempty"`
	Mails  []SignatureMailArgs `json:"mails,omitempty"`
}

// MarshalJSON writes the packed form.
func (a SignatureMailsArgs) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	for i, m := range a.Mails {
		for _, f := range []string{m.SignatureID, string(m.Email), m.Token} {
			if strings.ContainsAny(f, "\t\n") {
				return nil, fmt.Errorf("jobs: signature mails: field %q holds a tab or a line break", f)
			}
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(m.SignatureID)
		b.WriteByte('\t')
		b.WriteString(string(m.Email))
		b.WriteByte('\t')
		b.WriteString(m.Token)
	}
	packed := b.String()
	return json.Marshal(signatureMailsJSON{Packed: &packed})
}

// UnmarshalJSON reads the packed form, or the earlier list of objects.
func (a *SignatureMailsArgs) UnmarshalJSON(data []byte) error {
	var j signatureMailsJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	if j.Packed == nil {
		a.Mails = j.Mails
		return nil
	}
	a.Mails = nil
	if *j.Packed == "" {
		return nil
	}
	for line := range strings.SplitSeq(*j.Packed, "\n") {
		id, rest, ok1 := strings.Cut(line, "\t")
		kind, token, ok2 := strings.Cut(rest, "\t")
		if !ok1 || !ok2 || id == "" {
			return fmt.Errorf("jobs: signature mails: malformed line %q", line)
		}
		a.Mails = append(a.Mails, SignatureMailArgs{SignatureID: id, Email: models.SignEmail(kind), Token: token})
	}
	return nil
}

// Kind implements river.JobArgs.
func (SignatureMailsArgs) Kind() string { return "signature_mails" }

// InsertOpts: as SignatureMailArgs.
func (SignatureMailsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 8}
}

// SignatureMailsJob is the job row River's insert writes for a
// SignatureMailsArgs, but for its arguments, which the statement storing a
// batch of signatures writes.
func SignatureMailsJob() models.JobRow {
	var args SignatureMailsArgs
	opts := args.InsertOpts()
	return models.JobRow{Kind: args.Kind(), MaxAttempts: cmp.Or(opts.MaxAttempts, river.MaxAttemptsDefault),
		Priority: cmp.Or(opts.Priority, river.PriorityDefault), Queue: cmp.Or(opts.Queue, river.QueueDefault)}
}

// SignatureMailsWorker sends a batch's signature emails.
type SignatureMailsWorker struct {
	river.WorkerDefaults[SignatureMailsArgs]
	Deps
}

// signatureMailGroup is one provider request of a batch: one petition's
// emails of one kind, each address once.
type signatureMailGroup struct {
	batch Batch
	mails []SignatureMailArgs
}

// Work sends the batch's emails, a request per petition and kind. A
// signature gone since (expired, or its signer erased) gets none. A failure
// never makes anyone's email go twice from this job: when a request fails
// after others went, the emails not yet sent continue in a new job (River's
// retry would resend the whole batch), and a request the provider refuses
// outright is split into one job per signature, so that one address it
// refuses cannot hold back the others. Only if those jobs cannot be enqueued
// is the whole job retried.
func (w *SignatureMailsWorker) Work(ctx context.Context, job *river.Job[SignatureMailsArgs]) error {
	ids := make([]string, len(job.Args.Mails))
	for i, m := range job.Args.Mails {
		ids[i] = m.SignatureID
	}
	sigs, petitions, err := models.SignaturesAndPetitions(ctx, w.DB.Gorm, ids)
	if err != nil {
		return fmt.Errorf("jobs: signature mails: %w", err)
	}
	groups := signatureMailGroups(w.BaseURL, w.MailFrom, job.Args.Mails, sigs, petitions)
	var (
		alone    []river.InsertManyParams // each mail of a refused request, as a job of its own
		rest     []SignatureMailArgs      // the mails left after a failed request
		delay    time.Duration
		sentSome bool
	)
	for i, g := range groups {
		_, err := w.Mail.Send(ctx, g.batch)
		if err == nil {
			sentSome = true
			continue
		}
		var se *SendError
		if errors.As(err, &se) && !se.Retryable {
			if len(g.mails) == 1 {
				// As the one-signature job: nothing will make the provider
				// take it.
				w.Logger.Warn("signature email refused", "signature_id", g.mails[0].SignatureID, "error", err)
				continue
			}
			for _, m := range g.mails {
				alone = append(alone, river.InsertManyParams{Args: m})
			}
			continue
		}
		if !sentSome && len(alone) == 0 {
			return deliverError(err, "petition")
		}
		for _, later := range groups[i:] {
			rest = append(rest, later.mails...)
		}
		delay = time.Second
		if se != nil && se.RetryAfter > 0 {
			delay = se.RetryAfter + time.Second
		}
		break
	}
	if len(rest) > 0 {
		alone = append(alone, river.InsertManyParams{Args: SignatureMailsArgs{Mails: rest}, InsertOpts: &river.InsertOpts{ScheduledAt: time.Now().Add(delay)}})
	}
	if len(alone) == 0 {
		return nil
	}
	client, err := river.ClientFromContextSafely[*sql.Tx](ctx)
	if err != nil {
		return fmt.Errorf("jobs: signature mails: %w", err)
	}
	if _, err := client.InsertMany(ctx, alone); err != nil {
		return fmt.Errorf("jobs: signature mails: %w", err)
	}
	return nil
}

// signatureMailGroups makes a batch's requests: one per petition and kind in
// the order of the batch, a new one when an address would appear twice (a
// provider refuses that) or the request is full.
func signatureMailGroups(baseURL string, from Address, mails []SignatureMailArgs, sigs map[string]*models.Signature, petitions map[string]*models.Petition) []*signatureMailGroup {
	type key struct {
		petition string
		kind     models.SignEmail
	}
	var groups []*signatureMailGroup
	open := map[key]*signatureMailGroup{}
	seen := map[*signatureMailGroup]map[string]bool{}
	for _, m := range mails {
		sig := sigs[m.SignatureID]
		if sig == nil || sig.Address() == "" || m.Email == models.SignEmailNone {
			continue
		}
		p := petitions[sig.PetitionID]
		if p == nil {
			continue
		}
		k := key{p.ID, m.Email}
		addr := strings.ToLower(sig.Address())
		g := open[k]
		if g == nil || seen[g][addr] || len(g.mails) >= MaxBatchRecipients {
			g = &signatureMailGroup{batch: signatureMailContent(baseURL, from, p, m.Email)}
			groups = append(groups, g)
			open[k], seen[g] = g, map[string]bool{}
		}
		seen[g][addr] = true
		g.mails = append(g.mails, m)
		g.batch.Recipients = append(g.batch.Recipients, signatureRecipient(baseURL, p, sig, m.Token))
	}
	return groups
}

// QueuedSignatureMails counts the signature emails that jobs not yet worked
// carry: a check that every acknowledged signature has its email queued.
func QueuedSignatureMails(ctx context.Context, db *models.DB) (int, error) {
	col := "args"
	if db.Dialect == models.SQLite {
		col = "json(args)" // River keeps SQLite's arguments as binary JSONB
	}
	var raws []string
	if err := db.Gorm.WithContext(ctx).Table("river_job").Where("kind = ?", SignatureMailsArgs{}.Kind()).Pluck(col, &raws).Error; err != nil {
		return 0, fmt.Errorf("jobs: queued signature mails: %w", err)
	}
	n := 0
	for _, raw := range raws {
		var args SignatureMailsArgs
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			return 0, fmt.Errorf("jobs: queued signature mails: %w", err)
		}
		n += len(args.Mails)
	}
	return n, nil
}
