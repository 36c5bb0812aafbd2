package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"gorm.io/gorm"
)

// SignedRequest is one signing request a committed batch answered: the
// petition and what RequestSignature would have decided for it.
type SignedRequest struct {
	Petition *Petition
	Result   *SignResult
}

// SignAfterFunc runs inside a batch's transaction once its signatures are
// stored, to enqueue the emails they cause in that same transaction (requests
// whose Result.Email is SignEmailNone cause none).
type SignAfterFunc func(ctx context.Context, tx *gorm.DB, done []SignedRequest) error

// SignatureCommitter stores public signatures by group commit: concurrent
// signing requests queue up, a few flusher goroutines each take what is
// waiting (up to MaxBatch) and store it in one transaction with the emails it
// causes, and every request is answered only after that commit. One commit
// per request cannot keep up with a viral petition (the commit, not the
// insert, is the cost); acknowledging before the commit would lose signatures
// on a crash. A request alone is a batch of one, so a quiet petition waits for
// nothing. The decisions are RequestSignature's, request by request in arrival
// order; if a batch fails as a whole its requests are retried one by one, so
// one bad request cannot fail its neighbours.
type SignatureCommitter struct {
	db      *gorm.DB
	dialect Dialect
	now     func() time.Time
	after   SignAfterFunc
	// RulesTTL is how long a batch may use the email address rules an earlier
	// batch read (zero: every batch reads them). A rule a campaigner changes
	// then applies to signatures from at most RulesTTL later, as if they had
	// come a moment earlier. Set it before the first Sign.
	RulesTTL time.Duration
	// MaxBatch bounds the signatures of one transaction.
	maxBatch int
	// workers bounds the concurrent flushers (one on SQLite: one connection).
	workers int
	// MailJob is the River job, as a row, that carries the emails of a
	// batch's new signatures (its Args unused: the statement writes them);
	// with it a PostgreSQL batch writes that one job in the statement that
	// stores its signatures (storeOneStatement) instead of through after.
	// Set it before the first Sign.
	MailJob *JobRow
	pool    *pgxpool.Pool // PostgreSQL only

	mu         sync.Mutex
	queue      []*signCall
	running    int
	rules      EmailRules
	rulesAt    time.Time // on the process's clock: the ttl is about staleness
	notifiedAt time.Time // the last insert notification (process clock)
}

// signCall is one queued request and, once done is closed, its answer.
type signCall struct {
	p      *Petition
	in     SignInput
	email  string
	limits SignLimits
	res    *SignResult
	err    error
	done   chan struct{}
}

// NewSignatureCommitter builds the committer of a database; after enqueues
// the emails of each batch in its transaction.
func NewSignatureCommitter(db *DB, now func() time.Time, after SignAfterFunc) *SignatureCommitter {
	// Two flushers on PostgreSQL: one statement can be writing while the next
	// batch gathers. More only split the queue into smaller batches whose
	// inserts contend for the same index pages (each index's newest leaf) on a
	// small machine: on two cores, four flushers signed 3,229 / 5,769 / 8,117
	// a second at 8 / 32 / 128 clients against two's 3,862 / 7,472 / 10,314
	// (three runs each, interleaved; one flusher was close to two).
	workers := 2
	if db.Dialect == SQLite {
		workers = 1
	}
	return &SignatureCommitter{db: db.Gorm, pool: db.Pool, dialect: db.Dialect, now: now, after: after, maxBatch: 64, workers: workers}
}

// Sign validates a signing request, queues it for the next batch and waits
// until that batch has committed (or failed). Its answers are
// RequestSignature's: a ValidationError, ErrPetitionClosed, ErrSignFlood, or
// the result whose email has been enqueued. If ctx ends first the signature may
// still be stored; the caller just stops waiting.
func (c *SignatureCommitter) Sign(ctx context.Context, p *Petition, in SignInput, limits SignLimits) (*SignResult, error) {
	in, email, err := prepareSignature(p, in, c.now())
	if err != nil {
		return nil, err
	}
	call := &signCall{p: p, in: in, email: email, limits: limits, done: make(chan struct{})}
	c.mu.Lock()
	c.queue = append(c.queue, call)
	if c.running < c.workers {
		c.running++
		go c.flush()
	}
	c.mu.Unlock()
	select {
	case <-call.done:
		return call.res, call.err
	case <-ctx.Done():
		return nil, fmt.Errorf("models: sign: %w", ctx.Err())
	}
}

// flush commits batches until the queue is empty, then exits; Sign starts
// flushers as needed (both under mu, so no request is left waiting).
func (c *SignatureCommitter) flush() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.running--
			c.mu.Unlock()
			return
		}
		n := min(len(c.queue), c.maxBatch)
		batch := slices.Clone(c.queue[:n])
		c.queue = slices.Delete(c.queue, 0, n)
		c.mu.Unlock()
		c.commit(batch)
	}
}

