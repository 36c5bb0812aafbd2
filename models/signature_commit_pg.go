package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// JobRow is the columns of a River job as River's own insert writes them for
// a job without unique options (available now, no tags, empty metadata), but
// its arguments: a statement that stores rows and the job working on them
// together writes the arguments from the rows.
type JobRow struct {
	Kind        string
	MaxAttempts int
	Priority    int
	Queue       string
}

// insertNotifyEvery is how often a committer tells the workers that jobs are
// waiting, as River's insert does (at most once per fetch cooldown a queue):
// a NOTIFY serialises the commits that send one, and the workers poll anyway.
const insertNotifyEvery = 50 * time.Millisecond

// storeOneStatement stores a batch on PostgreSQL with as few round trips as
// the batch allows. The new signatures of signers who did not opt in — nearly
// all of a spike — go in ONE autocommitted statement with their link tokens
// and their confirmation jobs (a single statement is a transaction of its
// own: all of a row's parts or none), so the common batch costs one round
// trip and one commit. What needs more than an insert (opt-in signers'
// supporters, mailboxes that had signed already) follows in a transaction
// of its own with River's insert, as before. It returns the requests not
// settled when it fails: the statement's signatures are stored and answered
// even if the transaction after it fails, and must not be tried again (they
// would look like repeats).
func (c *SignatureCommitter) storeOneStatement(ctx context.Context, batch []*signCall) ([]*signCall, error) {
	now := c.now()
	rules, err := c.emailRules(ctx, c.db)
	if err != nil {
		return batch, err
	}
	counts, err := batchIPCounts(ctx, c.db, batch, now)
	if err != nil {
		return batch, err
	}
	plan := planBatch(rules, batch, counts, now)
	var plain, optIn []*Signature
	for _, sig := range plan.fresh {
		if plan.freshCall[sig.ID].in.OptIn {
			optIn = append(optIn, sig)
		} else {
			plain = append(plain, sig)
		}
	}
	inserted, err := c.insertWithJobs(ctx, plain, plan.freshCall, now)
	if err != nil {
		return batch, err
	}
	if len(optIn) == 0 && len(plan.repeats) == 0 && len(inserted) == len(plain) {
		return nil, nil
	}
	settled := make(map[*signCall]bool, len(inserted))
	for id := range inserted {
		settled[plan.freshCall[id]] = true
	}
	err = Transaction(ctx, c.db, func(tx *gorm.DB) error {
		more, err := insertSignaturesPostgres(ctx, tx, optIn, plan.freshCall, now)
		if err != nil {
			return err
		}
		for id := range inserted {
			more[id] = true
		}
		if err := plan.storeRest(ctx, tx, plan.fresh, more, now); err != nil {
			return err
		}
		var done []SignedRequest
		for _, call := range batch {
			if call.err == nil && !settled[call] {
				done = append(done, SignedRequest{Petition: call.p, Result: call.res})
			}
		}
		if len(done) == 0 {
			return nil
		}
		return c.after(ctx, tx, done)
	})
	if err != nil {
		var unsettled []*signCall
		for _, call := range batch {
			if call.err == nil && !settled[call] {
				unsettled = append(unsettled, call)
			}
		}
		return unsettled, err
	}
	return nil, nil
}

