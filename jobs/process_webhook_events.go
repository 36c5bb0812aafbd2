package jobs

import (
	"context"

	"github.com/riverqueue/river"

	"pressroom/models"
)

// ProcessWebhookEventsArgs applies stored Event Webhook events. The webhook
// handler stores the raw events and enqueues one in the same transaction, so an
// event is either not acknowledged to SendGrid (which retries) or certain to be
// processed.
type ProcessWebhookEventsArgs struct{}

// Kind implements river.JobArgs.
func (ProcessWebhookEventsArgs) Kind() string { return "process_webhook_events" }

// ProcessWebhookEventsWorker drains every unprocessed event in chunks. Processing
// is idempotent (models.ProcessWebhookEvents), so overlapping runs are harmless.
type ProcessWebhookEventsWorker struct {
	river.WorkerDefaults[ProcessWebhookEventsArgs]
	DB *models.DB
}

// webhookChunk bounds one transaction of event processing.
const webhookChunk = 1000

// Work implements river.Worker.
func (w *ProcessWebhookEventsWorker) Work(ctx context.Context, job *river.Job[ProcessWebhookEventsArgs]) error {
	for {
		n, err := models.ProcessWebhookEvents(ctx, w.DB.Gorm, webhookChunk)
		if err != nil {
			return err
		}
		if n < webhookChunk {
			return nil
		}
	}
}
