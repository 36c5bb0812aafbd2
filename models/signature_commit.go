package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

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
	db    *gorm.DB
	now   func() time.Time
	after SignAfterFunc
	// MaxBatch bounds the signatures of one transaction.
	maxBatch int
	// workers bounds the concurrent flushers (one on SQLite: one connection).
	workers int

	mu      sync.Mutex
	queue   []*signCall
	running int
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
	workers := 4
	if db.Dialect == SQLite {
		workers = 1
	}
	return &SignatureCommitter{db: db.Gorm, now: now, after: after, maxBatch: 64, workers: workers}
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

// commit stores one batch in one transaction and answers its requests; a
// failed batch of several is retried one request at a time.
func (c *SignatureCommitter) commit(batch []*signCall) {
	ctx := context.Background()
	err := Transaction(ctx, c.db, func(tx *gorm.DB) error {
		done, err := signBatch(ctx, tx, batch, c.now())
		if err != nil {
			return err
		}
		if len(done) == 0 {
			return nil
		}
		return c.after(ctx, tx, done)
	})
	if err != nil && len(batch) > 1 {
		for _, call := range batch {
			c.commit([]*signCall{call})
		}
		return
	}
	for _, call := range batch {
		if err != nil {
			call.res, call.err = nil, fmt.Errorf("models: sign: %w", err)
		}
		close(call.done)
	}
}

// ipKey is an IP on a petition, for the per-IP and petition limits.
type ipKey struct{ petition, ip string }

// signBatch makes RequestSignature's decisions for a batch of requests in
// arrival order, with set-based statements: one count per limit window, one
// insert for all new signatures, one for their tokens. Requests refused as a
// flood get err; the others get res and are returned. Signatures earlier in
// the batch count toward the limits of later ones as if they had committed
// (a repeat of a mailbox already stored counts too: a little stricter than one
// at a time, never looser).
func signBatch(ctx context.Context, tx *gorm.DB, batch []*signCall, now time.Time) ([]SignedRequest, error) {
	db := tx.WithContext(ctx)
	rules, err := LoadEmailRules(ctx, tx)
	if err != nil {
		return nil, err
	}
	counts, err := batchIPCounts(ctx, tx, batch, now)
	if err != nil {
		return nil, err
	}
	inBatchIP := map[string]int64{}
	inBatch := map[ipKey]int64{}
	seen := map[ipKey]bool{} // petition and normalised mailbox
	var fresh []*Signature
	freshCall := map[string]*signCall{}
	var repeats []*signCall
	norms := make(map[*signCall]string, len(batch))
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
		norms[call] = norm
		if mk := (ipKey{call.p.ID, norm}); seen[mk] {
			repeats = append(repeats, call)
			continue
		} else {
			seen[mk] = true
		}
		sig := newSignature(call.p, in, call.email, norm, state, reason, now)
		fresh = append(fresh, sig)
		freshCall[sig.ID] = call
	}

	inserted, err := insertSignatures(ctx, tx, fresh)
	if err != nil {
		return nil, err
	}
	var tokens []SignatureToken
	for _, sig := range fresh {
		call := freshCall[sig.ID]
		if !inserted[sig.ID] {
			repeats = append(repeats, call)
			continue
		}
		if err := attachSupporter(ctx, tx, call.p, sig, call.in, now); err != nil {
			return nil, err
		}
		token := NewSecret(20)
		tokens = append(tokens, SignatureToken{TokenHash: HashSecret(token), SignatureID: sig.ID, CreatedAt: now})
		call.res = &SignResult{Signature: sig, Email: SignEmailConfirm, Token: token}
	}
	if len(tokens) > 0 {
		if err := db.Create(&tokens).Error; err != nil {
			return nil, fmt.Errorf("models: signature tokens: %w", err)
		}
	}
	// Mailboxes that had signed before, in arrival order so a repeat within
	// the batch sees the signature stored just before it.
	slices.SortStableFunc(repeats, func(a, b *signCall) int { return slices.Index(batch, a) - slices.Index(batch, b) })
	for _, call := range repeats {
		if call.res, err = repeatSignature(ctx, tx, call.p, norms[call], now); err != nil {
			return nil, err
		}
	}
	out := make([]SignedRequest, 0, len(batch))
	for _, call := range batch {
		if call.err == nil {
			out = append(out, SignedRequest{Petition: call.p, Result: call.res})
		}
	}
	return out, nil
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

// insertSignatures stores new signatures in one statement, skipping any whose
// mailbox has signed the petition already (the unique index decides, not a
// check before), and returns the IDs it stored. Rows go in index order, so
// concurrent batches take the index's locks in the same order and cannot
// deadlock on each other.
func insertSignatures(ctx context.Context, tx *gorm.DB, sigs []*Signature) (map[string]bool, error) {
	inserted := make(map[string]bool, len(sigs))
	if len(sigs) == 0 {
		return inserted, nil
	}
	sorted := slices.Clone(sigs)
	slices.SortFunc(sorted, func(a, b *Signature) int {
		if c := strings.Compare(a.PetitionID, b.PetitionID); c != 0 {
			return c
		}
		return strings.Compare(a.NormalisedEmail, b.NormalisedEmail)
	})
	const cols = "id, petition_id, name, email, normalised_email, email_domain, country, postcode, opt_in, consent_wording, state, flag_reason, ip, ip_erased, source, send_id, emails_sent, created_at"
	var sb strings.Builder
	sb.WriteString("INSERT INTO signatures (" + cols + ") VALUES ")
	args := make([]any, 0, len(sorted)*18)
	for i, s := range sorted {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, s.ID, s.PetitionID, s.Name, *s.Email, s.NormalisedEmail, s.EmailDomain, s.Country, s.Postcode, s.OptIn, s.ConsentWording,
			string(s.State), s.FlagReason, s.IP, false, s.Source, s.SendID, s.EmailsSent, s.CreatedAt)
	}
	sb.WriteString(" ON CONFLICT (petition_id, normalised_email) DO NOTHING RETURNING id")
	rows, err := tx.WithContext(ctx).Raw(sb.String(), args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("models: sign: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("models: sign: %w", err)
		}
		inserted[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("models: sign: %w", err)
	}
	return inserted, nil
}
