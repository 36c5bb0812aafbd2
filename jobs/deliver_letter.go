package jobs

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"pressroom/models"
)

// DeliverLetterArgs sends one Urgent Action letter to one target. Each job is
// inserted at the target's pacing slot (models.ScheduleLetterDeliveries), in
// the transaction that confirms the letter, so a letter is either queued with
// its job or not at all.
type DeliverLetterArgs struct {
	DeliveryID string `json:"delivery_id"`
}

// Kind implements river.JobArgs.
func (DeliverLetterArgs) Kind() string { return "deliver_letter" }

// InsertOpts keeps letters out of the way of embargo lifts and notifications.
func (DeliverLetterArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 12}
}

// DeliverLetterWorker mails a letter to its target: From the organisation's
// sending address (never the writer's: that would be forging their address,
// and receiving servers would rightly refuse it), Reply-To the writer, so the
// official's answer reaches the person who wrote. The writer's address
// appears nowhere else, and custom_args carry only the delivery id.
type DeliverLetterWorker struct {
	river.WorkerDefaults[DeliverLetterArgs]
	Deps
}

// Work sends the letter once: a delivery that is no longer queued (sent
// already, cancelled) is left alone, and one to a target whose address has
// bounced since it was queued waits instead. The request is marked before it
// goes; an attempt that finds the mark (a crash or a lost answer between the
// provider's acceptance and the status update) first settles the letter from
// the provider's events (models.SettleDelivery) and sends it again only if
// none arrives within SettleWait. Without the webhook (SettleWait 0) it is
// sent again at once: the official may then get that letter twice, the lesser
// harm than never.
func (w *DeliverLetterWorker) Work(ctx context.Context, job *river.Job[DeliverLetterArgs]) error {
	db := w.DB.Gorm
	m, err := models.LetterMessageByDelivery(ctx, db, job.Args.DeliveryID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if m.Delivery.Status != models.DeliveryQueued {
		return nil
	}
	now := w.Clock.Now()
	if m.Delivery.SubmittingAt != nil && w.SettleWait > 0 {
		st, err := models.SettleDelivery(ctx, db, m.Delivery.ID, w.SettleWait, now)
		if err != nil {
			return err
		}
		if st.Sent {
			w.Logger.InfoContext(ctx, "letter settled from provider events", "delivery", m.Delivery.ID)
			return nil
		}
		if now.Before(st.SettleBy) {
			return river.JobSnooze(settlePoll)
		}
	}
	if m.Action.Status != models.StatusPublished || m.Letter.State != models.SignatureConfirmed || m.Letter.Email == nil {
		_, err := models.MarkDelivery(ctx, db, m.Delivery.ID, models.DeliveryQueued, models.DeliveryCancelled, "", "the action or the letter was withdrawn before it went", now)
		return err
	}
	if !m.Target.Mailable() {
		_, err := models.MarkDelivery(ctx, db, m.Delivery.ID, models.DeliveryQueued, models.DeliveryWaiting, "", "the official's email address bounced; the letter waits until it is fixed", now)
		return err
	}
	text := models.LetterText(&m.Target, m.Letter.Body, m.Letter.Name, m.Letter.Country)
	var body strings.Builder
	for _, p := range strings.Split(text, "\n\n") {
		body.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(p), "\n", "<br>") + "</p>")
	}
	b := Batch{From: w.MailFrom, ReplyTo: &Address{Email: m.Letter.Address(), Name: m.Letter.Name}, Subject: m.Letter.Subject, Text: text, HTML: body.String(),
		Categories: []string{"letter"}, CustomArgs: map[string]string{"letter_delivery_id": m.Delivery.ID},
		Recipients: []Recipient{{To: Address{Email: m.Target.Email, Name: m.Target.Name}}}}
	if ok, err := models.MarkDeliverySubmitting(ctx, db, m.Delivery.ID, now); err != nil || !ok {
		return err
	}
	res, err := w.Mail.Send(ctx, b)
	var se *SendError
	if errors.As(err, &se) {
		// The provider answered with an error, or was never reached: nothing
		// of the request went out, so the next attempt need not wait for
		// events. No answer at all leaves the mark: the provider may have it.
		if !se.Unanswered {
			if cerr := models.ClearDeliverySubmitting(ctx, db, m.Delivery.ID); cerr != nil {
				return cerr
			}
		}
		if !se.Retryable {
			_, _ = models.MarkDelivery(ctx, db, m.Delivery.ID, models.DeliveryQueued, models.DeliveryBounced, "", se.Message, now)
			return river.JobCancel(fmt.Errorf("jobs: deliver letter: %w", err))
		}
		if se.RetryAfter > 0 {
			return river.JobSnooze(se.RetryAfter + time.Second)
		}
	}
	if err != nil {
		return fmt.Errorf("jobs: deliver letter: %w", err)
	}
	_, err = models.MarkDelivery(ctx, db, m.Delivery.ID, models.DeliveryQueued, models.DeliverySent, res.MessageID, "", now)
	return err
}
