package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"pressroom/models"
)

// ImportAudienceArgs imports a large CSV file queued by the admin UI. The file
// and mapping wait in the imports row (models.QueueImport); the job only
// carries its id.
type ImportAudienceArgs struct {
	ImportID string `json:"import_id"`
}

// Kind implements river.JobArgs.
func (ImportAudienceArgs) Kind() string { return "import_audience" }

// InsertOpts retries a few times: a chunked import resumes where it stopped.
func (ImportAudienceArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

// ImportChunkRows is how many rows a background import writes per transaction
// (and per progress update).
const ImportChunkRows = 2000

// ImportAudienceWorker runs queued imports.
type ImportAudienceWorker struct {
	river.WorkerDefaults[ImportAudienceArgs]
	DB *models.DB
}

// Timeout allows for very large files on a busy database.
func (w *ImportAudienceWorker) Timeout(*river.Job[ImportAudienceArgs]) time.Duration {
	return 30 * time.Minute
}

// Work imports the file in chunks, recording progress after each.
func (w *ImportAudienceWorker) Work(ctx context.Context, job *river.Job[ImportAudienceArgs]) error {
	if err := models.RunImport(ctx, w.DB.Gorm, job.Args.ImportID, ImportChunkRows); err != nil {
		return fmt.Errorf("jobs: import audience: %w", err)
	}
	return nil
}
