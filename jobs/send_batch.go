package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"pressroom/models"
)

// SendBatchArgs is one batch of a send: at most MaxBatchRecipients recipients,
// one provider request (two when it holds journalists and supporters).
type SendBatchArgs struct {
	SendID  string `json:"send_id"`
	BatchNo int    `json:"batch_no"`
}

// Kind implements river.JobArgs.
func (SendBatchArgs) Kind() string { return "send_batch" }

// SendBatchMaxAttempts caps retries of 5xx and timeouts; with SendBatchWorker's
// backoff (capped at five minutes) that is well over an hour of provider outage
// before a batch is failed for staff to retry. 429s are snoozed and do not count.
const SendBatchMaxAttempts = 25

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SendBatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: SendBatchMaxAttempts, Queue: QueueSends}
}

// SendBatchWorker submits one batch to the mail transport.
//
// The batch row is the checkpoint: it is marked "submitting" in a short
// transaction before the request and "submitted", with the provider's message
// id, right after the provider accepted it. A worker that dies in between leaves
// it "submitting"; the next attempt sends it again, so nobody is ever skipped.
// What a crash can duplicate is a request accepted but not yet checkpointed, and
// the process's send gate lets only one request be in that state at a time (see
// DefaultSendsInFlight): a crash duplicates at most one batch. Batch jobs run in
// the sends queue, whose other slots prepare the next batches meanwhile.
type SendBatchWorker struct {
	river.WorkerDefaults[SendBatchArgs]
	Deps
	gate    sendGate
	content *contentCache
}

// sendBatchTimeout bounds one attempt: claim, compose, the wait for the send
// gate, the provider request (itself bounded by the transport's timeout) and
// the checkpoint.
const sendBatchTimeout = 2 * time.Minute

// Timeout implements river.Worker.
func (w *SendBatchWorker) Timeout(*river.Job[SendBatchArgs]) time.Duration { return sendBatchTimeout }

// NextRetry backs off exponentially from half a second, capped at five
// minutes, with jitter so a thousand batches failing together do not retry
// together. River's default (attempt⁴ seconds) would stall a send for hours over
// a brief provider outage.
func (w *SendBatchWorker) NextRetry(job *river.Job[SendBatchArgs]) time.Time {
	return time.Now().Add(jittered(500*time.Millisecond, job.Attempt, 5*time.Minute))
}

// jittered is base·2^(n-1), capped, then randomised between half and all of it.
func jittered(base time.Duration, n int, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return d/2 + rand.N(d/2+1)
}

// errUnrecorded marks an attempt that ended with a request the provider may
// hold and nobody recorded (accepted, its checkpoint not committed; or never
// answered): its batch stays "submitting", for the retry to settle or send
// again, rather than be handed back as pending, which would forget the
// request.
var errUnrecorded = errors.New("jobs: request outcome not recorded")

// checkpointPatience is how long a checkpoint is retried while the database
// does not answer (a restart, a failover). The send gate stays held meanwhile:
// a request the provider accepted is sent again if its checkpoint is lost, so
// no other request goes out until it is recorded.
const checkpointPatience = 2 * time.Minute

// releasePatience is how long handing back a batch is retried. A batch not
// handed back waits for this worker to retry it (or to die).
const releasePatience = 10 * time.Second

// workerOf is the id of the River client running this attempt ("" for a job
// built by hand): River appends it to attempted_by when it fetches the job.
func workerOf(job *river.Job[SendBatchArgs]) string {
	if n := len(job.AttemptedBy); n > 0 {
		return job.AttemptedBy[n-1]
	}
	return ""
}

