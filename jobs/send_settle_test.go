package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// interrupted prepares a 1,000-supporter send whose one batch a worker claimed
// and died sending (claimed "submitting" and its request marked, as a crash
// mid-request leaves it), and stores the provider's "processed" events for the
// first `reported` of its recipients.
func interrupted(t *testing.T, e *sendEnv, db *models.DB, reported int) (*models.Send, []models.SendRecipient) {
	t.Helper()
	s, recips := claimedOnly(t, e, db)
	if err := models.MarkBatchRequested(context.Background(), db.Gorm, s.ID, 0, "", time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	report(t, db, s.ID, recips[:reported])
	return s, recips
}

// claimedOnly prepares a 1,000-supporter send whose one batch a worker claimed
// and died before its request (rendering it, or waiting for a free request
// slot): "submitting", with no request mark.
func claimedOnly(t *testing.T, e *sendEnv, db *models.DB) (*models.Send, []models.SendRecipient) {
	t.Helper()
	s, recips := oneBatchSend(t, e, db)
	if c, _, _, err := models.ClaimBatch(context.Background(), db.Gorm, s.ID, 0, "", time.Now().UTC()); err != nil || c != models.ClaimSend {
		t.Fatalf("claim: %v %v", c, err)
	}
	return s, recips
}

// oneBatchSend prepares a send to 1,000 supporters, one batch, not yet
// claimed, and returns its recipients.
func oneBatchSend(t *testing.T, e *sendEnv, db *models.DB) (*models.Send, []models.SendRecipient) {
	t.Helper()
	doc := e.org.Release(t, models.KindActionAlert, "Act now", nil, time.Now().UTC())
	list := dbtest.BulkSupporters(t, db, "settle", 1000)
	s := e.prepare(t, e.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}})
	var recips []models.SendRecipient
	if err := db.Gorm.Where("send_id = ? AND batch_no = 0", s.ID).Order("id").Find(&recips).Error; err != nil {
		t.Fatal(err)
	}
	return s, recips
}

// report stores a "processed" event for each recipient, as the Event Webhook
// does (custom_args carry the send and recipient ids).
func report(t *testing.T, db *models.DB, sendID string, rs []models.SendRecipient) {
	t.Helper()
	in := make([]models.WebhookEventInput, len(rs))
	for i, r := range rs {
		in[i] = models.WebhookEventInput{SGEventID: fmt.Sprintf("ev-%d", r.ID), Event: "processed", Email: r.Email, SendID: sendID,
			RecipientID: fmt.Sprint(r.ID), Timestamp: time.Now().Unix(), Payload: fmt.Sprintf(`{"sg_message_id":"msg-%d.fake"}`, r.ID)}
	}
	if _, err := models.StoreWebhookEvents(context.Background(), db.Gorm, in, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
}

// sentToAll checks that a send is done with n recipients submitted.
func sentToAll(t *testing.T, db *models.DB, sendID string, n int) {
	t.Helper()
	ctx := context.Background()
	s, err := models.SendByID(ctx, db.Gorm, sendID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := models.ProgressOf(ctx, db.Gorm, s)
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != models.SendSent || p.Submitted != n {
		t.Fatalf("send %s, progress %+v; want sent, %d submitted", s.Status, p, n)
	}
}

// TestInterruptedBatchSettledFromProviderEvents: a batch found "submitting"
// after a crash is not sent again while its recipients' "processed" events
// are arriving. Those with an event are recorded as submitted (with the
// provider's message id); once every recipient has one the batch is done
// without a request; nobody is mailed twice.
func TestInterruptedBatchSettledFromProviderEvents(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		e := newSendEnv(t, db)
		e.deps.SettleWait = time.Hour
		s, recips := interrupted(t, e, db, 600)

		err := e.work(t, s.ID, 0)
		var snooze *river.JobSnoozeError
		if !errors.As(err, &snooze) {
			t.Fatalf("with 400 recipients unreported the batch should wait; got %v", err)
		}
		if e.fake.Count() != 0 {
			t.Fatalf("the provider got %d recipients while the batch was settling", e.fake.Count())
		}
		var first models.SendRecipient
		db.Gorm.First(&first, recips[0].ID)
		if first.Status != models.RecipientSubmitted || first.MessageID != fmt.Sprintf("msg-%d.fake", recips[0].ID) {
			t.Fatalf("a reported recipient is %s with message id %q", first.Status, first.MessageID)
		}

		report(t, db, s.ID, recips[600:])
		if err := e.work(t, s.ID, 0); err != nil {
			t.Fatal(err)
		}
		if e.fake.Count() != 0 {
			t.Fatalf("the provider got %d recipients of a batch it had already accepted", e.fake.Count())
		}
		sentToAll(t, db, s.ID, 1000)
	})
}

