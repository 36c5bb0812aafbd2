package jobs

import (
	"context"

	"github.com/riverqueue/river"

	"pressroom/models"
)

// InvalidateSignaturesArgs runs one bulk invalidation a campaigner previewed
// and applied. It is enqueued in the transaction that records it.
type InvalidateSignaturesArgs struct {
	InvalidationID string `json:"invalidation_id"`
}

// Kind implements river.JobArgs.
func (InvalidateSignaturesArgs) Kind() string { return "invalidate_signatures" }

// InvalidateSignaturesWorker runs it.
type InvalidateSignaturesWorker struct {
	river.WorkerDefaults[InvalidateSignaturesArgs]
	Deps
}

// Work invalidates page by page with progress; a retry resumes where it
// stopped, since invalidated signatures no longer match.
func (w *InvalidateSignaturesWorker) Work(ctx context.Context, job *river.Job[InvalidateSignaturesArgs]) error {
	return models.RunInvalidation(ctx, w.DB.Gorm, job.Args.InvalidationID, w.Clock.Now())
}
