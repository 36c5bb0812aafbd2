package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
)

// terminate ends backends of the rig's own database (never another's): with
// lockOnly, the one holding the worker's liveness lock; otherwise every one
// but the connection asking. It returns how many it ended.
func (r *sendRig) terminate(t *testing.T, lockOnly bool) int {
	t.Helper()
	q := `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()`
	if lockOnly {
		q = `SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l
WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`
	}
	ctx := context.Background()
	conn, err := r.db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var n int
	if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitAccepted waits until the fake has accepted at least n recipients.
func (r *sendRig) waitAccepted(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for r.fake.Count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("fake accepted only %d of the %d awaited", r.fake.Count(), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// deliveries reports, for the n addresses of the rig's audience, how many were
// never accepted and how many acceptances were repeats.
func (r *sendRig) deliveries(n int) (missing, dups int) {
	seen := r.counts()
	for i := 1; i <= n; i++ {
		switch c := seen[fmt.Sprintf("crash-%d@example.org", i)]; {
		case c == 0:
			missing++
		case c > 1:
			dups += c - 1
		}
	}
	return missing, dups
}

// TestConnectionLossDuplicatesNobody runs a `pressroom worker` process through
// a send while the database drops its connections, as in a restart or a
// failover (pg_terminate_backend on this test's database only): first the
// connection holding the worker's liveness lock, then every connection of the
// worker, twice. No worker dies, so every recipient must be accepted exactly
// once; and a second send afterwards must also go out exactly once, which it
// can only if the worker took its liveness lock back (otherwise its rescuer
// takes its own running jobs for a dead worker's and runs them again).
func TestConnectionLossDuplicatesNobody(t *testing.T) {
	const n = 40_000
	r := newSendRig(t, n)
	r.fake.SetFault(sendgridfake.Slow(100 * time.Millisecond))
	logs := &syncBuffer{}
	cmd := r.startWorker(t, logs)
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	t.Cleanup(func() {
		if t.Failed() {
			out := logs.String()
			t.Logf("worker logs (tail):\n%s", out[max(0, len(out)-4000):])
		}
	})
	time.Sleep(time.Second) // listening before the jobs arrive
	r.dispatch(t)

	r.waitAccepted(t, n/5)
	t.Logf("at %d accepted: ended %d liveness lock connection(s)", r.fake.Count(), r.terminate(t, true))
	r.waitAccepted(t, n*2/5)
	t.Logf("at %d accepted: ended %d connection(s)", r.fake.Count(), r.terminate(t, false))
	r.waitAccepted(t, n*3/5)
	t.Logf("at %d accepted: ended %d connection(s)", r.fake.Count(), r.terminate(t, false))
	r.waitSent(t, 120*time.Second, logs)
	// Let anything re-run by mistake reach the provider before counting.
	time.Sleep(jobs.OrphanGrace + 2*jobs.RescueInterval)
	missing, dups := r.deliveries(n)
	t.Logf("send through connection loss: %d accepted, %d missing, %d duplicates", r.fake.Count(), missing, dups)
	if missing > 0 || dups > 0 {
		t.Errorf("send through connection loss: %d recipients never accepted, %d accepted more than once; want 0 and 0", missing, dups)
	}

	// A send started afterwards, with no connection lost during it.
	ctx := context.Background()
	by, err := models.UserByID(ctx, r.db.Gorm, *r.send.CreatedBy)
	if err != nil {
		t.Fatal(err)
	}
	auds, err := models.SendAudiences(ctx, r.db.Gorm, r.send.ID)
	if err != nil || len(auds) != 1 {
		t.Fatalf("audiences of the first send: %v, %v", auds, err)
	}
	second, err := models.CreateSend(ctx, r.db.Gorm, by, models.SendInput{DocumentID: r.send.DocumentID, SupporterListIDs: []string{auds[0].RefID}}, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	r.send = second
	r.fake.Reset()
	r.dispatch(t)
	r.waitSent(t, 120*time.Second, logs)
	time.Sleep(jobs.OrphanGrace + 2*jobs.RescueInterval)
	missing, dups = r.deliveries(n)
	t.Logf("send afterwards: %d accepted, %d missing, %d duplicates", r.fake.Count(), missing, dups)
	if missing > 0 || dups > 0 {
		t.Errorf("send after the connection loss: %d recipients never accepted, %d accepted more than once; want 0 and 0", missing, dups)
	}
}

// TestConnectionLossTwoWorkersDuplicateNobody runs two worker processes through
// a send while every connection to the database is ended, twice. Each worker
// loses its liveness lock with its connections and sees the other's free for a
// moment; neither may take the other's jobs for a dead worker's, so every
// recipient is accepted exactly once.
func TestConnectionLossTwoWorkersDuplicateNobody(t *testing.T) {
	const n = 40_000
	r := newSendRig(t, n)
	r.fake.SetFault(sendgridfake.Slow(50 * time.Millisecond))
	logsA, logsB := &syncBuffer{}, &syncBuffer{}
	a, b := r.startWorker(t, logsA), r.startWorker(t, logsB)
	t.Cleanup(func() {
		for _, c := range []*exec.Cmd{a, b} {
			_ = c.Process.Signal(os.Interrupt)
			_ = c.Wait()
		}
	})
	time.Sleep(time.Second)
	r.dispatch(t)
	r.waitAccepted(t, n/4)
	t.Logf("at %d accepted: ended %d connection(s)", r.fake.Count(), r.terminate(t, false))
	r.waitAccepted(t, n/2)
	t.Logf("at %d accepted: ended %d connection(s)", r.fake.Count(), r.terminate(t, false))
	r.waitSent(t, 120*time.Second, logsA, logsB)
	time.Sleep(jobs.OrphanGrace + 2*jobs.RescueInterval)
	missing, dups := r.deliveries(n)
	shareA := strings.Count(logsA.String(), "send batch submitted")
	shareB := strings.Count(logsB.String(), "send batch submitted")
	t.Logf("worker A submitted %d batches, worker B %d; %d accepted, %d missing, %d duplicates", shareA, shareB, r.fake.Count(), missing, dups)
	if missing > 0 || dups > 0 {
		for _, l := range []*syncBuffer{logsA, logsB} {
			out := l.String()
			t.Logf("worker logs (tail):\n%s", out[max(0, len(out)-3000):])
		}
		t.Fatalf("%d recipients never accepted, %d accepted more than once; want 0 and 0", missing, dups)
	}
}
