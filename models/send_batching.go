package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// BatchClaim is what a batch job may do with its batch.
type BatchClaim int

// Claim outcomes.
const (
	// ClaimSend: the batch is now "submitting"; send it.
	ClaimSend BatchClaim = iota
	// ClaimDone: the batch was already submitted, failed or cancelled; do nothing.
	ClaimDone
	// ClaimPaused: the send is paused; try again later.
	ClaimPaused
	// ClaimCancelled: the send was cancelled; the batch is now cancelled.
	ClaimCancelled
	// ClaimBusy: the batch is "submitting" for another worker that is still
	// alive, and may be sending it right now; try again later.
	ClaimBusy
)

// ClaimBatch marks a batch "submitting" before its request goes out, in its own
// short transaction, and returns the send with it (so the batch job needs no
// second read). A batch found "submitting" here was interrupted before its
// checkpoint: it is claimed again and re-sent, so nobody is skipped. On
// PostgreSQL, where several worker processes share the batches, that needs
// proof the claim is stale: the batch is worker's own (its earlier attempt is
// over, since this one runs), or its claimant's liveness lock is free (the
// claimant is dead); otherwise the claimant may be sending it right now and the
// answer is ClaimBusy. worker is the claiming River client's id ("" claims like a worker of its own).
func ClaimBatch(ctx context.Context, db *gorm.DB, sendID string, batchNo int, worker string, now time.Time) (BatchClaim, int, *Send, error) {
	claimed, attempts, err := claimSendingBatch(ctx, db, sendID, batchNo, worker, now)
	if err != nil {
		return ClaimDone, 0, nil, fmt.Errorf("models: claim batch %s/%d: %w", sendID, batchNo, err)
	}
	if claimed != nil {
		return ClaimSend, attempts, claimed, nil
	}
	claim := ClaimDone
	var s Send
	err = Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Take(&s, "id = ?", sendID).Error; err != nil {
			return translate(err)
		}
		var b SendBatch
		if err := tx.Take(&b, "send_id = ? AND batch_no = ?", sendID, batchNo).Error; err != nil {
			return translate(err)
		}
		if b.Status != BatchPending && b.Status != BatchSubmitting {
			claim = ClaimDone
			return nil
		}
		switch s.Status {
		case SendCancelled:
			claim = ClaimCancelled
			return tx.Model(&SendBatch{}).Where("send_id = ? AND batch_no = ?", sendID, batchNo).
				Updates(map[string]any{"status": BatchCancelled, "updated_at": now}).Error
		case SendPaused:
			claim = ClaimPaused
			return nil
		}
		if b.Status == BatchSubmitting && b.ClaimedBy != "" && b.ClaimedBy != worker && tx.Dialector.Name() == "postgres" {
			gone, err := workerGone(tx, b.ClaimedBy)
			if err != nil {
				return err
			}
			if !gone {
				claim = ClaimBusy
				return nil
			}
		}
		// Guarded by the state read above: a claim by someone else meanwhile wins.
		res := tx.Model(&SendBatch{}).Where("send_id = ? AND batch_no = ? AND status = ? AND claimed_by = ?", sendID, batchNo, b.Status, b.ClaimedBy).
			Updates(map[string]any{"status": BatchSubmitting, "attempts": gorm.Expr("attempts + 1"), "claimed_by": worker, "updated_at": now,
				"requested_at": gorm.Expr(requestedAfterClaim, BatchPending)})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			claim = ClaimBusy
			return nil
		}
		claim, attempts = ClaimSend, b.Attempts+1
		return nil
	})
	if err != nil {
		return ClaimDone, 0, nil, fmt.Errorf("models: claim batch %s/%d: %w", sendID, batchNo, err)
	}
	return claim, attempts, &s, nil
}

