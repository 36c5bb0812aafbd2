package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"pressroom/models"
)

// RecountSignaturesArgs is the hourly full recount that reconciles every
// petition's counter rows with its signatures and logs any drift.
type RecountSignaturesArgs struct{}

// Kind implements river.JobArgs.
func (RecountSignaturesArgs) Kind() string { return "recount_signatures" }

// RecountInterval is how often the counters are reconciled.
const RecountInterval = time.Hour

// RecountSignaturesWorker runs the recount.
type RecountSignaturesWorker struct {
	river.WorkerDefaults[RecountSignaturesArgs]
	Deps
}

// Work recounts. Drift means a bug or a manual change: it is logged as a
// warning with both figures, and corrected.
func (w *RecountSignaturesWorker) Work(ctx context.Context, job *river.Job[RecountSignaturesArgs]) error {
	drift, err := models.RecountSignatures(ctx, w.DB.Gorm, w.Clock.Now())
	for _, d := range drift {
		w.Logger.WarnContext(ctx, "petition count drift corrected", "petition", d.PetitionID, "counter", d.Counter, "signatures", d.Actual)
	}
	return err
}
