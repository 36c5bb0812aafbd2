package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Settling a letter whose request may have gone out, as sends settle their
// batches (send_settle.go). A letter's request is marked before it goes
// (MarkDeliverySubmitting); a crash, or an answer lost on the network, leaves
// the mark. Sending again then could put the same letter in an official's
// inbox twice — from the same writer, which makes the campaign look like a
// bot. So the next attempt first asks the provider's own record: SendGrid
// reports a "processed" (or "dropped") event for every message it accepted,
// carrying the letter_delivery_id Pressroom put in custom_args, and those
// events are stored as they arrive. A letter with such an event was accepted
// and is recorded as sent; one without waits for it up to a bounded time,
// then is sent again.

// MarkDeliverySubmitting records that a request with the queued delivery is
// about to go out. It reports false if the delivery is no longer queued.
func MarkDeliverySubmitting(ctx context.Context, db *gorm.DB, id string, now time.Time) (bool, error) {
	res := db.WithContext(ctx).Model(&LetterDelivery{}).Where("id = ? AND status = ?", id, DeliveryQueued).Update("submitting_at", now)
	if res.Error != nil {
		return false, fmt.Errorf("models: delivery submitting: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ClearDeliverySubmitting records that the provider refused the request (it
// answered with an error), so nothing of it went out and the next attempt may
// send at once.
func ClearDeliverySubmitting(ctx context.Context, db *gorm.DB, id string) error {
	if err := db.WithContext(ctx).Model(&LetterDelivery{}).Where("id = ? AND status = ?", id, DeliveryQueued).
		Updates(map[string]any{"submitting_at": nil, "settle_by": nil}).Error; err != nil {
		return fmt.Errorf("models: delivery refused: %w", err)
	}
	return nil
}

// DeliverySettlement is what SettleDelivery found.
type DeliverySettlement struct {
	Sent     bool      // the provider reported accepting it: recorded as sent
	SettleBy time.Time // otherwise, when the wait for its event ends
}

// SettleDelivery settles a queued delivery marked submitting: if the
// provider reported accepting it, it is recorded as sent with the provider's
// message id; otherwise the wait for that report ends at now+wait, fixed the
// first time (a worker that dies while waiting does not restart the clock).
func SettleDelivery(ctx context.Context, db *gorm.DB, id string, wait time.Duration, now time.Time) (DeliverySettlement, error) {
	var out DeliverySettlement
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		messageID := "payload::jsonb ->> 'sg_message_id'"
		if tx.Dialector.Name() != "postgres" {
			messageID = "json_extract(payload, '$.sg_message_id')"
		}
		var ids []*string
		if err := tx.Raw("SELECT "+messageID+" FROM webhook_events WHERE letter_delivery_id = ? AND letter_delivery_id <> '' AND event IN ('processed', 'dropped') LIMIT 1", id).
			Scan(&ids).Error; err != nil {
			return err
		}
		if len(ids) == 1 {
			msg := ""
			if ids[0] != nil {
				msg = *ids[0]
			}
			res := tx.Model(&LetterDelivery{}).Where("id = ? AND status = ?", id, DeliveryQueued).
				Updates(map[string]any{"status": DeliverySent, "sent_at": now, "message_id": msg, "error": ""})
			out.Sent = res.RowsAffected == 1
			return res.Error
		}
		if err := tx.Model(&LetterDelivery{}).Where("id = ? AND settle_by IS NULL", id).Update("settle_by", now.Add(wait)).Error; err != nil {
			return err
		}
		var d LetterDelivery
		if err := tx.Select("settle_by").Take(&d, "id = ?", id).Error; err != nil {
			return translate(err)
		}
		if d.SettleBy != nil {
			out.SettleBy = d.SettleBy.UTC()
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("models: settle delivery %s: %w", id, err)
	}
	return out, nil
}
