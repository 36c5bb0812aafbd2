package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"pressroom/models"
)

// CountSignaturesArgs is the periodic job that adds newly confirmed signatures
// to the petitions' counter rows: the one writer of the public count.
type CountSignaturesArgs struct{}

// Kind implements river.JobArgs.
func (CountSignaturesArgs) Kind() string { return "count_signatures" }

// DefaultSignatureCountInterval is how often the count moves unless
// SIGNATURE_COUNT_INTERVAL says otherwise; count.json is cached as long.
const DefaultSignatureCountInterval = 2 * time.Second

// uniqueWhileQueued keeps at most one job of a kind waiting or running, so a
// slow run is never joined by a second one (the counting is safe under
// overlap anyway; this keeps it cheap).
var uniqueWhileQueued = river.UniqueOpts{ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRunning, rivertype.JobStateScheduled, rivertype.JobStateRetryable}}

// CountSignaturesWorker runs the count.
type CountSignaturesWorker struct {
	river.WorkerDefaults[CountSignaturesArgs]
	Deps
}

// Work adds every confirmed, uncounted signature to its counters.
func (w *CountSignaturesWorker) Work(ctx context.Context, job *river.Job[CountSignaturesArgs]) error {
	n, err := models.CountNewSignatures(ctx, w.DB.Gorm, w.Clock.Now())
	if n > 0 {
		w.Logger.DebugContext(ctx, "signatures counted", "signatures", n)
	}
	return err
}