// insertWithJobs stores new signatures with the tokens of their links and the
// one job that emails them all (c.MailJob) in one statement outside any
// transaction, skipping a mailbox that has signed the petition already (the
// unique index decides; its token and email are skipped with it), and
// returns the IDs it stored. Rows go in index order, as in insertSignatures.
// One job per batch rather than per signature: a job row and its five index
// entries (two of them GIN) cost more than the signature itself.
func (c *SignatureCommitter) insertWithJobs(ctx context.Context, sigs []*Signature, calls map[string]*signCall, now time.Time) (map[string]bool, error) {
	inserted := make(map[string]bool, len(sigs))
	if len(sigs) == 0 {
		return inserted, nil
	}
	sorted := inIndexOrder(sigs)
	n := len(sorted)
	var (
		ids, petitions, names, emails, norms, domains   = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		countries, postcodes, wordings, states, reasons = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		ips, sources, hashes, sendIDs                   = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		optIns                                          = make([]bool, n)
		sent                                            = make([]int64, n)
		mailSigs, mailKinds, mailTokens                 []string
	)
	for i, s := range sorted {
		call := calls[s.ID]
		ids[i], petitions[i], names[i], emails[i], norms[i], domains[i] = s.ID, s.PetitionID, s.Name, *s.Email, s.NormalisedEmail, s.EmailDomain
		countries[i], postcodes[i], wordings[i], states[i], reasons[i] = s.Country, s.Postcode, s.ConsentWording, string(s.State), s.FlagReason
		ips[i], sources[i], hashes[i], optIns[i], sent[i] = s.IP, s.Source, HashSecret(call.res.Token), s.OptIn, int64(s.EmailsSent)
		if s.SendID != nil {
			sendIDs[i] = *s.SendID
		}
		if call.res.Email != SignEmailNone {
			mailSigs, mailKinds, mailTokens = append(mailSigs, s.ID), append(mailKinds, string(call.res.Email)), append(mailTokens, call.res.Token)
		}
	}
	c.mu.Lock()
	notify := time.Since(c.notifiedAt) >= insertNotifyEvery
	if notify {
		c.notifiedAt = time.Now()
	}
	c.mu.Unlock()
	// River writes its own clock's time (not the domain's) as created_at and
	// scheduled_at; so does this.
	jobTime := time.Now().UTC()
	job := c.MailJob
	// The job lists the emails of the signatures stored, in the batch's
	// order, as {"packed": "id\tkind\ttoken\n…"}: the JSON of
	// jobs.SignatureMailsArgs (TestSigningJobRowIsRiversOwn holds the two
	// together). HAVING leaves the job out when nothing was stored. The last
	// SELECT reads n so that the notification is sent (a CTE that changes
	// nothing runs only if read); pg_notify's channel and payload are River's
	// insert notification's.
	rows, err := c.pool.Query(ctx, `WITH s AS (
	INSERT INTO signatures (id, petition_id, name, email, normalised_email, email_domain, country, postcode, opt_in, consent_wording, state, flag_reason, ip, ip_erased, source, send_id, emails_sent, created_at, token_hash)
	SELECT v.id, v.petition_id, v.name, v.email, v.normalised_email, v.email_domain, v.country, v.postcode, v.opt_in, v.consent_wording, v.state, v.flag_reason, v.ip, false, v.source, NULLIF(v.send_id, ''), v.emails_sent, $17, v.token_hash
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::boolean[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $18::text[], $15::bigint[], $16::text[])
		WITH ORDINALITY AS v(id, petition_id, name, email, normalised_email, email_domain, country, postcode, opt_in, consent_wording, state, flag_reason, ip, source, send_id, emails_sent, token_hash, ord)
	ORDER BY v.ord
	ON CONFLICT (petition_id, normalised_email) DO NOTHING
	RETURNING id
), j AS (
	INSERT INTO river_job (args, created_at, kind, max_attempts, metadata, priority, queue, scheduled_at, state, tags)
	SELECT jsonb_build_object('packed', string_agg(m.signature_id || E'\t' || m.email || E'\t' || m.token, E'\n' ORDER BY m.ord)),
		$19, $20, $21, '{}'::jsonb, $22, $23, $19, 'available', '{}'::varchar(255)[]
	FROM unnest($24::text[], $25::text[], $26::text[]) WITH ORDINALITY AS m(signature_id, email, token, ord)
	JOIN s ON s.id = m.signature_id
	HAVING count(*) > 0
	RETURNING queue
), n AS (
	SELECT count(pg_notify(current_schema() || '.river_insert', json_build_object('queue', j.queue)::text)) AS sent
	FROM j WHERE $27::boolean
)
SELECT s.id FROM s, n`, ids, petitions, names, emails, norms, domains, countries, postcodes, optIns, wordings, states, reasons, ips, sources, sent, hashes, now, sendIDs,
		jobTime, job.Kind, int16(job.MaxAttempts), int16(job.Priority), job.Queue, mailSigs, mailKinds, mailTokens, notify)
	if err != nil {
		return nil, fmt.Errorf("models: sign: %w", err)
	}
	defer rows.Close()
	if err := readInserted(rows, inserted); err != nil {
		return nil, err
	}
	return inserted, nil
}

// usesOneStatement reports whether the committer stores batches with
// storeOneStatement: on PostgreSQL, when it knows the jobs to write. SQLite
// has no data-modifying CTE, so River's insert runs there in the batch's
// transaction.
func (c *SignatureCommitter) usesOneStatement() bool {
	return c.dialect == Postgres && c.pool != nil && c.MailJob != nil
}