// TestInterruptedBatchResendsOnlyTheUnreported: when the wait for events is
// over, only the recipients the provider never reported are sent again.
func TestInterruptedBatchResendsOnlyTheUnreported(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		e := newSendEnv(t, db)
		clock := models.NewFixedClock(time.Now().UTC())
		e.deps.Clock = clock
		e.deps.SettleWait = time.Minute
		s, recips := interrupted(t, e, db, 700)

		var snooze *river.JobSnoozeError
		if err := e.work(t, s.ID, 0); !errors.As(err, &snooze) {
			t.Fatalf("first look: want a wait, got %v", err)
		}
		clock.Set(clock.Now().Add(30 * time.Second))
		if err := e.work(t, s.ID, 0); !errors.As(err, &snooze) {
			t.Fatalf("half way through the wait: want a wait, got %v", err)
		}
		clock.Set(clock.Now().Add(31 * time.Second))
		if err := e.work(t, s.ID, 0); err != nil {
			t.Fatalf("after the wait: %v", err)
		}
		if e.fake.Count() != 300 {
			t.Fatalf("the provider got %d recipients; want the 300 unreported", e.fake.Count())
		}
		reported := map[string]bool{}
		for _, r := range recips[:700] {
			reported[r.Email] = true
		}
		for _, r := range e.fake.Recipients() {
			if reported[r.Email] {
				t.Fatalf("%s was reported accepted and mailed again", r.Email)
			}
		}
		sentToAll(t, db, s.ID, 1000)
	})
}

// TestClaimedBatchWithoutRequestIsSentAtOnce: a batch its worker had claimed
// but not yet requested when it died (still rendering, or waiting for a free
// request slot) cannot be at the provider: with the webhook configured it is
// sent at once instead of waiting SettleWait for events that cannot come,
// and its recipients get it once.
func TestClaimedBatchWithoutRequestIsSentAtOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		e := newSendEnv(t, db)
		e.deps.SettleWait = time.Hour
		s, _ := claimedOnly(t, e, db)
		if err := e.work(t, s.ID, 0); err != nil {
			t.Fatalf("a batch with no request out should be sent at once; got %v", err)
		}
		if e.fake.Count() != 1000 || len(e.fake.Recipients()) != 1000 {
			t.Fatalf("the provider got %d recipients; want the batch's 1000 once", e.fake.Count())
		}
		s, _ = models.SendByID(ctx, db.Gorm, s.ID)
		if s.Status != models.SendSent {
			t.Fatalf("send %s", s.Status)
		}
	})
}

// TestRequestMarkIsTheClaimants: only the worker holding a batch's claim may
// mark its request, and a batch handed back and claimed again has lost the
// earlier attempt's mark.
func TestRequestMarkIsTheClaimants(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		e := newSendEnv(t, db)
		s, _ := claimedOnly(t, e, db)
		now := time.Now().UTC()
		if err := models.MarkBatchRequested(ctx, db.Gorm, s.ID, 0, "someone-else", now); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("another worker marked the claimed batch: %v", err)
		}
		if err := models.MarkBatchRequested(ctx, db.Gorm, s.ID, 0, "", now); err != nil {
			t.Fatal(err)
		}
		if st, _ := models.BatchStateOf(ctx, db.Gorm, s.ID, 0); !st.Uncertain() {
			t.Fatalf("marked batch not uncertain: %+v", st)
		}
		if err := models.ReleaseBatch(ctx, db.Gorm, s.ID, 0, "", now); err != nil {
			t.Fatal(err)
		}
		if c, _, _, err := models.ClaimBatch(ctx, db.Gorm, s.ID, 0, "", now); err != nil || c != models.ClaimSend {
			t.Fatalf("claim again: %v %v", c, err)
		}
		if st, _ := models.BatchStateOf(ctx, db.Gorm, s.ID, 0); st.Uncertain() {
			t.Fatalf("a batch handed back and claimed again kept the old request mark: %+v", st)
		}
	})
}