// Work implements river.Worker.
func (w *SendBatchWorker) Work(ctx context.Context, job *river.Job[SendBatchArgs]) error {
	a := job.Args
	worker := workerOf(job)
	// A batch "submitting" before this claim with its request mark set may
	// have a request out that the provider accepted: with the webhook it is
	// settled from the provider's events before anything is resent.
	var prior models.BatchState
	if w.SettleWait > 0 {
		var err error
		if prior, err = models.BatchStateOf(ctx, w.DB.Gorm, a.SendID, a.BatchNo); err != nil {
			return err
		}
	}
	claim, attempts, s, err := models.ClaimBatch(ctx, w.DB.Gorm, a.SendID, a.BatchNo, worker, w.Clock.Now())
	if err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return river.JobCancel(err)
		}
		return err
	}
	switch claim {
	case models.ClaimDone, models.ClaimCancelled:
		return w.complete(ctx, a.SendID)
	case models.ClaimPaused:
		return river.JobSnooze(5 * time.Second)
	case models.ClaimBusy:
		// Another worker, alive, holds the batch: it finishes or releases it,
		// or dies and its lock proves it.
		return river.JobSnooze(5 * time.Second)
	}
	if prior.Uncertain() {
		st, settled, err := w.settle(ctx, a)
		if err != nil {
			return err
		}
		if !settled {
			// Still waiting for events: the batch stays "submitting", claimed
			// by this worker, so whoever runs it next settles it too.
			return river.JobSnooze(settlePoll)
		}
		if job.Attempt >= job.MaxAttempts && st.Pending > 0 {
			return w.giveUpSettled(ctx, a, job.Attempt, st.Pending)
		}
	}
	err = w.send(ctx, job, s, attempts)
	if err != nil && !errors.Is(err, errUnrecorded) {
		// Nothing of the batch is out unrecorded: hand it back, so that whichever
		// worker runs the retry may claim it without proof this one is dead. (A
		// batch already failed, retrying or submitted is left as it is.)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releasePatience)
		defer cancel()
		if rerr := w.persist(rctx, "hand back", a, func(ctx context.Context) error {
			return models.ReleaseBatch(ctx, w.DB.Gorm, a.SendID, a.BatchNo, worker, w.Clock.Now())
		}); rerr != nil {
			w.Logger.WarnContext(ctx, "send batch not handed back", "send", a.SendID, "batch", a.BatchNo, "err", rerr)
		}
	}
	return err
}

// settlePoll is how often a batch waiting for its recipients' events looks
// again.
const settlePoll = 2 * time.Second

// settle records the recipients of an uncertain batch that the provider
// reported accepting, and says whether the rest may be sent now: every
// recipient is accounted for, or the wait for their events is over.
func (w *SendBatchWorker) settle(ctx context.Context, a SendBatchArgs) (models.Settlement, bool, error) {
	now := w.Clock.Now()
	st, err := models.SettleBatch(ctx, w.DB.Gorm, a.SendID, a.BatchNo, w.SettleWait, now)
	if err != nil {
		return st, false, err
	}
	if st.Pending == 0 || !now.Before(st.SettleBy) {
		w.Logger.InfoContext(ctx, "send batch settled from provider events", "send", a.SendID, "batch", a.BatchNo,
			"settled", st.Settled, "to_resend", st.Pending)
		return st, true, nil
	}
	return st, false, nil
}

// giveUpSettled ends a batch settled on its last attempt: the recipients the
// provider reported accepting are kept as submitted, the others fail without
// another request (one that went unanswered could not be retried). A retry of
// the failed recipients then mails only those.
func (w *SendBatchWorker) giveUpSettled(ctx context.Context, a SendBatchArgs, attempts, pending int) error {
	msg := fmt.Sprintf("gave up after %d attempts, the last with no answer from SendGrid (or stopped mid-request): "+
		"the %d recipients it did not report accepting were not sent again", attempts, pending)
	if err := models.MarkBatchFailed(ctx, w.DB.Gorm, a.SendID, a.BatchNo, msg, nil, w.Clock.Now()); err != nil {
		return err
	}
	if err := w.complete(ctx, a.SendID); err != nil {
		return err
	}
	return river.JobCancel(fmt.Errorf("jobs: send batch %s/%d: %s", a.SendID, a.BatchNo, msg))
}