// requestedAfterClaim, with BatchPending as its argument, is a claimed batch's
// request mark: a claim forgets the mark of an earlier attempt whose outcome
// is known (a batch handed back or retried is pending again), and keeps it on
// a batch still "submitting", since that attempt's request may be out. (The
// PostgreSQL claim, an UPDATE … FROM, spells it with its table's alias.)
const requestedAfterClaim = "CASE WHEN status = ? THEN NULL ELSE requested_at END"

// MarkBatchRequested records, right before a batch's request goes out, that
// the provider may have it (requested_at) and that a wait for its events
// starts afresh if this request is interrupted too (settle_by cleared). Only
// the worker holding the claim may mark it; ErrNotFound says the claim is no
// longer worker's, and nothing may be sent.
func MarkBatchRequested(ctx context.Context, db *gorm.DB, sendID string, batchNo int, worker string, now time.Time) error {
	res := db.WithContext(ctx).Exec("UPDATE send_batches SET requested_at = ?, settle_by = NULL WHERE send_id = ? AND batch_no = ? AND status = ? AND claimed_by = ?",
		now, sendID, batchNo, BatchSubmitting, worker)
	if res.Error != nil {
		return fmt.Errorf("models: mark batch %s/%d requested: %w", sendID, batchNo, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("models: mark batch %s/%d requested: the claim is not %q's: %w", sendID, batchNo, worker, ErrNotFound)
	}
	return nil
}

// claimSendingBatch is ClaimBatch's common case, a sending send and a pending
// batch (or one of worker's own interrupted), in as few round trips as the
// dialect allows; it returns a nil send, claiming nothing, for every other
// case, which ClaimBatch sorts out in a transaction.
func claimSendingBatch(ctx context.Context, db *gorm.DB, sendID string, batchNo int, worker string, now time.Time) (*Send, int, error) {
	q := db.WithContext(ctx)
	if db.Dialector.Name() == "postgres" {
		// One guarded UPDATE that returns the send with the claim. (SQLite's
		// RETURNING cannot name the joined table.)
		var rows []struct {
			Send
			ClaimAttempts int
		}
		err := q.Raw(`UPDATE send_batches b SET status = ?, attempts = b.attempts + 1, claimed_by = ?, updated_at = ?,
	requested_at = CASE WHEN b.status = ? THEN NULL ELSE b.requested_at END
FROM sends s WHERE s.id = b.send_id AND s.status = ? AND b.send_id = ? AND b.batch_no = ? AND (b.status = ? OR (b.status = ? AND b.claimed_by = ?))
RETURNING s.*, b.attempts AS claim_attempts`, BatchSubmitting, worker, now, BatchPending, SendSending, sendID, batchNo, BatchPending, BatchSubmitting, worker).Scan(&rows).Error
		if err != nil || len(rows) != 1 {
			return nil, 0, err
		}
		return &rows[0].Send, rows[0].ClaimAttempts, nil
	}
	// One read and one guarded UPDATE. SQLite runs one worker process, so any
	// "submitting" batch is its own.
	var s Send
	if err := q.Take(&s, "id = ?", sendID).Error; err != nil {
		return nil, 0, translate(err)
	}
	if s.Status != SendSending {
		return nil, 0, nil
	}
	var claimed []int
	err := q.Raw(`UPDATE send_batches SET status = ?, attempts = attempts + 1, claimed_by = ?, updated_at = ?, requested_at = `+requestedAfterClaim+`
WHERE send_id = ? AND batch_no = ? AND status IN (?, ?) RETURNING attempts`,
		BatchSubmitting, worker, now, BatchPending, sendID, batchNo, BatchPending, BatchSubmitting).Scan(&claimed).Error
	if err != nil || len(claimed) != 1 {
		return nil, 0, err
	}
	return &s, claimed[0], nil
}

// BatchRecipient is a pending recipient of a batch as it stands right before the
// request: Block is why they may no longer be mailed ("" when they may), checked
// against the suppression list, supporter status and do-not-contact flag now, so
// an unsubscribe takes effect before the next batch.
type BatchRecipient struct {
	ID          int64
	Kind        string
	ContactID   *string
	SupporterID *string
	Email       string
	Name        string
	Block       string
}

// BatchRecipients lists the still-pending recipients of a batch, re-checked:
// a suppression first, then the journalist or supporter as they are now (a
// person deleted or erased since materialisation is blocked too).
//
// Each recipient's person and suppression are looked up by key, one row at a
// time, in correlated subqueries rather than joins: joined, PostgreSQL read
// and hashed every media contact and every suppression for each batch of a
// thousand, a cost that grew with the organisation's lists (at 6,000 of each,
// 9.8 ms a batch against 6.7 ms by key).
func BatchRecipients(ctx context.Context, db *gorm.DB, sendID string, batchNo int) ([]BatchRecipient, error) {
	rows, err := db.WithContext(ctx).Raw(`SELECT r.id, r.kind, r.contact_id, r.supporter_id, r.email, r.name,
  CASE WHEN r.kind = 'journalist' THEN COALESCE((
    SELECT COALESCE((SELECT sp.reason FROM suppressions sp WHERE sp.email_hash = c.email_hash),
      CASE WHEN c.do_not_contact THEN 'do_not_contact' WHEN c.newsroom_status = 'pending' THEN 'unconfirmed' ELSE '' END)
    FROM media_contacts c WHERE c.id = r.contact_id), 'deleted')
  ELSE COALESCE((
    SELECT COALESCE((SELECT sp.reason FROM suppressions sp WHERE sp.email_hash = s.email_hash),
      CASE WHEN s.erased_at IS NOT NULL THEN 'erased' WHEN s.status <> 'subscribed' THEN s.status ELSE '' END)
    FROM supporters s WHERE s.id = r.supporter_id), 'erased') END AS block
FROM send_recipients r
WHERE r.send_id = ? AND r.batch_no = ? AND r.status = 'pending'
ORDER BY r.id`, sendID, batchNo).Rows()
	if err != nil {
		return nil, fmt.Errorf("models: batch recipients: %w", err)
	}
	defer rows.Close()
	// Scanned by hand: a thousand rows per batch through GORM's reflection cost
	// more than the query.
	out := make([]BatchRecipient, 0, SendBatchSize)
	for rows.Next() {
		var r BatchRecipient
		if err := rows.Scan(&r.ID, &r.Kind, &r.ContactID, &r.SupporterID, &r.Email, &r.Name, &r.Block); err != nil {
			return nil, fmt.Errorf("models: batch recipients: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("models: batch recipients: %w", err)
	}
	return out, nil
}

// markBlocked records recipients found blocked at submission time.
func markBlocked(tx *gorm.DB, blocked map[int64]string) error {
	byReason := map[string][]int64{}
	for id, reason := range blocked {
		byReason[reason] = append(byReason[reason], id)
	}
	for reason, ids := range byReason {
		if err := tx.Model(&SendRecipient{}).Where("id IN ? AND status = ?", ids, RecipientPending).
			Updates(map[string]any{"status": RecipientSuppressed, "reason": reason}).Error; err != nil {
			return err
		}
	}
	return nil
}

// MarkRecipientsBlocked records, before a batch's request, the recipients found
// blocked since materialisation: they are left out of the request whatever the
// provider answers, so they need not wait for the checkpoint.
func MarkRecipientsBlocked(ctx context.Context, db *gorm.DB, sendID string, batchNo int, blocked map[int64]string, now time.Time) error {
	if len(blocked) == 0 {
		return nil
	}
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := markBlocked(tx, blocked); err != nil {
			return err
		}
		return tx.Model(&SendBatch{}).Where("send_id = ? AND batch_no = ?", sendID, batchNo).
			Updates(map[string]any{"suppressed": gorm.Expr("suppressed + ?", len(blocked)), "updated_at": now}).Error
	})
	if err != nil {
		return fmt.Errorf("models: mark recipients blocked: %w", err)
	}
	return nil
}

// CheckpointBatch records that the provider accepted a batch's (last) request:
// the batch becomes "submitted" with the provider's message id. This is the
// checkpoint, and it is one row: between the provider's answer and this commit a
// crash duplicates the batch, so the window is kept as short as it can be. It
// is also the only write: the recipients still pending in a submitted batch
// are submitted, with the batch's message id and time (see send_status.go),
// so no recipient row is touched.
//
// It may be repeated (a commit whose answer was lost with its connection): the
// same checkpoint again changes nothing.
func CheckpointBatch(ctx context.Context, db *gorm.DB, sendID string, batchNo int, messageID string, sent int, now time.Time) error {
	err := db.WithContext(ctx).Model(&SendBatch{}).Where("send_id = ? AND batch_no = ?", sendID, batchNo).
		Where("NOT (status = ? AND message_id = ?)", BatchSubmitted, messageID).Updates(map[string]any{
		"status": BatchSubmitted, "submitted": gorm.Expr("submitted + ?", sent), "message_id": messageID, "error": "",
		"submitted_at": now, "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("models: checkpoint batch: %w", err)
	}
	return nil
}

// MarkRecipientsSubmitted records part of a batch as accepted (a batch holding
// journalists and supporters goes out as two requests), so a retry of the rest
// never repeats the part already accepted.
func MarkRecipientsSubmitted(ctx context.Context, db *gorm.DB, sendID string, batchNo int, ids []int64, messageID string, now time.Time) error {
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		res := tx.Model(&SendRecipient{}).Where("id IN ? AND status = ?", ids, RecipientPending).
			Updates(map[string]any{"status": RecipientSubmitted, "message_id": messageID, "submitted_at": now})
		if res.Error != nil {
			return res.Error
		}
		return tx.Model(&SendBatch{}).Where("send_id = ? AND batch_no = ?", sendID, batchNo).
			Updates(map[string]any{"submitted": gorm.Expr("submitted + ?", res.RowsAffected), "updated_at": now}).Error
	})
	if err != nil {
		return fmt.Errorf("models: mark recipients submitted: %w", err)
	}
	return nil
}