// TestSecondInterruptionWaitsAfresh: a batch whose wait for events ran out is
// sent again; if that new request is interrupted too, the next attempt waits
// for the events of the new request (a full SettleWait from then) instead of
// finding the first wait over and sending a third time at once.
func TestSecondInterruptionWaitsAfresh(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		e := newSendEnv(t, db)
		clock := models.NewFixedClock(time.Now().UTC())
		e.deps.Clock = clock
		e.deps.SettleWait = time.Minute
		s, _ := interrupted(t, e, db, 0)

		var snooze *river.JobSnoozeError
		if err := e.work(t, s.ID, 0); !errors.As(err, &snooze) {
			t.Fatalf("first look: want a wait, got %v", err)
		}
		clock.Set(clock.Now().Add(61 * time.Second))
		// The wait is over; the retry claims the batch, starts its request
		// and dies with it in flight.
		if err := models.MarkBatchRequested(context.Background(), db.Gorm, s.ID, 0, "", clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := e.work(t, s.ID, 0); !errors.As(err, &snooze) {
			t.Fatalf("after the second interruption: want a wait for the new request's events, got %v", err)
		}
		if e.fake.Count() != 0 {
			t.Fatalf("the provider got %d recipients while the second request was unsettled", e.fake.Count())
		}
	})
}

// TestUnansweredBatchSettledFromProviderEvents: a request SendGrid accepted
// but whose answer never came (the client timed out) leaves its batch
// uncertain, like a crash: the retry does not mail the 1,000 recipients again
// while their "processed" events are due, and settles the batch from them.
func TestUnansweredBatchSettledFromProviderEvents(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		e := newSendEnv(t, db)
		e.deps.SettleWait = time.Hour
		e.deps.Mail = jobs.NewSendGrid(fakeKey, e.fake.URL(), jobs.WithSendGridTimeout(200*time.Millisecond))
		e.fake.SetLatency(2 * time.Second) // accepted at once, answered after the client gave up
		s, recips := oneBatchSend(t, e, db)

		err := e.work(t, s.ID, 0)
		var snooze *river.JobSnoozeError
		if err == nil || errors.As(err, &snooze) || !strings.Contains(err.Error(), "no answer") {
			t.Fatalf("first attempt: want the timeout for River to retry, got %v", err)
		}
		if e.fake.Count() != 1000 {
			t.Fatalf("the provider accepted %d recipients; want the batch's 1000", e.fake.Count())
		}
		if st, _ := models.BatchStateOf(ctx, db.Gorm, s.ID, 0); !st.Uncertain() {
			t.Fatalf("an unanswered batch must stay uncertain: %+v", st)
		}
		var b models.SendBatch
		db.Gorm.Take(&b, "send_id = ? AND batch_no = 0", s.ID)
		if b.ClaimedBy != "" || !strings.Contains(b.Error, "no answer") {
			t.Fatalf("the batch should be handed back with its error shown: claimed by %q, error %q", b.ClaimedBy, b.Error)
		}

		e.fake.SetLatency(0)
		if err := e.work(t, s.ID, 0); !errors.As(err, &snooze) {
			t.Fatalf("the retry should wait for the provider's events; got %v", err)
		}
		if e.fake.Count() != 1000 {
			t.Fatalf("the retry sent the batch again before its events could come: provider has %d", e.fake.Count())
		}
		report(t, db, s.ID, recips)
		if err := e.work(t, s.ID, 0); err != nil {
			t.Fatal(err)
		}
		if e.fake.Count() != 1000 {
			t.Fatalf("the provider got %d recipients for a batch it accepted once", e.fake.Count())
		}
		sentToAll(t, db, s.ID, 1000)
	})
}

// TestAnsweredOrUnsentBatchRetriesAtOnce: with the webhook configured, a
// batch whose request SendGrid refused with an error (a 500), or that never
// reached SendGrid (connection refused), is certain not to be out: its retry
// sends it at once rather than waiting for events that cannot come.
func TestAnsweredOrUnsentBatchRetriesAtOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		e := newSendEnv(t, db)
		e.deps.SettleWait = time.Hour
		good := e.deps.Mail
		s, _ := oneBatchSend(t, e, db)

		e.fake.Script(sendgridfake.ServerError(500))
		if err := e.work(t, s.ID, 0); err == nil || !strings.Contains(err.Error(), "500") {
			t.Fatalf("first attempt: want the 500 for River to retry, got %v", err)
		}
		if st, _ := models.BatchStateOf(context.Background(), db.Gorm, s.ID, 0); st.Uncertain() {
			t.Fatalf("a batch refused with an error is not uncertain: %+v", st)
		}

		closed := httptest.NewServer(http.NotFoundHandler())
		closed.Close() // nothing listens there any more
		e.deps.Mail = jobs.NewSendGrid(fakeKey, closed.URL, jobs.WithSendGridTimeout(time.Second))
		if err := e.work(t, s.ID, 0); err == nil || !strings.Contains(err.Error(), "could not reach") {
			t.Fatalf("second attempt: want the refused connection, got %v", err)
		}
		if st, _ := models.BatchStateOf(context.Background(), db.Gorm, s.ID, 0); st.Uncertain() {
			t.Fatalf("a batch that never reached the provider is not uncertain: %+v", st)
		}

		e.deps.Mail = good
		if err := e.work(t, s.ID, 0); err != nil {
			t.Fatalf("third attempt should send at once: %v", err)
		}
		if e.fake.Count() != 1000 || len(e.fake.Recipients()) != 1000 {
			t.Fatalf("the provider got %d recipients; want the batch's 1000 once", e.fake.Count())
		}
	})
}