// commit stores one batch and answers its requests; the requests a failed
// batch of several left unsettled are retried one at a time.
func (c *SignatureCommitter) commit(batch []*signCall) {
	ctx := context.Background()
	store := c.storeTx
	if c.usesOneStatement() {
		store = c.storeOneStatement
	}
	unsettled, err := store(ctx, batch)
	if err != nil && len(batch) > 1 {
		for _, call := range batch {
			if !slices.Contains(unsettled, call) {
				close(call.done)
			}
		}
		for _, call := range unsettled {
			c.commit([]*signCall{call})
		}
		return
	}
	for _, call := range batch {
		if err != nil && slices.Contains(unsettled, call) {
			call.res, call.err = nil, fmt.Errorf("models: sign: %w", err)
		}
		close(call.done)
	}
}

// storeTx stores one batch in one transaction with the emails it causes;
// when it fails nothing is stored and every request is unsettled.
func (c *SignatureCommitter) storeTx(ctx context.Context, batch []*signCall) ([]*signCall, error) {
	err := Transaction(ctx, c.db, func(tx *gorm.DB) error {
		rules, err := c.emailRules(ctx, tx)
		if err != nil {
			return err
		}
		done, err := signBatch(ctx, tx, c.dialect, rules, batch, c.now())
		if err != nil {
			return err
		}
		if len(done) == 0 {
			return nil
		}
		return c.after(ctx, tx, done)
	})
	if err != nil {
		return batch, err
	}
	return nil, nil
}

