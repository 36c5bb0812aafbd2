package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"pressroom/models"
)

// ClosePetitionsArgs is the periodic sweep that closes petitions whose
// closing time has come.
type ClosePetitionsArgs struct{}

// Kind implements river.JobArgs.
func (ClosePetitionsArgs) Kind() string { return "close_petitions" }

// ClosePetitionsInterval is how often due petitions are closed. Signing stops
// at closes_at exactly whatever the lag (Petition.Signable), so the sweep only
// has to catch up with the status, and need not compete every second with the
// embargo lifts.
const ClosePetitionsInterval = 15 * time.Second

// ClosePetitionsWorker closes due petitions.
type ClosePetitionsWorker struct {
	river.WorkerDefaults[ClosePetitionsArgs]
	Deps
}

// Work runs one sweep; closing is a conditional update, so overlaps are
// harmless. Signing already stops at closes_at whatever the sweep's lag.
func (w *ClosePetitionsWorker) Work(ctx context.Context, job *river.Job[ClosePetitionsArgs]) error {
	ids, err := models.CloseDuePetitions(ctx, w.DB.Gorm, w.Clock.Now())
	if len(ids) > 0 {
		w.Logger.InfoContext(ctx, "petitions closed", "petitions", ids)
	}
	return err
}
