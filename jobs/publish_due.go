package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"pressroom/models"
)

// PublishDueArgs is the periodic sweep that lifts embargoes: every scheduled
// release whose embargo time has come is published.
type PublishDueArgs struct{}

// Kind implements river.JobArgs.
func (PublishDueArgs) Kind() string { return "publish_due" }

// PublishInterval is how often embargoes are checked: a release goes public at
// most this long after its embargo time (plus the job's own latency).
const PublishInterval = time.Second

// PublishDueWorker publishes due releases.
type PublishDueWorker struct {
	river.WorkerDefaults[PublishDueArgs]
	Deps
}

// Work runs one sweep. Publishing is idempotent (a conditional update), so
// overlapping sweeps on several workers are harmless.
func (w *PublishDueWorker) Work(ctx context.Context, job *river.Job[PublishDueArgs]) error {
	ids, err := models.PublishDue(ctx, w.DB.Gorm, w.Clock.Now())
	if len(ids) > 0 && w.Logger != nil {
		w.Logger.InfoContext(ctx, "embargo lifted", "documents", ids)
	}
	return err
}