// emailRules returns the address rules, read again once RulesTTL has passed.
func (c *SignatureCommitter) emailRules(ctx context.Context, tx *gorm.DB) (EmailRules, error) {
	if c.RulesTTL > 0 {
		c.mu.Lock()
		rules, at := c.rules, c.rulesAt
		c.mu.Unlock()
		if rules != nil && time.Since(at) < c.RulesTTL {
			return rules, nil
		}
	}
	rules, err := LoadEmailRules(ctx, tx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.rules, c.rulesAt = rules, time.Now()
	c.mu.Unlock()
	return rules, nil
}

// ipKey is an IP on a petition, for the per-IP and petition limits.
type ipKey struct{ petition, ip string }

// signBatch makes RequestSignature's decisions for a batch of requests in
// arrival order, with set-based statements: one count per limit window, one
// insert for all new signatures with their links' tokens. Requests refused as a
// flood get err; the others get res and are returned. Signatures earlier in
// the batch count toward the limits of later ones as if they had committed
// (a repeat of a mailbox already stored counts too: a little stricter than one
// at a time, never looser).
func signBatch(ctx context.Context, tx *gorm.DB, dialect Dialect, rules EmailRules, batch []*signCall, now time.Time) ([]SignedRequest, error) {
	counts, err := batchIPCounts(ctx, tx, batch, now)
	if err != nil {
		return nil, err
	}
	plan := planBatch(rules, batch, counts, now)
	insert := insertSignatures
	if dialect == Postgres {
		insert = insertSignaturesPostgres
	}
	inserted, err := insert(ctx, tx, plan.fresh, plan.freshCall, now)
	if err != nil {
		return nil, err
	}
	if err := plan.storeRest(ctx, tx, plan.fresh, inserted, now); err != nil {
		return nil, err
	}
	return answered(batch), nil
}

// batchPlan is what a batch's requests were decided to be, before anything is
// stored: new signatures (with their requests) and repeats of a mailbox that
// signed before (in this batch or earlier).
type batchPlan struct {
	batch     []*signCall
	fresh     []*Signature
	freshCall map[string]*signCall
	repeats   []*signCall
	norms     map[*signCall]string
}

// planBatch makes RequestSignature's decisions for a batch in arrival order,
// given the stored signatures per limit window (batchIPCounts): floods are
// refused (call.err), the rest become new signatures with their link's token
// or repeats.
func planBatch(rules EmailRules, batch []*signCall, counts map[time.Duration]map[ipKey]int64, now time.Time) *batchPlan {
	plan := &batchPlan{batch: batch, freshCall: map[string]*signCall{}, norms: make(map[*signCall]string, len(batch))}
	inBatchIP := map[string]int64{}
	inBatch := map[ipKey]int64{}
	seen := map[ipKey]bool{} // petition and normalised mailbox
	for _, call := range batch {
		call.res, call.err = nil, nil
		in, l := call.in, call.limits
		if l.Ceiling.N > 0 && in.IP != "" {
			n := inBatchIP[in.IP]
			for k, m := range counts[l.Ceiling.Window] {
				if k.ip == in.IP {
					n += m
				}
			}
			if n >= int64(l.Ceiling.N) {
				call.err = ErrSignFlood
				continue
			}
		}
		state, reason := SignaturePending, ""
		k := ipKey{call.p.ID, in.IP}
		if strings.TrimSpace(in.Honeypot) != "" {
			state, reason = SignatureFlagged, "honeypot"
		} else if in.IP != "" {
			for _, fl := range l.flagging() {
				if counts[fl.Window][k]+inBatch[k] >= int64(fl.N) {
					state, reason = SignatureFlagged, "rate_"+fl.name
					break
				}
			}
		}
		if in.IP != "" {
			inBatchIP[in.IP]++
			inBatch[k]++
		}
		norm := NormaliseEmail(call.email, rules)
		plan.norms[call] = norm
		if mk := (ipKey{call.p.ID, norm}); seen[mk] {
			plan.repeats = append(plan.repeats, call)
			continue
		} else {
			seen[mk] = true
		}
		sig := newSignature(call.p, in, call.email, norm, state, reason, now)
		plan.fresh = append(plan.fresh, sig)
		plan.freshCall[sig.ID] = call
		// The link's token is made now so that it is stored with the
		// signature in the same statement (only if the signature is).
		call.res = &SignResult{Signature: sig, Email: SignEmailConfirm, Token: NewSecret(20)}
	}
	return plan
}

// storeRest finishes a batch inside tx once the signatures stored holds those
// of stored that the insert took: their supporters are attached, and the ones
// it skipped (the mailbox had signed already) join the repeats, which are then
// answered in arrival order, so a repeat within the batch sees the signature
// stored just before it.
func (plan *batchPlan) storeRest(ctx context.Context, tx *gorm.DB, stored []*Signature, inserted map[string]bool, now time.Time) error {
	for _, sig := range stored {
		call := plan.freshCall[sig.ID]
		if !inserted[sig.ID] {
			call.res = nil
			plan.repeats = append(plan.repeats, call)
			continue
		}
		if err := attachSupporter(ctx, tx, call.p, sig, call.in, now); err != nil {
			return err
		}
	}
	order := make(map[*signCall]int, len(plan.batch))
	for i, call := range plan.batch {
		order[call] = i
	}
	slices.SortStableFunc(plan.repeats, func(a, b *signCall) int { return order[a] - order[b] })
	for _, call := range plan.repeats {
		var err error
		if call.res, err = repeatSignature(ctx, tx, call.p, plan.norms[call], now); err != nil {
			return err
		}
	}
	return nil
}

// answered lists the requests of a batch that were not refused, in order.
func answered(batch []*signCall) []SignedRequest {
	out := make([]SignedRequest, 0, len(batch))
	for _, call := range batch {
		if call.err == nil {
			out = append(out, SignedRequest{Petition: call.p, Result: call.res})
		}
	}
	return out
}

// batchIPCounts counts, per limit window the batch uses, the stored
// signatures of the batch's IPs per petition since the window began: one
// statement per window, served by the (ip, created_at) index.
func batchIPCounts(ctx context.Context, tx *gorm.DB, batch []*signCall, now time.Time) (map[time.Duration]map[ipKey]int64, error) {
	windows := map[time.Duration]map[string]bool{}
	for _, call := range batch {
		if call.in.IP == "" {
			continue
		}
		l := call.limits
		for _, r := range []RateLimit{l.Ceiling, l.Burst, l.Sustained} {
			if r.N > 0 {
				if windows[r.Window] == nil {
					windows[r.Window] = map[string]bool{}
				}
				windows[r.Window][call.in.IP] = true
			}
		}
	}
	out := make(map[time.Duration]map[ipKey]int64, len(windows))
	for w, set := range windows {
		ips := make([]string, 0, len(set))
		for ip := range set {
			ips = append(ips, ip)
		}
		var rows []struct {
			PetitionID string
			IP         string `gorm:"column:ip"`
			N          int64
		}
		if err := tx.WithContext(ctx).Model(&Signature{}).Select("petition_id, ip, COUNT(*) AS n").Where("ip IN ? AND created_at > ?", ips, now.Add(-w)).
			Group("petition_id, ip").Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("models: sign: %w", err)
		}
		m := make(map[ipKey]int64, len(rows))
		for _, r := range rows {
			m[ipKey{r.PetitionID, r.IP}] = r.N
		}
		out[w] = m
	}
	return out, nil
}

