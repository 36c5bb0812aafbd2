package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"pressroom/models"
)

// ExpireSignaturesArgs is the periodic job that deletes signatures never
// confirmed within SIGNATURE_PENDING_DAYS.
type ExpireSignaturesArgs struct{}

// Kind implements river.JobArgs.
func (ExpireSignaturesArgs) Kind() string { return "expire_signatures" }

// DefaultSignaturePendingTTL is how long an unconfirmed signature is kept.
const DefaultSignaturePendingTTL = 7 * 24 * time.Hour

// RetentionInterval is how often the retention jobs (expiry, IP erasure) run.
const RetentionInterval = 15 * time.Minute

// ExpireSignaturesWorker deletes expired pending signatures.
type ExpireSignaturesWorker struct {
	river.WorkerDefaults[ExpireSignaturesArgs]
	Deps
}

// Work deletes them with their confirmation links.
func (w *ExpireSignaturesWorker) Work(ctx context.Context, job *river.Job[ExpireSignaturesArgs]) error {
	ttl := w.SignaturePendingTTL
	if ttl <= 0 {
		ttl = DefaultSignaturePendingTTL
	}
	n, err := models.ExpirePendingSignatures(ctx, w.DB.Gorm, ttl, w.Clock.Now())
	if n > 0 {
		w.Logger.InfoContext(ctx, "unconfirmed signatures expired", "signatures", n)
	}
	if err != nil {
		return err
	}
	// Unconfirmed letters follow the same window.
	l, err := models.ExpirePendingLetters(ctx, w.DB.Gorm, ttl, w.Clock.Now())
	if l > 0 {
		w.Logger.InfoContext(ctx, "unconfirmed letters expired", "letters", l)
	}
	return err
}
