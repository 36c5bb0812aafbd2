package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Settling an uncertain batch from the provider's own record.
//
// A batch found "submitting" when it is claimed again was interrupted between
// its request and its checkpoint: the provider may have accepted it. Sending
// it again would mail its recipients twice. SendGrid's Event Webhook reports a
// "processed" event (or "dropped", for an address it will not mail) for every
// message it accepted, carrying the send and recipient ids Pressroom put in
// custom_args, and those events are stored as they arrive (webhook_events). So
// before an uncertain batch is resent, its recipients with such an event are
// recorded as submitted; the batch waits for the others up to a bounded time
// (settle_by, fixed the first time the batch is found uncertain), then resends
// only those still without one.

// BatchState is what a batch job reads before claiming its batch: whether a
// request of it may be out (status "submitting" with RequestedAt set; a batch
// submitting without it was claimed, and its worker died before any request).
type BatchState struct {
	Status      string
	SettleBy    *time.Time
	RequestedAt *time.Time
}

// Uncertain reports whether the provider may hold a request of the batch
// whose outcome nobody recorded.
func (b BatchState) Uncertain() bool { return b.Status == BatchSubmitting && b.RequestedAt != nil }

// BatchStateOf reads a batch's status.
func BatchStateOf(ctx context.Context, db *gorm.DB, sendID string, batchNo int) (BatchState, error) {
	var st BatchState
	err := db.WithContext(ctx).Raw("SELECT status, settle_by, requested_at FROM send_batches WHERE send_id = ? AND batch_no = ?", sendID, batchNo).Scan(&st).Error
	if err != nil {
		return st, fmt.Errorf("models: batch state: %w", err)
	}
	return st, nil
}

// MarkBatchUnanswered hands back a batch whose request got no answer (a
// timeout, a connection lost after it was sent) without forgetting that the
// provider may have it: the batch stays "submitting" with its request mark,
// unclaimed, so whichever worker runs the retry claims it without proof this
// one is dead and settles it from the provider's events before resending
// anything, as after a crash. Only worker's own claim is handed back;
// ErrNotFound says the claim is no longer worker's.
func MarkBatchUnanswered(ctx context.Context, db *gorm.DB, sendID string, batchNo int, worker, message string, now time.Time) error {
	res := db.WithContext(ctx).Exec(`UPDATE send_batches SET claimed_by = '', error = ?, updated_at = ?
WHERE send_id = ? AND batch_no = ? AND status = ? AND claimed_by = ? AND requested_at IS NOT NULL`,
		truncate(message, 1000), now, sendID, batchNo, BatchSubmitting, worker)
	if res.Error != nil {
		return fmt.Errorf("models: mark batch %s/%d unanswered: %w", sendID, batchNo, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("models: mark batch %s/%d unanswered: no request of %q's is marked: %w", sendID, batchNo, worker, ErrNotFound)
	}
	return nil
}

// Settlement is what SettleBatch found.
type Settlement struct {
	Settled  int       // recipients recorded as submitted from their events now
	Pending  int       // recipients still without an event
	SettleBy time.Time // when the wait for their events ends
}

// SettleBatch records as submitted every pending recipient of the batch that
// the provider reported accepting (a "processed" or "dropped" event for this
// send and recipient), and says how many are still pending and until when to
// wait for their events: now+wait the first time the batch is settled, the
// same moment on every later try (a worker that dies while waiting does not
// restart the clock). Call it on a batch this worker has claimed.
func SettleBatch(ctx context.Context, db *gorm.DB, sendID string, batchNo int, wait time.Duration, now time.Time) (Settlement, error) {
	var out Settlement
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Exec("UPDATE send_batches SET settle_by = COALESCE(settle_by, ?) WHERE send_id = ? AND batch_no = ?",
			now.Add(wait), sendID, batchNo).Error; err != nil {
			return err
		}
		var by []time.Time
		if err := tx.Raw("SELECT settle_by FROM send_batches WHERE send_id = ? AND batch_no = ?", sendID, batchNo).Scan(&by).Error; err != nil {
			return err
		}
		if len(by) != 1 {
			return ErrNotFound
		}
		out.SettleBy = by[0]
		messageID := "payload::jsonb ->> 'sg_message_id'"
		if tx.Dialector.Name() != "postgres" {
			messageID = "json_extract(payload, '$.sg_message_id')"
		}
		res := tx.Exec(`UPDATE send_recipients SET status = ?, submitted_at = ?,
	message_id = COALESCE((SELECT `+messageID+` FROM webhook_events w
		WHERE w.send_id = send_recipients.send_id AND w.recipient_id = send_recipients.id AND w.event IN ('processed', 'dropped') LIMIT 1), '')
WHERE send_id = ? AND batch_no = ? AND status = ? AND EXISTS (SELECT 1 FROM webhook_events w
	WHERE w.send_id = send_recipients.send_id AND w.recipient_id = send_recipients.id AND w.event IN ('processed', 'dropped'))`,
			RecipientSubmitted, now, sendID, batchNo, RecipientPending)
		if res.Error != nil {
			return res.Error
		}
		out.Settled = int(res.RowsAffected)
		if out.Settled > 0 {
			if err := tx.Exec("UPDATE send_batches SET submitted = submitted + ?, updated_at = ? WHERE send_id = ? AND batch_no = ?",
				out.Settled, now, sendID, batchNo).Error; err != nil {
				return err
			}
		}
		var pending int64
		if err := tx.Model(&SendRecipient{}).Where("send_id = ? AND batch_no = ? AND status = ?", sendID, batchNo, RecipientPending).Count(&pending).Error; err != nil {
			return err
		}
		out.Pending = int(pending)
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("models: settle batch %s/%d: %w", sendID, batchNo, translate(err))
	}
	return out, nil
}