// insertSignatures stores new signatures, each with the hash of its link's
// token (calls[id].res.Token), in one statement, skipping any whose mailbox
// has signed the petition already (the unique index decides, not a check
// before), and returns the IDs it stored. Rows go in index order, so
// concurrent batches take the index's locks in the same order and cannot
// deadlock on each other.
func insertSignatures(ctx context.Context, tx *gorm.DB, sigs []*Signature, calls map[string]*signCall, now time.Time) (map[string]bool, error) {
	inserted := make(map[string]bool, len(sigs))
	if len(sigs) == 0 {
		return inserted, nil
	}
	sorted := inIndexOrder(sigs)
	const cols = "id, petition_id, name, email, normalised_email, email_domain, country, postcode, opt_in, consent_wording, state, flag_reason, ip, ip_erased, source, send_id, emails_sent, created_at, token_hash"
	var sb strings.Builder
	sb.WriteString("INSERT INTO signatures (" + cols + ") VALUES ")
	args := make([]any, 0, len(sorted)*19)
	for i, s := range sorted {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, s.ID, s.PetitionID, s.Name, *s.Email, s.NormalisedEmail, s.EmailDomain, s.Country, s.Postcode, s.OptIn, s.ConsentWording,
			string(s.State), s.FlagReason, s.IP, false, s.Source, s.SendID, s.EmailsSent, s.CreatedAt, HashSecret(calls[s.ID].res.Token))
	}
	sb.WriteString(" ON CONFLICT (petition_id, normalised_email) DO NOTHING RETURNING id")
	rows, err := tx.WithContext(ctx).Raw(sb.String(), args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("models: sign: %w", err)
	}
	defer rows.Close()
	if err := readInserted(rows, inserted); err != nil {
		return nil, err
	}
	return inserted, nil
}

// inIndexOrder sorts signatures by the unique index's key, the order every
// batch inserts in.
func inIndexOrder(sigs []*Signature) []*Signature {
	sorted := slices.Clone(sigs)
	slices.SortFunc(sorted, func(a, b *Signature) int {
		if c := strings.Compare(a.PetitionID, b.PetitionID); c != 0 {
			return c
		}
		return strings.Compare(a.NormalisedEmail, b.NormalisedEmail)
	})
	return sorted
}

// insertSignaturesPostgres is insertSignatures on PostgreSQL, from arrays,
// so a batch of any size is one round trip of one prepared
// statement (on a busy machine every round trip costs more than the rows).
func insertSignaturesPostgres(ctx context.Context, tx *gorm.DB, sigs []*Signature, calls map[string]*signCall, now time.Time) (map[string]bool, error) {
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
	)
	for i, s := range sorted {
		ids[i], petitions[i], names[i], emails[i], norms[i], domains[i] = s.ID, s.PetitionID, s.Name, *s.Email, s.NormalisedEmail, s.EmailDomain
		countries[i], postcodes[i], wordings[i], states[i], reasons[i] = s.Country, s.Postcode, s.ConsentWording, string(s.State), s.FlagReason
		ips[i], sources[i], hashes[i], optIns[i], sent[i] = s.IP, s.Source, HashSecret(calls[s.ID].res.Token), s.OptIn, int64(s.EmailsSent)
		if s.SendID != nil {
			sendIDs[i] = *s.SendID
		}
	}
	sqlTx, ok := tx.Statement.ConnPool.(interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errors.New("models: sign: not in a transaction")
	}
	// WITH ORDINALITY keeps the rows in index order (see insertSignatures).
	rows, err := sqlTx.QueryContext(ctx, `WITH s AS (
	INSERT INTO signatures (id, petition_id, name, email, normalised_email, email_domain, country, postcode, opt_in, consent_wording, state, flag_reason, ip, ip_erased, source, send_id, emails_sent, created_at, token_hash)
	SELECT v.id, v.petition_id, v.name, v.email, v.normalised_email, v.email_domain, v.country, v.postcode, v.opt_in, v.consent_wording, v.state, v.flag_reason, v.ip, false, v.source, NULLIF(v.send_id, ''), v.emails_sent, $17, v.token_hash
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::boolean[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $18::text[], $15::bigint[], $16::text[])
		WITH ORDINALITY AS v(id, petition_id, name, email, normalised_email, email_domain, country, postcode, opt_in, consent_wording, state, flag_reason, ip, source, send_id, emails_sent, token_hash, ord)
	ORDER BY v.ord
	ON CONFLICT (petition_id, normalised_email) DO NOTHING
	RETURNING id
)
SELECT id FROM s`, ids, petitions, names, emails, norms, domains, countries, postcodes, optIns, wordings, states, reasons, ips, sources, sent, hashes, now, sendIDs)
	if err != nil {
		return nil, fmt.Errorf("models: sign: %w", err)
	}
	defer rows.Close()
	if err := readInserted(rows, inserted); err != nil {
		return nil, err
	}
	return inserted, nil
}

// idRows is what both drivers' result rows (database/sql's and pgx's) offer
// for reading a RETURNING id.
type idRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// readInserted marks in inserted every id a "RETURNING id" gave back: the
// signatures the statement stored (the others were already there).
func readInserted(rows idRows, inserted map[string]bool) error {
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("models: sign: %w", err)
		}
		inserted[id] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("models: sign: %w", err)
	}
	return nil
}
