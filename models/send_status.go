package models

import (
	"context"
	"fmt"

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
