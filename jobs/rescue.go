package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"pressroom/models"
)

// Orphan rescue. A worker killed mid-job (SIGKILL, OOM, a lost machine) leaves
// its jobs "running" in river_job; River's own rescuer only retries them after
// RescueStuckJobsAfter (an hour or more with our job timeouts). For a send that
// means a batch stuck for an hour. Instead, each worker process holds a
// PostgreSQL advisory lock named after its River client id
// (models.WorkerLivenessKey) for as long as it lives; the lock vanishes with its
// connection when the process dies. Every few seconds each worker looks at
// running jobs, and a job whose worker's lock stays free belongs to a dead
// process: it is made available again at once. The batch checkpoint
// (models.ClaimBatch) makes the retry safe.
//
// The lock also vanishes when only the connection dies (a database restart, a
// failover, a network blip), while the process lives on with jobs in hand. So
// the lock is held on a connection of its own, outside the pool, and checked
// every LivenessInterval; when it is gone it is taken again on a new
// connection. Until then the worker cannot prove it is alive, and it neither
// rescues anyone (it would take its own jobs for a dead worker's) nor starts a
// send request (another worker may be about to take the batch over). Other
// workers, for their part, only rescue the jobs of a worker whose lock stayed
// free for OrphanGrace, long enough for a live one to take it back.

// RescueInterval is how often a worker looks for jobs of dead workers.
const RescueInterval = 2 * time.Second

// LivenessInterval is how often a worker checks that it still holds its
// liveness lock, and tries to take it again when it does not.
const LivenessInterval = time.Second

// OrphanGrace is how long a worker's liveness lock must stay free before its
// running jobs are rescued. A live worker that lost its connection takes the
// lock back within a LivenessInterval of the database answering again.
const OrphanGrace = 3 * time.Second

// LivenessFence is how long after its lock was last seen held a worker may
// still start a send request. It is no longer than OrphanGrace, so every
// request a worker starts begins before anyone may rescue its jobs.
const LivenessFence = OrphanGrace

// livenessQueryTimeout bounds one check or take of the lock: a connection that
// does not answer (a network partition) counts as lost.
const livenessQueryTimeout = 2 * time.Second

// heldSQL reports whether this session holds the advisory lock $1: a bigint
// key appears in pg_locks split into classid (high half) and objid (low half),
// with objsubid 1.
const heldSQL = `SELECT EXISTS (SELECT 1 FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND objsubid = 1
  AND classid = ((hashtextextended($1, 0) >> 32) & 4294967295)::oid
  AND objid = (hashtextextended($1, 0) & 4294967295)::oid)`

// Liveness is what a worker process knows of its own liveness lock: whether it
// was held when last checked, and when. The rescuer keeps it up to date; the
// send path asks it before every request. A nil *Liveness (SQLite, or workers
// run without a rescuer in tests) is always alive.
type Liveness struct {
	mu       sync.Mutex
	always   bool
	verified time.Time // last time the lock was seen held; zero while lost
}

// NewLiveness returns a Liveness that is not alive until StartRescuer has taken
// the lock.
func NewLiveness() *Liveness { return &Liveness{} }

// Alive reports whether the lock was seen held within LivenessFence.
func (l *Liveness) Alive() bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.always || (!l.verified.IsZero() && time.Since(l.verified) < LivenessFence)
}

func (l *Liveness) set(held bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if held {
		l.verified = time.Now()
	} else {
		l.verified = time.Time{}
	}
}

