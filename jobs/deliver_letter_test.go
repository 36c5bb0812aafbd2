package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"pressroom/jobs"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// queuedLetter stores a confirmed letter to one official on a published
// action, its delivery queued as scheduling leaves it.
func queuedLetter(t *testing.T, e *sendEnv, db *models.DB) models.LetterDelivery {
	t.Helper()
	now := time.Now().UTC()
	doc := e.org.Release(t, models.KindActionAlert, "Free Sara Ahmed", nil, now)
	target := models.Target{ID: models.NewID(), Name: "Omar Marwan", Salutation: "Dear Minister", Email: "minister-" + models.NewID() + "@justice.example.gov", CreatedAt: now, UpdatedAt: now}
	email := "ana@example.org"
	letter := models.Letter{ID: models.NewID(), DocumentID: doc.ID, Name: "Ana Lima", Email: &email, NormalisedEmail: email, EmailDomain: "example.org",
		Country: "BR", Subject: "Release Sara Ahmed", Body: "I urge you to release her.", State: models.SignatureConfirmed, CreatedAt: now, ConfirmedAt: &now}
	d := models.LetterDelivery{ID: models.NewID(), LetterID: letter.ID, DocumentID: doc.ID, TargetID: target.ID, NormalisedEmail: email, Country: "BR",
		Status: models.DeliveryQueued, CreatedAt: now}
	for _, row := range []any{&target, &letter, &d} {
		if err := db.Gorm.Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func (e *sendEnv) deliver(t *testing.T, id string) error {
	t.Helper()
	w := &jobs.DeliverLetterWorker{Deps: e.deps}
	return w.Work(context.Background(), &river.Job[jobs.DeliverLetterArgs]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: 12}, Args: jobs.DeliverLetterArgs{DeliveryID: id}})
}

func deliveryOf(t *testing.T, db *models.DB, id string) models.LetterDelivery {
	t.Helper()
	var d models.LetterDelivery
	if err := db.Gorm.Take(&d, "id = ?", id).Error; err != nil {
		t.Fatal(err)
	}
	return d
}

// TestInterruptedLetterSettledFromProviderEvents: a letter whose request went
// out but whose "sent" was never recorded (a crash, a lost answer) is not
// mailed to the official again when the provider reported accepting it; it
// is recorded as sent with the provider's message id. One with no report
// waits for it, then is sent again, once.
func TestInterruptedLetterSettledFromProviderEvents(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		e := newSendEnv(t, db)
		e.deps.SettleWait = time.Hour

		// Sent normally: the request is marked, then recorded as sent.
		d := queuedLetter(t, e, db)
		if err := e.deliver(t, d.ID); err != nil {
			t.Fatal(err)
		}
		if got := deliveryOf(t, db, d.ID); got.Status != models.DeliverySent || got.SubmittingAt == nil || e.fake.Count() != 1 {
			t.Fatalf("first delivery: %s submitting=%v, provider has %d", got.Status, got.SubmittingAt, e.fake.Count())
		}

		// The same letter as a crash leaves it: the request out, still queued.
		// The provider's event arrives: settled, not sent again.
		db.Gorm.Model(&models.LetterDelivery{}).Where("id = ?", d.ID).Updates(map[string]any{"status": models.DeliveryQueued, "message_id": ""})
		if _, err := models.StoreWebhookEvents(ctx, db.Gorm, []models.WebhookEventInput{{SGEventID: "ev-letter-1", Event: "processed", Email: "minister@justice.example.gov",
			LetterDeliveryID: d.ID, Timestamp: time.Now().Unix(), Payload: `{"sg_message_id":"msg-letter.fake"}`}}, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		if err := e.deliver(t, d.ID); err != nil {
			t.Fatal(err)
		}
		if got := deliveryOf(t, db, d.ID); got.Status != models.DeliverySent || got.MessageID != "msg-letter.fake" || e.fake.Count() != 1 {
			t.Fatalf("settled delivery: %s %q, provider has %d (want 1)", got.Status, got.MessageID, e.fake.Count())
		}

		// Another interrupted letter with no event yet: it waits (snoozes)
		// and sends nothing; once the wait is over it is sent again, once.
		d2 := queuedLetter(t, e, db)
		db.Gorm.Model(&models.LetterDelivery{}).Where("id = ?", d2.ID).Update("submitting_at", time.Now().UTC())
		var snooze *river.JobSnoozeError
		if err := e.deliver(t, d2.ID); !errors.As(err, &snooze) || e.fake.Count() != 1 {
			t.Fatalf("an unreported letter should wait: %v, provider has %d", err, e.fake.Count())
		}
		waited := deliveryOf(t, db, d2.ID)
		if waited.SettleBy == nil || waited.SettleBy.Before(time.Now().Add(50*time.Minute)) {
			t.Fatalf("settle_by = %v", waited.SettleBy)
		}
		db.Gorm.Model(&models.LetterDelivery{}).Where("id = ?", d2.ID).Update("settle_by", time.Now().UTC().Add(-time.Second))
		if err := e.deliver(t, d2.ID); err != nil {
			t.Fatal(err)
		}
		if got := deliveryOf(t, db, d2.ID); got.Status != models.DeliverySent || e.fake.Count() != 2 {
			t.Fatalf("after the wait: %s, provider has %d (want 2)", got.Status, e.fake.Count())
		}

		// Without the webhook nothing will report: sent again at once.
		e.deps.SettleWait = 0
		d3 := queuedLetter(t, e, db)
		db.Gorm.Model(&models.LetterDelivery{}).Where("id = ?", d3.ID).Update("submitting_at", time.Now().UTC())
		if err := e.deliver(t, d3.ID); err != nil || deliveryOf(t, db, d3.ID).Status != models.DeliverySent || e.fake.Count() != 3 {
			t.Fatalf("without the webhook: %v, provider has %d", err, e.fake.Count())
		}
	})
}
