package models

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// WebhookEvent is one raw SendGrid Event Webhook event, stored as received
// before it is processed, so nothing is lost if processing fails and a repeated
// post (same sg_event_id) is stored once.
type WebhookEvent struct {
	ID          int64 `gorm:"primaryKey"`
	SGEventID   string
	Event       string
	Email       string
	SendID      string
	RecipientID *int64
	// LetterDeliveryID is set on events about an Urgent Action letter.
	LetterDeliveryID string
	OccurredAt       *time.Time
	Payload          string
	ReceivedAt       time.Time
	Processed        bool
}

// WebhookEventInput is one parsed event of a post.
type WebhookEventInput struct {
	SGEventID   string
	Event       string
	Email       string
	SendID      string // custom arg send_id
	RecipientID string // custom arg recipient_id
	// LetterDeliveryID is the custom arg letter_delivery_id of a letter.
	LetterDeliveryID string
	Timestamp        int64
	Payload          string // the event's own JSON
}

// StoreWebhookEvents stores a post's events, ignoring any already stored (by
// sg_event_id), and returns how many were new. Call it in the transaction that
// enqueues the processing job.
func StoreWebhookEvents(ctx context.Context, tx *gorm.DB, in []WebhookEventInput, now time.Time) (int, error) {
	rows := make([]WebhookEvent, 0, len(in))
	for _, e := range in {
		if e.SGEventID == "" || e.Event == "" {
			continue
		}
		w := WebhookEvent{SGEventID: truncate(e.SGEventID, 200), Event: truncate(e.Event, 50), Email: truncate(NormalizeEmail(e.Email), 320),
			SendID: truncate(e.SendID, 64), LetterDeliveryID: truncate(e.LetterDeliveryID, 64), Payload: e.Payload, ReceivedAt: now}
		if id, err := strconv.ParseInt(e.RecipientID, 10, 64); err == nil {
			w.RecipientID = &id
		}
		if e.Timestamp > 0 {
			t := time.Unix(e.Timestamp, 0).UTC()
			w.OccurredAt = &t
		}
		rows = append(rows, w)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	res := tx.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "sg_event_id"}}, DoNothing: true}).CreateInBatches(&rows, 500)
	if res.Error != nil {
		return 0, fmt.Errorf("models: store webhook events: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}

// eventColumns maps an event type onto the recipient timestamp and the send
// counter it sets.
var eventColumns = map[string][2]string{
	"delivered":         {"delivered_at", "delivered"},
	"open":              {"opened_at", "opened"},
	"click":             {"clicked_at", "clicked"},
	"bounce":            {"bounced_at", "bounced"},
	"spamreport":        {"spam_at", "spam"},
	"unsubscribe":       {"unsubscribed_at", "unsubscribed"},
	"group_unsubscribe": {"unsubscribed_at", "unsubscribed"},
}

// ProcessWebhookEvents applies up to limit unprocessed events, oldest first, in
// one transaction, and returns how many it handled. It is idempotent: a
// recipient's timestamp is set once and the send's counter moves only then;
// suppressions and supporter statuses are only ever tightened. Bounces, spam
// reports and unsubscribes feed the suppression list (and the supporter's
// status), whatever send they came from.
func ProcessWebhookEvents(ctx context.Context, db *gorm.DB, limit int) (int, error) {
	var n int
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var evs []WebhookEvent
		if err := tx.Where("processed = ?", false).Order("id").Limit(limit).Find(&evs).Error; err != nil {
			return err
		}
		for _, e := range evs {
			if err := applyEvent(ctx, tx, e); err != nil {
				return fmt.Errorf("event %s: %w", e.SGEventID, err)
			}
		}
		if len(evs) > 0 {
			ids := make([]int64, len(evs))
			for i, e := range evs {
				ids[i] = e.ID
			}
			if err := tx.Model(&WebhookEvent{}).Where("id IN ?", ids).Update("processed", true).Error; err != nil {
				return err
			}
		}
		n = len(evs)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("models: process webhook events: %w", err)
	}
	return n, nil
}

func applyEvent(ctx context.Context, tx *gorm.DB, e WebhookEvent) error {
	at := e.ReceivedAt
	if e.OccurredAt != nil {
		at = *e.OccurredAt
	}
	if e.LetterDeliveryID != "" {
		// A letter to an official: its delivery record and the target, never
		// the suppression list (the official is not a supporter).
		return applyLetterEvent(ctx, tx, e, at)
	}
	if cols, ok := eventColumns[e.Event]; ok && e.RecipientID != nil && e.SendID != "" {
		res := tx.Model(&SendRecipient{}).Where("id = ? AND send_id = ? AND "+cols[0]+" IS NULL", *e.RecipientID, e.SendID).Update(cols[0], at)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			if err := tx.Model(&Send{}).Where("id = ?", e.SendID).Update(cols[1], gorm.Expr(cols[1]+" + 1")).Error; err != nil {
				return err
			}
		}
	}
	if e.Email == "" || !ValidEmail(e.Email) {
		return nil
	}
	var reason SuppressionReason
	var status SupporterStatus
	switch e.Event {
	case "bounce":
		reason, status = SuppressBounce, StatusBounced
	case "spamreport":
		reason, status = SuppressComplaint, StatusComplained
	case "unsubscribe", "group_unsubscribe":
		reason, status = SuppressUnsubscribe, StatusUnsubscribed
	default:
		return nil
	}
	if err := Suppress(ctx, tx, e.Email, reason, "sendgrid "+e.Event, nil); err != nil {
		return err
	}
	// Tighten the supporter's status: an unsubscribe never overrides a bounce or a
	// complaint, and nothing here resubscribes anyone.
	from := []SupporterStatus{StatusPending, StatusSubscribed}
	if status != StatusUnsubscribed {
		from = append(from, StatusUnsubscribed)
	}
	return tx.Model(&Supporter{}).Where("email_hash = ? AND status IN ?", EmailHash(e.Email), from).
		Updates(map[string]any{"status": status, "updated_at": at}).Error
}