// wait returns once the worker is alive, or with ctx's error.
func (l *Liveness) wait(ctx context.Context) error {
	for !l.Alive() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("jobs: waiting for the liveness lock: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// StartRescuer takes this process's liveness lock (PostgreSQL) and starts the
// loop that keeps it and rescues dead workers' jobs; call it before the River
// client starts working, with the Liveness given to the workers (Deps.Liveness;
// nil when nothing else asks). On SQLite, where exactly one process runs jobs,
// any job still "running" at start-up was orphaned by this process's previous
// life and is made available at once. The returned stop function releases the
// lock.
func StartRescuer(ctx context.Context, db *models.DB, clientID string, live *Liveness, logger *slog.Logger) (stop func(), err error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if live == nil {
		live = NewLiveness()
	}
	if db.Dialect != models.Postgres {
		live.mu.Lock()
		live.always = true
		live.mu.Unlock()
		res := db.Gorm.WithContext(ctx).Exec("UPDATE river_job SET state = 'available', scheduled_at = ? WHERE state = 'running'", time.Now().UTC())
		if res.Error != nil {
			return nil, fmt.Errorf("jobs: reset orphaned jobs: %w", res.Error)
		}
		if res.RowsAffected > 0 {
			logger.Warn("orphaned jobs made available again", "jobs", res.RowsAffected)
		}
		return func() {}, nil
	}
	r := &rescuer{db: db, clientID: clientID, key: models.WorkerLivenessKey(clientID), connConfig: db.Pool.Config().ConnConfig,
		live: live, logger: logger, suspects: map[string]time.Time{}}
	if err := r.take(ctx, true); err != nil {
		return nil, err
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.loop(loopCtx)
	}()
	return func() {
		cancel()
		<-done
		r.drop(context.Background())
	}, nil
}

// rescuer holds the liveness lock and rescues dead workers' jobs. Only its
// loop goroutine touches it after StartRescuer.
type rescuer struct {
	db         *models.DB
	clientID   string
	key        string
	connConfig *pgx.ConnConfig
	live       *Liveness
	logger     *slog.Logger

	conn *pgx.Conn // the lock's own connection; nil while the lock is lost
	// suspects are the workers whose locks were free at every look since the
	// time recorded; they are dead once that is OrphanGrace ago.
	suspects map[string]time.Time
}

func (r *rescuer) loop(ctx context.Context) {
	check := time.NewTicker(LivenessInterval)
	defer check.Stop()
	var lastRescue time.Time
	for {
		if r.hold(ctx) && time.Since(lastRescue) >= RescueInterval-LivenessInterval/2 {
			lastRescue = time.Now()
			if n, err := r.rescue(ctx); err != nil {
				if ctx.Err() == nil {
					r.logger.Warn("rescue orphaned jobs", "err", err)
				}
			} else if n > 0 {
				r.logger.Warn("jobs of a dead worker made available again", "jobs", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-check.C:
		}
	}
}

// hold reports whether the lock is held, checking it on its connection and
// taking it again on a new one when it was lost.
func (r *rescuer) hold(ctx context.Context) bool {
	if r.conn != nil {
		qctx, cancel := context.WithTimeout(ctx, livenessQueryTimeout)
		var held bool
		err := r.conn.QueryRow(qctx, heldSQL, r.key).Scan(&held)
		cancel()
		if err == nil && held {
			r.live.set(true)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		r.live.set(false)
		r.logger.Warn("liveness lock lost; sends and rescues wait until it is taken again", "err", err, "held", held)
		r.drop(ctx)
		// Looks taken before the loss prove nothing about who is alive now.
		clear(r.suspects)
	}
	if err := r.take(ctx, false); err != nil {
		if ctx.Err() == nil {
			r.logger.Warn("liveness lock not taken yet", "err", err)
		}
		return false
	}
	r.logger.Info("liveness lock taken again")
	return true
}

// take opens a connection of the lock's own and takes the lock on it. At
// start-up (wait) it waits for the lock; later it only tries, since the lock
// may still be held by this process's old session until the server notices
// that session is gone, or for an instant by another worker looking at it.
func (r *rescuer) take(ctx context.Context, wait bool) error {
	qctx, cancel := context.WithTimeout(ctx, livenessQueryTimeout)
	defer cancel()
	if wait {
		qctx = ctx
	}
	conn, err := pgx.ConnectConfig(qctx, r.connConfig.Copy())
	if err != nil {
		return fmt.Errorf("jobs: liveness connection: %w", err)
	}
	got := true
	if wait {
		_, err = conn.Exec(qctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", r.key)
	} else {
		err = conn.QueryRow(qctx, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", r.key).Scan(&got)
	}
	if err == nil && !got {
		err = errors.New("held by another session")
	}
	if err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return fmt.Errorf("jobs: liveness lock: %w", err)
	}
	r.conn = conn
	r.live.set(true)
	return nil
}

// drop closes the lock's connection, which releases the lock.
func (r *rescuer) drop(ctx context.Context) {
	if r.conn == nil {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), livenessQueryTimeout)
	defer cancel()
	_ = r.conn.Close(cctx)
	r.conn = nil
}

// rescue makes the running jobs of dead workers available again and returns
// how many. A worker is dead when its liveness lock has been free at every look
// for OrphanGrace; the locks of the workers found dead are held until the
// rescue commits.
func (r *rescuer) rescue(ctx context.Context) (int, error) {
	tx, err := r.db.Pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("jobs: rescue orphans: %w", err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `
SELECT owner FROM (
  SELECT DISTINCT attempted_by[array_length(attempted_by, 1)] AS owner
  FROM river_job WHERE state = 'running' AND attempted_by IS NOT NULL
) o
WHERE owner <> $2 AND pg_try_advisory_xact_lock(hashtextextended($1 || owner, 0))`, models.WorkerLivenessPrefix, r.clientID)
	if err != nil {
		return 0, fmt.Errorf("jobs: rescue orphans: %w", err)
	}
	free, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("jobs: rescue orphans: %w", err)
	}
	now := time.Now()
	seen := make(map[string]time.Time, len(free))
	var dead []string
	for _, owner := range free {
		since, ok := r.suspects[owner]
		if !ok {
			since = now
		}
		seen[owner] = since
		if now.Sub(since) >= OrphanGrace {
			dead = append(dead, owner)
		}
	}
	// A worker seen holding its lock is no longer suspect.
	r.suspects = seen
	if len(dead) == 0 {
		return 0, nil
	}
	tag, err := tx.Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now()
WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] = ANY($1)`, dead)
	if err != nil {
		return 0, fmt.Errorf("jobs: rescue orphans: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("jobs: rescue orphans: %w", err)
	}
	for _, owner := range dead {
		delete(r.suspects, owner)
	}
	return int(tag.RowsAffected()), nil
}