// MarkBatchFailed records a permanent refusal: the batch and its pending
// recipients become "failed" with the provider's message, shown to staff.
func MarkBatchFailed(ctx context.Context, db *gorm.DB, sendID string, batchNo int, message string, blocked map[int64]string, now time.Time) error {
	message = truncate(message, 1000)
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := markBlocked(tx, blocked); err != nil {
			return err
		}
		res := tx.Model(&SendRecipient{}).Where("send_id = ? AND batch_no = ? AND status = ?", sendID, batchNo, RecipientPending).
			Updates(map[string]any{"status": RecipientFailed, "error": message})
		if res.Error != nil {
			return res.Error
		}
		return tx.Model(&SendBatch{}).Where("send_id = ? AND batch_no = ?", sendID, batchNo).Updates(map[string]any{
			"status": BatchFailed, "failed": res.RowsAffected, "suppressed": gorm.Expr("suppressed + ?", len(blocked)), "error": message, "updated_at": now}).Error
	})
	if err != nil {
		return fmt.Errorf("models: mark batch failed: %w", err)
	}
	return nil
}

// MarkBatchRetrying puts a batch back to pending with the last transient error
// (429, 5xx, timeout), which the progress page shows while it waits.
func MarkBatchRetrying(ctx context.Context, db *gorm.DB, sendID string, batchNo int, message string, now time.Time) error {
	err := db.WithContext(ctx).Model(&SendBatch{}).Where("send_id = ? AND batch_no = ? AND status IN ?", sendID, batchNo, []string{BatchPending, BatchSubmitting}).
		Updates(map[string]any{"status": BatchPending, "error": truncate(message, 1000), "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("models: mark batch retrying: %w", err)
	}
	return nil
}
