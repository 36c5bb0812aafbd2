package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SendProgress is a send's live counts, summed from its batch rows (at most a
// thousand for a million recipients, so cheap to poll every second).
type SendProgress struct {
	Recipients int // materialised rows, sendable and suppressed
	Sendable   int
	Queued     int // in pending or submitting batches
	Submitted  int
	Failed     int
	Suppressed int // at materialisation and at submission
	Batches    int
	BatchesOut int // pending or submitting
	Percent    int
}

// ProgressOf sums a send's batches.
func ProgressOf(ctx context.Context, db *gorm.DB, s *Send) (*SendProgress, error) {
	var row struct {
		Recipients, Submitted, Failed, Suppressed, Queued, Out, Batches int
	}
	err := db.WithContext(ctx).Raw(`SELECT COALESCE(SUM(recipients), 0) AS recipients, COALESCE(SUM(submitted), 0) AS submitted,
  COALESCE(SUM(failed), 0) AS failed, COALESCE(SUM(suppressed), 0) AS suppressed,
  COALESCE(SUM(CASE WHEN status IN ('pending', 'submitting') THEN recipients - suppressed ELSE 0 END), 0) AS queued,
  COALESCE(SUM(CASE WHEN status IN ('pending', 'submitting') THEN 1 ELSE 0 END), 0) AS out,
  COUNT(*) AS batches
FROM send_batches WHERE send_id = ?`, s.ID).Scan(&row).Error
	if err != nil {
		return nil, fmt.Errorf("models: send progress: %w", err)
	}
	p := &SendProgress{Recipients: s.Recipients, Sendable: row.Recipients, Queued: row.Queued, Submitted: row.Submitted, Failed: row.Failed,
		Suppressed: s.Suppressed + row.Suppressed, Batches: row.Batches, BatchesOut: row.Out}
	if p.Sendable > 0 {
		p.Percent = 100 * (p.Sendable - p.Queued) / p.Sendable
	} else if s.MaterialisedAt != nil {
		p.Percent = 100
	}
	return p, nil
}

// SendFailures lists the failed batches of a send with the provider's message.
func SendFailures(ctx context.Context, db *gorm.DB, sendID string) ([]SendBatch, error) {
	var bs []SendBatch
	if err := db.WithContext(ctx).Where("send_id = ? AND (status = ? OR error <> '')", sendID, BatchFailed).Order("batch_no").Limit(200).Find(&bs).Error; err != nil {
		return nil, fmt.Errorf("models: send failures: %w", err)
	}
	return bs, nil
}

// SuppressedRecipients lists recipients left out of a send, with the reason.
func SuppressedRecipients(ctx context.Context, db *gorm.DB, sendID string, limit int) ([]SendRecipient, error) {
	var rs []SendRecipient
	if err := db.WithContext(ctx).Where("send_id = ? AND status = ?", sendID, RecipientSuppressed).Order("email").Limit(limit).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("models: suppressed recipients: %w", err)
	}
	return rs, nil
}

// A recipient's submitted state lives on its batch: the checkpoint marks the
// batch row "submitted" (one UPDATE per thousand recipients) and leaves the
// recipient rows as materialised. A recipient row says "pending" until
// something about that recipient alone differs from its batch: blocked before
// the request (suppressed), failed, submitted on its own (the journalists of a
// mixed batch, a recipient settled from the provider's events), or later the
// webhook's event timestamps. Every reader of recipient status goes through
// RecipientStatusSQL and its companions, never send_recipients.status alone.

// RecipientStatusSQL is a recipient's status as people read it, for a query
// over send_recipients r LEFT JOIN send_batches b ON RecipientBatchJoin.
const RecipientStatusSQL = "CASE WHEN r.status = 'pending' AND b.status = 'submitted' THEN 'submitted' ELSE r.status END"

// RecipientBatchJoin joins a recipient (r) to its batch (b).
const RecipientBatchJoin = "LEFT JOIN send_batches b ON b.send_id = r.send_id AND b.batch_no = r.batch_no"

// SendRecipients lists a send's recipients by address with their status as
// people read it, optionally only those in one status ("" for all): a
// recipient still pending in a submitted batch is submitted, with the batch's
// message id and time.
func SendRecipients(ctx context.Context, db *gorm.DB, sendID, status string, limit int) ([]SendRecipient, error) {
	// The batch's columns come raw and are applied here: SQLite types a CASE
	// expression's value as text, which a *time.Time cannot scan.
	q := "SELECT r.*, b.status AS batch_status, b.message_id AS batch_message_id, b.submitted_at AS batch_submitted_at FROM send_recipients r " +
		RecipientBatchJoin + " WHERE r.send_id = ?"
	args := []any{sendID}
	if status != "" {
		q += " AND " + RecipientStatusSQL + " = ?"
		args = append(args, status)
	}
	q += " ORDER BY r.email LIMIT ?"
	var rows []struct {
		SendRecipient
		BatchStatus      *string
		BatchMessageID   *string
		BatchSubmittedAt *time.Time
	}
	if err := db.WithContext(ctx).Raw(q, append(args, limit)...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: send recipients: %w", err)
	}
	out := make([]SendRecipient, len(rows))
	for i, r := range rows {
		out[i] = r.SendRecipient
		if r.Status == RecipientPending && r.BatchStatus != nil && *r.BatchStatus == BatchSubmitted {
			out[i].Status, out[i].SubmittedAt = RecipientSubmitted, r.BatchSubmittedAt
			if r.BatchMessageID != nil {
				out[i].MessageID = *r.BatchMessageID
			}
		}
	}
	return out, nil
}

// RecipientStatusCounts counts a send's recipients by their status as people
// read it.
func RecipientStatusCounts(ctx context.Context, db *gorm.DB, sendID string) (map[string]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	err := db.WithContext(ctx).Raw("SELECT "+RecipientStatusSQL+" AS status, COUNT(*) AS n FROM send_recipients r "+RecipientBatchJoin+
		" WHERE r.send_id = ? GROUP BY "+RecipientStatusSQL, sendID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: recipient status counts: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}
