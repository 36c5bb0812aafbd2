package jobs_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"pressroom/jobs"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// livenessDB is a fresh PostgreSQL database: liveness locks exist only there.
func livenessDB(t *testing.T) *models.DB {
	t.Helper()
	if os.Getenv(dbtest.EnvURL) == "" {
		t.Skip("liveness locks need PostgreSQL: set TEST_DATABASE_URL")
	}
	return dbtest.New(t, models.Postgres)
}

// runningJob inserts a job that owner is working on, as River leaves it.
func runningJob(t *testing.T, db *models.DB, owner string) int64 {
	t.Helper()
	var id int64
	err := db.Pool.QueryRow(context.Background(), `INSERT INTO river_job (kind, args, state, attempt, max_attempts, attempted_at, attempted_by, queue, priority)
VALUES ('send_batch', '{}', 'running', 1, 25, now(), ARRAY[$1], 'sends', 1) RETURNING id`, owner).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func jobState(t *testing.T, db *models.DB, id int64) string {
	t.Helper()
	var state string
	if err := db.Pool.QueryRow(context.Background(), "SELECT state FROM river_job WHERE id = $1", id).Scan(&state); err != nil {
		t.Fatal(err)
	}
	return state
}

// lockHolder is the backend holding a worker's liveness lock (0: none).
func lockHolder(t *testing.T, db *models.DB, clientID string) int {
	t.Helper()
	var pid int
	err := db.Pool.QueryRow(context.Background(), `SELECT COALESCE(max(pid), 0) FROM pg_locks
WHERE locktype = 'advisory' AND granted AND objsubid = 1
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND classid = ((hashtextextended($1, 0) >> 32) & 4294967295)::oid
  AND objid = (hashtextextended($1, 0) & 4294967295)::oid`, models.WorkerLivenessKey(clientID)).Scan(&pid)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// within polls ok until it holds or d has passed.
func within(d time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// TestRescuerTakesItsLockBack ends the connection holding a worker's liveness
// lock, as a database restart does: the rescuer takes the lock back on a new
// connection within a few seconds, and never takes the worker's own running
// job for a dead worker's. Then it is kept from taking the lock back (the old
// session still holds it, as after a network partition): meanwhile the worker
// is not alive, so it would start no send, and it rescues nobody, not even a
// worker that is really dead; once it has its lock again it rescues that one.
func TestRescuerTakesItsLockBack(t *testing.T) {
	db := livenessDB(t)
	ctx := context.Background()
	live := jobs.NewLiveness()
	stop, err := jobs.StartRescuer(ctx, db, "worker-w", live, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	own := runningJob(t, db, "worker-w")
	first := lockHolder(t, db, "worker-w")
	if first == 0 || !live.Alive() {
		t.Fatalf("after StartRescuer: lock held by backend %d, alive %v", first, live.Alive())
	}

	if _, err := db.Pool.Exec(ctx, "SELECT pg_terminate_backend($1)", first); err != nil {
		t.Fatal(err)
	}
	var again int
	if !within(3*jobs.LivenessInterval+time.Second, func() bool {
		again = lockHolder(t, db, "worker-w")
		return again != 0 && again != first && live.Alive()
	}) {
		t.Fatalf("liveness lock not taken back after its connection ended (held by %d, alive %v)", lockHolder(t, db, "worker-w"), live.Alive())
	}
	// Long enough for a rescue that took the worker for dead to have happened.
	time.Sleep(jobs.OrphanGrace + 2*jobs.RescueInterval)
	if s := jobState(t, db, own); s != "running" {
		t.Fatalf("the worker's own running job was rescued (now %s)", s)
	}

	// The lock's session ends, and this test takes the lock before the rescuer
	// can: the worker cannot prove it is alive.
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend($1)", again); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", models.WorkerLivenessKey("worker-w")); err != nil {
		t.Fatal(err)
	}
	dead := runningJob(t, db, "worker-dead")
	if !within(jobs.LivenessFence+2*jobs.LivenessInterval, func() bool { return !live.Alive() }) {
		t.Fatal("a worker whose lock is lost still counts as alive")
	}
	time.Sleep(jobs.OrphanGrace + 2*jobs.RescueInterval)
	if s := jobState(t, db, dead); s != "running" {
		t.Fatalf("a worker without its liveness lock rescued a dead worker's job (now %s)", s)
	}
	if live.Alive() {
		t.Fatal("a worker whose lock is held elsewhere counts as alive")
	}

	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", models.WorkerLivenessKey("worker-w")); err != nil {
		t.Fatal(err)
	}
	if !within(3*jobs.LivenessInterval+time.Second, func() bool { return lockHolder(t, db, "worker-w") != 0 && live.Alive() }) {
		t.Fatal("liveness lock not taken back once free")
	}
	if !within(jobs.OrphanGrace+2*jobs.RescueInterval+2*time.Second, func() bool { return jobState(t, db, dead) == "available" }) {
		t.Fatalf("the dead worker's job was not rescued once the rescuer had its lock back (still %s)", jobState(t, db, dead))
	}
	if s := jobState(t, db, own); s != "running" {
		t.Fatalf("the worker's own running job was rescued (now %s)", s)
	}
}

// TestRescuerWaitsForAWorkerToTakeItsLockBack checks the other side: another
// worker whose lock is free for a moment (its connection dropped, and it is
// taking the lock back) keeps its running job; once its lock stays free, the
// job is rescued within seconds.
func TestRescuerWaitsForAWorkerToTakeItsLockBack(t *testing.T) {
	db := livenessDB(t)
	ctx := context.Background()
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	key := models.WorkerLivenessKey("worker-x")
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", key); err != nil {
		t.Fatal(err)
	}
	job := runningJob(t, db, "worker-x")
	stop, err := jobs.StartRescuer(ctx, db, "worker-w", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	time.Sleep(jobs.RescueInterval)

	// worker-x's lock is free for a little more than a rescue interval.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", key); err != nil {
		t.Fatal(err)
	}
	time.Sleep(jobs.RescueInterval + jobs.RescueInterval/4)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", key); err != nil {
		t.Fatal(err)
	}
	time.Sleep(jobs.OrphanGrace + jobs.RescueInterval)
	if s := jobState(t, db, job); s != "running" {
		t.Fatalf("the job of a worker that took its lock back was rescued (now %s)", s)
	}

	start := time.Now()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", key); err != nil {
		t.Fatal(err)
	}
	if !within(jobs.OrphanGrace+2*jobs.RescueInterval+2*time.Second, func() bool { return jobState(t, db, job) == "available" }) {
		t.Fatalf("a dead worker's job was not rescued (still %s)", jobState(t, db, job))
	}
	t.Logf("a dead worker's job was rescued %s after its lock was freed", time.Since(start).Round(100*time.Millisecond))
}