// SendActivity is one hour of a send's engagement, for the statistics chart.
type SendActivity struct {
	Hour                       time.Time
	Delivered, Opened, Clicked int
}

// SendActivityByHour counts a send's delivered, opened and clicked events per
// hour, from the recipients' first-event timestamps (computed in Go so both
// dialects agree on the bucketing).
func SendActivityByHour(ctx context.Context, db *gorm.DB, sendID string) ([]SendActivity, error) {
	type row struct {
		DeliveredAt, OpenedAt, ClickedAt *time.Time
	}
	buckets := map[time.Time]*SendActivity{}
	bump := func(t *time.Time, f func(*SendActivity)) {
		if t == nil {
			return
		}
		h := t.UTC().Truncate(time.Hour)
		a := buckets[h]
		if a == nil {
			a = &SendActivity{Hour: h}
			buckets[h] = a
		}
		f(a)
	}
	rows, err := db.WithContext(ctx).Model(&SendRecipient{}).Select("delivered_at, opened_at, clicked_at").
		Where("send_id = ? AND (delivered_at IS NOT NULL OR opened_at IS NOT NULL OR clicked_at IS NOT NULL)", sendID).Rows()
	if err != nil {
		return nil, fmt.Errorf("models: send activity: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r row
		if err := db.ScanRows(rows, &r); err != nil {
			return nil, fmt.Errorf("models: send activity: %w", err)
		}
		bump(r.DeliveredAt, func(a *SendActivity) { a.Delivered++ })
		bump(r.OpenedAt, func(a *SendActivity) { a.Opened++ })
		bump(r.ClickedAt, func(a *SendActivity) { a.Clicked++ })
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("models: send activity: %w", err)
	}
	out := make([]SendActivity, 0, len(buckets))
	for _, a := range buckets {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b SendActivity) int { return a.Hour.Compare(b.Hour) })
	return out, nil
}
