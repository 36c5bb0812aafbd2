package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"pressroom/models"
)

// DispatchSendArgs materialises a dispatched send: at once, or at its scheduled
// time (a time, or when the release's embargo lifts). Re-pointing a held send
// enqueues another for the send's new time; one that runs early (its send was
// moved later) waits, and one whose send is already materialised does nothing.
type DispatchSendArgs struct {
	SendID string `json:"send_id"`
}

// Kind implements river.JobArgs.
func (DispatchSendArgs) Kind() string { return "dispatch_send" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (DispatchSendArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

// DispatchSendWorker turns the send's audience into recipients and batches and
// enqueues the batch jobs, all in one transaction (models.MaterialiseSend): a
// crash before the commit leaves the send queued and this job is retried; after
// it, the batches exist and each is a job. Materialising twice is a no-op.
type DispatchSendWorker struct {
	river.WorkerDefaults[DispatchSendArgs]
	Deps
}

// Timeout implements river.Worker: a million recipients take seconds on
// PostgreSQL; allow for a slow disk.
func (w *DispatchSendWorker) Timeout(*river.Job[DispatchSendArgs]) time.Duration {
	return 10 * time.Minute
}

// Work implements river.Worker.
func (w *DispatchSendWorker) Work(ctx context.Context, job *river.Job[DispatchSendArgs]) error {
	client, err := river.ClientFromContextSafely[*sql.Tx](ctx)
	if err != nil {
		return fmt.Errorf("jobs: dispatch send: %w", err)
	}
	return w.dispatch(ctx, client, job.Args.SendID)
}

// dispatch is the job's work, with the River client that inserts the batch jobs.
func (w *DispatchSendWorker) dispatch(ctx context.Context, client *Client, sendID string) error {
	s, err := models.SendByID(ctx, w.DB.Gorm, sendID)
	if errors.Is(err, models.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	switch s.Status {
	case models.SendPaused:
		if s.HeldReason != "" {
			return nil // held: re-pointing it enqueues a new dispatch job
		}
		return river.JobSnooze(10 * time.Second)
	case models.SendQueued:
	default:
		return nil // cancelled, or already materialised
	}
	start := time.Now()
	s, err = models.MaterialiseSend(ctx, w.DB.Gorm, s.ID, w.Clock.Now(), func(tx *gorm.DB, s *models.Send, nos []int) error {
		return EnqueueSendBatches(ctx, client, tx, s.ID, nos)
	})
	if until, ok := models.IsNotDue(err); ok {
		// Not yet (re-pointed to a later embargo, or supporter mail whose
		// release is not yet public): wait for it, whatever this job's own time.
		return river.JobSnooze(waitFor(until, w.Clock.Now()))
	}
	if err != nil {
		return err
	}
	if s.Status != models.SendSending && s.Status != models.SendSent {
		w.Logger.InfoContext(ctx, "send not materialised", "send", s.ID, "status", s.Status, "held", s.HeldReason)
		return nil
	}
	w.Logger.InfoContext(ctx, "send materialised", "send", s.ID, "recipients", s.Recipients, "suppressed", s.Suppressed, "batches", s.Batches, "took", time.Since(start).String())
	return nil
}

// waitFor is how long to snooze a job that may run at until: at least a
// moment, so a job does not spin on a clock a little behind the database's.
func waitFor(until, now time.Time) time.Duration {
	return max(until.Sub(now), 200*time.Millisecond)
}

// EnqueueDispatch inserts the dispatch job of a send inside tx, scheduled for the
// send's time when it has one.
func EnqueueDispatch(ctx context.Context, client *Client, tx *gorm.DB, s *models.Send) error {
	opts := &river.InsertOpts{}
	if s.ScheduledAt != nil {
		opts.ScheduledAt = *s.ScheduledAt
	}
	return EnqueueTx(ctx, client, tx, DispatchSendArgs{SendID: s.ID}, opts)
}