// TestBatchOfALiveWorkerIsNotSentTwice runs a batch job on worker B while the
// batch is "submitting" for worker A, whose liveness lock is held (A is alive
// and may be sending it): B sends nothing and snoozes the job. Once A's lock is
// free (A died), B sends the batch, once.
func TestBatchOfALiveWorkerIsNotSentTwice(t *testing.T) {
	db := livenessDB(t)
	ctx := context.Background()
	e := newSendEnv(t, db)
	doc := e.org.Release(t, models.KindActionAlert, "Halt the deportations", nil, time.Now().UTC())
	list := dbtest.BulkSupporters(t, db, "owned", 5)
	s := e.prepare(t, e.org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}})
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", models.WorkerLivenessKey("worker-a")); err != nil {
		t.Fatal(err)
	}
	if c, _, _, err := models.ClaimBatch(ctx, db.Gorm, s.ID, 0, "worker-a", time.Now().UTC()); err != nil || c != models.ClaimSend {
		t.Fatalf("worker-a's claim = %v, %v", c, err)
	}
	w := &jobs.SendBatchWorker{Deps: e.deps}
	job := &river.Job[jobs.SendBatchArgs]{JobRow: &rivertype.JobRow{Attempt: 2, MaxAttempts: jobs.SendBatchMaxAttempts, AttemptedBy: []string{"worker-a", "worker-b"}},
		Args: jobs.SendBatchArgs{SendID: s.ID, BatchNo: 0}}
	err = w.Work(ctx, job)
	var snooze *river.JobSnoozeError
	if !errors.As(err, &snooze) {
		t.Fatalf("worker-b on worker-a's batch: %v, want a snooze", err)
	}
	if n := e.fake.Count(); n != 0 {
		t.Fatalf("worker-b sent %d recipients of a batch a live worker holds", n)
	}
	var b models.SendBatch
	db.Gorm.Take(&b, "send_id = ? AND batch_no = 0", s.ID)
	if b.Status != models.BatchSubmitting || b.ClaimedBy != "worker-a" {
		t.Fatalf("batch after the snooze: %s by %q", b.Status, b.ClaimedBy)
	}

	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", models.WorkerLivenessKey("worker-a")); err != nil {
		t.Fatal(err)
	}
	if err := w.Work(ctx, job); err != nil {
		t.Fatalf("worker-b on a dead worker's batch: %v", err)
	}
	seen := map[string]int{}
	for _, r := range e.fake.Recipients() {
		seen[r.Email]++
	}
	if len(seen) != 5 || e.fake.Count() != 5 {
		t.Fatalf("after worker-a died: %d recipients accepted, %d distinct; want 5 and 5", e.fake.Count(), len(seen))
	}
	db.Gorm.Take(&b, "send_id = ? AND batch_no = 0", s.ID)
	if b.Status != models.BatchSubmitted || b.ClaimedBy != "worker-b" {
		t.Fatalf("batch after worker-b sent it: %s by %q", b.Status, b.ClaimedBy)
	}
}
