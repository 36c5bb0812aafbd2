package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"pressroom/models"
)

// Orphan rescue. A worker killed mid-job (SIGKILL, OOM, a lost machine) leaves
// its jobs "running" in river_job; River's own rescuer only retries them after
// RescueStuckJobsAfter (an hour or more with our job timeouts). For a send that
// means a batch stuck for an hour. Instead, each worker process holds a
// PostgreSQL advisory lock named after its River client id for as long as it
// lives; the lock vanishes with its connection when the process dies. Every few
// seconds each worker looks at running jobs, and a job whose worker's lock can
// be taken belongs to a dead process: it is made available again at once. The
// batch checkpoint (models.ClaimBatch) makes the retry safe.

// RescueInterval is how often a worker looks for jobs of dead workers.
const RescueInterval = 2 * time.Second

func livenessKey(clientID string) string { return "pressroom-worker:" + clientID }

// StartRescuer takes this process's liveness lock (PostgreSQL) and starts the
// rescue loop; call it before the River client starts working. On SQLite, where
// exactly one process runs jobs, any job still "running" at start-up was
// orphaned by this process's previous life and is made available at once. The
// returned stop function releases the lock.
func StartRescuer(ctx context.Context, db *models.DB, clientID string, logger *slog.Logger) (stop func(), err error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if db.Dialect != models.Postgres {
		res := db.Gorm.WithContext(ctx).Exec("UPDATE river_job SET state = 'available', scheduled_at = ? WHERE state = 'running'", time.Now().UTC())
		if res.Error != nil {
			return nil, fmt.Errorf("jobs: reset orphaned jobs: %w", res.Error)
		}
		if res.RowsAffected > 0 {
			logger.Warn("orphaned jobs made available again", "jobs", res.RowsAffected)
		}
		return func() {}, nil
	}
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: liveness connection: %w", err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", livenessKey(clientID)); err != nil {
		conn.Release()
		return nil, fmt.Errorf("jobs: liveness lock: %w", err)
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(RescueInterval)
		defer t.Stop()
		for {
			if n, err := RescueOrphans(loopCtx, db.Pool); err != nil {
				if loopCtx.Err() == nil {
					logger.Warn("rescue orphaned jobs", "err", err)
				}
			} else if n > 0 {
				logger.Warn("jobs of a dead worker made available again", "jobs", n)
			}
			select {
			case <-loopCtx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
		_, _ = conn.Exec(context.Background(), "SELECT pg_advisory_unlock(hashtextextended($1, 0))", livenessKey(clientID))
		conn.Release()
	}, nil
}

// RescueOrphans makes the running jobs of dead workers available again and
// returns how many (PostgreSQL). A worker is dead when its liveness lock is free.
func RescueOrphans(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `
WITH running AS (
  SELECT id, attempted_by[array_length(attempted_by, 1)] AS owner
  FROM river_job WHERE state = 'running' AND attempted_by IS NOT NULL
  FOR UPDATE SKIP LOCKED
), owners AS (
  SELECT owner, pg_try_advisory_xact_lock(hashtextextended('pressroom-worker:' || owner, 0)) AS dead
  FROM (SELECT DISTINCT owner FROM running) o
)
UPDATE river_job j SET state = 'available', scheduled_at = now()
FROM running r JOIN owners o ON o.owner = r.owner
WHERE j.id = r.id AND o.dead AND j.state = 'running'`)
	if err != nil {
		return 0, fmt.Errorf("jobs: rescue orphans: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}