// TestUnansweredLastAttemptKeepsWhatTheProviderAccepted: when the request of
// a batch's last attempt gets no answer, the batch is not failed whole (a
// retry of its failed recipients would then mail again everyone SendGrid had
// accepted): it waits for the provider's events like any unanswered request,
// keeps as submitted every recipient SendGrid reported, and fails only the
// rest, without another request. Retrying the failed recipients then mails
// those alone.
func TestUnansweredLastAttemptKeepsWhatTheProviderAccepted(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		e := newSendEnv(t, db)
		clock := models.NewFixedClock(time.Now().UTC())
		e.deps.Clock = clock
		e.deps.SettleWait = time.Minute
		e.deps.Mail = jobs.NewSendGrid(fakeKey, e.fake.URL(), jobs.WithSendGridTimeout(200*time.Millisecond))
		e.fake.SetLatency(2 * time.Second)
		s, recips := oneBatchSend(t, e, db)
		last := func() error {
			w := &jobs.SendBatchWorker{Deps: e.deps}
			return w.Work(ctx, &river.Job[jobs.SendBatchArgs]{JobRow: &rivertype.JobRow{Attempt: jobs.SendBatchMaxAttempts, MaxAttempts: jobs.SendBatchMaxAttempts},
				Args: jobs.SendBatchArgs{SendID: s.ID, BatchNo: 0}})
		}

		var snooze *river.JobSnoozeError
		if err := last(); !errors.As(err, &snooze) {
			t.Fatalf("last attempt, no answer: want the batch to wait for the provider's events, got %v", err)
		}
		if st, _ := models.BatchStateOf(ctx, db.Gorm, s.ID, 0); !st.Uncertain() {
			t.Fatalf("the batch must stay uncertain: %+v", st)
		}
		e.fake.SetLatency(0)
		report(t, db, s.ID, recips[:600]) // the rest's events never come
		if err := last(); !errors.As(err, &snooze) {
			t.Fatalf("within the wait for events: want another wait, got %v", err)
		}
		clock.Advance(61 * time.Second)
		var cancel *river.JobCancelError
		if err := last(); !errors.As(err, &cancel) {
			t.Fatalf("after the wait: want the batch given up, got %v", err)
		}
		if e.fake.Count() != 1000 {
			t.Fatalf("the provider got %d recipients; want the 1000 of the unanswered request and no other request", e.fake.Count())
		}
		var b models.SendBatch
		db.Gorm.Take(&b, "send_id = ? AND batch_no = 0", s.ID)
		var failed, submitted int64
		db.Gorm.Model(&models.SendRecipient{}).Where("send_id = ? AND status = ?", s.ID, models.RecipientFailed).Count(&failed)
		db.Gorm.Model(&models.SendRecipient{}).Where("send_id = ? AND status = ?", s.ID, models.RecipientSubmitted).Count(&submitted)
		if b.Status != models.BatchFailed || failed != 400 || submitted != 600 || !strings.Contains(b.Error, "no answer") {
			t.Fatalf("batch %s (%q), %d failed, %d submitted; want failed, the 400 without events failed and the 600 reported kept", b.Status, b.Error, failed, submitted)
		}

		if _, err := models.RetryFailedBatches(ctx, db.Gorm, e.org.Campaigner, s.ID, time.Now().UTC(), func(*gorm.DB, *models.Send, []int) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if err := e.work(t, s.ID, 0); err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, r := range e.fake.Recipients() {
			seen[r.Email]++
		}
		for _, r := range recips[:600] {
			if seen[r.Email] != 1 {
				t.Fatalf("%s, reported accepted, was sent %d times", r.Email, seen[r.Email])
			}
		}
		if len(seen) != 1000 || e.fake.Count() != 1400 {
			t.Fatalf("after the retry: %d mailboxes, %d recipients in all; want 1000 and 1400 (the 400 failed ones again)", len(seen), e.fake.Count())
		}
	})
}