// send sends a claimed batch.
func (w *SendBatchWorker) send(ctx context.Context, job *river.Job[SendBatchArgs], s *models.Send, attempts int) error {
	a := job.Args
	db := w.DB.Gorm

	// Re-check every recipient right before sending: an unsubscribe, bounce or
	// do-not-contact flag since materialisation takes effect from the next batch.
	recips, err := models.BatchRecipients(ctx, db, a.SendID, a.BatchNo)
	if err != nil {
		return err
	}
	blocked := map[int64]string{}
	groups := map[string][]models.BatchRecipient{}
	for _, r := range recips {
		if r.Block != "" {
			blocked[r.ID] = r.Block
			continue
		}
		groups[r.Kind] = append(groups[r.Kind], r)
	}
	now := w.Clock.Now()
	// The release may have changed since the send was scheduled: the batch goes
	// only while the send's pinned revision is still the approved text (and, for
	// supporters, the embargo has lifted). One row lookup, reused to render.
	doc, check, err := models.HoldIfUnsendable(ctx, db, s, a.BatchNo, len(groups[models.RecipientSupporter]) > 0, now)
	if err != nil {
		return err
	}
	if check.Hold != "" {
		w.Logger.InfoContext(ctx, "send held", "send", a.SendID, "batch", a.BatchNo, "reason", check.Hold)
		return river.JobSnooze(5 * time.Second)
	}
	if !check.Until.IsZero() {
		return river.JobSnooze(waitFor(check.Until, now))
	}
	if err := models.MarkRecipientsBlocked(ctx, db, a.SendID, a.BatchNo, blocked, now); err != nil {
		return err
	}
	if len(groups) == 0 {
		if err := models.CheckpointBatch(ctx, db, a.SendID, a.BatchNo, "", 0, now); err != nil {
			return err
		}
		return w.complete(ctx, a.SendID)
	}
	content, err := w.content.compose(ctx, db, s, doc, w.BaseURL, w.MediaKey, now)
	if err != nil {
		return err
	}
	var tokens map[int64]string
	if content.EmbargoAt != nil && len(groups[models.RecipientJournalist]) > 0 {
		tokens, err = models.CreateSendPreviewLinks(ctx, db, s.DocumentID, s.ID, groups[models.RecipientJournalist], content.EmbargoAt.Add(24*time.Hour), now)
		if err != nil {
			return err
		}
	}
	kinds := make([]string, 0, 2)
	for _, k := range []string{models.RecipientJournalist, models.RecipientSupporter} {
		if len(groups[k]) > 0 {
			kinds = append(kinds, k)
		}
	}
	signer := models.NewUnsubscribeSigner(w.UnsubscribeKey)
	for i, kind := range kinds {
		rs := make([]Recipient, 0, len(groups[kind]))
		ids := make([]int64, 0, len(groups[kind]))
		for _, r := range groups[kind] {
			rs = append(rs, content.PersonalizeWith(r, w.BaseURL, signer, tokens[r.ID]))
			ids = append(ids, r.ID)
		}
		send, err := prepareSend(w.Mail, content.BatchFor(kind, w.MailFrom, rs))
		if err != nil {
			return w.failed(ctx, job, attempts, err)
		}
		if _, err := w.submit(ctx, a, workerOf(job), send, i == len(kinds)-1, ids); err != nil {
			var se *SendError
			if errors.As(err, &se) {
				return w.failed(ctx, job, attempts, err)
			}
			return err
		}
	}
	// The checkpoint was the batch's last write: its recipients' submitted
	// state follows from the batch row (models.RecipientStatusSQL).
	w.Logger.InfoContext(ctx, "send batch submitted", "send", a.SendID, "batch", a.BatchNo, "recipients", len(recips)-len(blocked), "attempt", attempts)
	return w.complete(ctx, a.SendID)
}

// submit sends one prepared request and checkpoints it while holding the send
// gate, so this process never has more than its allowance of accepted but
// unrecorded requests. The last request of a batch checkpoints the batch row;
// an earlier one (journalists of a mixed batch) records its recipients, so a
// retry of the rest never repeats them. Provider refusals come back as
// *SendError.
func (w *SendBatchWorker) submit(ctx context.Context, a SendBatchArgs, worker string, send func(context.Context) (Result, error), last bool, ids []int64) (string, error) {
	if err := w.gate.enter(ctx); err != nil {
		return "", err
	}
	defer w.gate.leave()
	// A worker that cannot prove it is alive may have its batches taken over
	// (jobs/rescue.go): it starts no request until it can.
	if err := w.Liveness.wait(ctx); err != nil {
		return "", err
	}
	// With the webhook, the request is marked before it goes, so that after a
	// crash only the batches with a request out wait for the provider's
	// events (SettleWait); the others are sent again at once. Without it
	// every interrupted batch is resent anyway, and the mark would be a write
	// for nothing.
	if w.SettleWait > 0 {
		if err := models.MarkBatchRequested(ctx, w.DB.Gorm, a.SendID, a.BatchNo, worker, w.Clock.Now()); err != nil {
			return "", err
		}
	}
	res, err := send(ctx)
	if err != nil {
		return "", err
	}
	// The provider has the batch: record it even if the job's context ends now,
	// and through a database restart, since a lost checkpoint means sending the
	// batch twice. Both checkpoints may be repeated safely.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), checkpointPatience)
	defer cancel()
	done := w.Clock.Now()
	err = w.persist(cctx, "checkpoint", a, func(ctx context.Context) error {
		if last {
			return models.CheckpointBatch(ctx, w.DB.Gorm, a.SendID, a.BatchNo, res.MessageID, len(ids), done)
		}
		return models.MarkRecipientsSubmitted(ctx, w.DB.Gorm, a.SendID, a.BatchNo, ids, res.MessageID, done)
	})
	if err != nil {
		return "", fmt.Errorf("%w: %w", errUnrecorded, err)
	}
	return res.MessageID, nil
}

