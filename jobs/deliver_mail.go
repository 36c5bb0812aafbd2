package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// DeliverMailArgs is one transactional email (approval request, subscription
// confirmation, escalation): a small batch sent outside any campaign send.
type DeliverMailArgs struct {
	Batch Batch `json:"batch"`
	// Purpose says why it was sent, for logs ("approval_request", "confirm").
	Purpose string `json:"purpose"`
}

// Kind implements river.JobArgs.
func (DeliverMailArgs) Kind() string { return "deliver_mail" }

// InsertOpts keeps delivery retries short: a confirmation email hours late is
// worse than a visible failure.
func (DeliverMailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 8}
}

// DeliverMailWorker hands the batch to the mail transport.
type DeliverMailWorker struct {
	river.WorkerDefaults[DeliverMailArgs]
	Mail Transport
}

// Work sends the batch. A permanent provider refusal cancels the job (retrying
// cannot help); a retryable one is snoozed for the provider's reset when it gave
// one, otherwise River's backoff applies.
func (w *DeliverMailWorker) Work(ctx context.Context, job *river.Job[DeliverMailArgs]) error {
	return deliver(ctx, w.Mail, job.Args.Batch, job.Args.Purpose)
}

// deliver sends one transactional batch the way every mail job does.
func deliver(ctx context.Context, mail Transport, b Batch, purpose string) error {
	_, err := mail.Send(ctx, b)
	return deliverError(err, purpose)
}

// deliverError is what a mail job returns for a send's error: a permanent
// refusal cancels the job, a retryable one with the provider's reset snoozes
// it until then, any other error leaves it to River's backoff.
func deliverError(err error, purpose string) error {
	var se *SendError
	if errors.As(err, &se) {
		if !se.Retryable {
			return river.JobCancel(fmt.Errorf("jobs: deliver %s mail: %w", purpose, err))
		}
		if se.RetryAfter > 0 {
			return river.JobSnooze(se.RetryAfter + time.Second)
		}
	}
	if err != nil {
		return fmt.Errorf("jobs: deliver %s mail: %w", purpose, err)
	}
	return nil
}