// persist runs a write that must not be lost to a dropped connection (fn may
// be repeated safely), retrying with backoff until it succeeds or ctx ends.
func (w *SendBatchWorker) persist(ctx context.Context, what string, a SendBatchArgs, fn func(context.Context) error) error {
	for try := 1; ; try++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		w.Logger.WarnContext(ctx, "send batch "+what+" failed; retrying", "send", a.SendID, "batch", a.BatchNo, "try", try, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(jittered(100*time.Millisecond, try, 2*time.Second)):
		}
	}
}

// failed decides what a provider error means for the batch: a permanent refusal
// fails it with the provider's message and cancels the job; a 429 snoozes (not
// counted as an attempt) for the provider's reset or a jittered backoff; a 5xx or
// timeout returns the error for River to retry, until the last attempt fails it.
// A request left unanswered keeps the batch uncertain when the webhook can
// settle it.
func (w *SendBatchWorker) failed(ctx context.Context, job *river.Job[SendBatchArgs], attempts int, sendErr error) error {
	a := job.Args
	db := w.DB.Gorm
	now := w.Clock.Now()
	var se *SendError
	if !errors.As(sendErr, &se) {
		se = &SendError{Message: sendErr.Error(), Retryable: true}
	}
	msg := se.Error()
	last := job.Attempt >= job.MaxAttempts
	if se.Unanswered && w.SettleWait > 0 {
		// SendGrid may have accepted the request whose answer never came:
		// the retry settles the batch from its events, as after a crash,
		// instead of mailing everyone again. If the batch cannot be handed
		// back so, it stays claimed by this worker, still uncertain.
		if err := models.MarkBatchUnanswered(ctx, db, a.SendID, a.BatchNo, workerOf(job), msg, now); err != nil {
			return fmt.Errorf("%w: %w", errUnrecorded, err)
		}
		if last {
			// No attempt is left to resend with, but failing the batch
			// whole would fail recipients SendGrid accepted (and a retry of
			// the failed ones would mail them twice). The next run (a snooze
			// is not an attempt) settles it and fails only the rest.
			return fmt.Errorf("jobs: send batch %s/%d: last attempt: %w: %w", a.SendID, a.BatchNo, errUnrecorded, river.JobSnooze(settlePoll))
		}
		return fmt.Errorf("jobs: send batch %s/%d: %w: %w", a.SendID, a.BatchNo, errUnrecorded, sendErr)
	}
	if !se.Retryable || last {
		if se.Retryable {
			msg = fmt.Sprintf("gave up after %d attempts: %s", job.Attempt, msg)
		}
		if err := models.MarkBatchFailed(ctx, db, a.SendID, a.BatchNo, msg, nil, now); err != nil {
			return err
		}
		if err := w.complete(ctx, a.SendID); err != nil {
			return err
		}
		return river.JobCancel(fmt.Errorf("jobs: send batch %s/%d: %w", a.SendID, a.BatchNo, sendErr))
	}
	if err := models.MarkBatchRetrying(ctx, db, a.SendID, a.BatchNo, msg, now); err != nil {
		return err
	}
	if se.Status == 429 {
		wait := se.RetryAfter
		if wait <= 0 {
			wait = jittered(time.Second, attempts, time.Minute)
		} else {
			wait += rand.N(time.Second) // spread the batches waiting for one reset
		}
		return river.JobSnooze(wait)
	}
	return fmt.Errorf("jobs: send batch %s/%d: %w", a.SendID, a.BatchNo, sendErr)
}

func (w *SendBatchWorker) complete(ctx context.Context, sendID string) error {
	return models.CompleteSendIfDone(ctx, w.DB.Gorm, sendID, w.Clock.Now())
}

// EnqueueSendBatches inserts one SendBatch job per batch number inside tx, in
// one statement.
func EnqueueSendBatches(ctx context.Context, client *Client, tx *gorm.DB, sendID string, batchNos []int) error {
	sqlTx, err := SQLTx(tx)
	if err != nil {
		return err
	}
	return insertBatches(ctx, client, sqlTx, sendID, batchNos)
}

func insertBatches(ctx context.Context, client *Client, sqlTx *sql.Tx, sendID string, batchNos []int) error {
	params := make([]river.InsertManyParams, len(batchNos))
	for i, n := range batchNos {
		params[i] = river.InsertManyParams{Args: SendBatchArgs{SendID: sendID, BatchNo: n}}
	}
	if _, err := client.InsertManyTx(ctx, sqlTx, params); err != nil {
		return fmt.Errorf("jobs: enqueue send batches: %w", err)
	}
	return nil
}
