package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// sendRig is a PostgreSQL database with a 200,000-supporter send ready to
// dispatch, the built binary and a fake SendGrid for worker processes to use.
type sendRig struct {
	bin, dbURL string
	env        []string
	db         *models.DB
	fake       *sendgridfake.Server
	send       *models.Send
	n          int
}

// syncBuffer is a log sink shared by a process and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newSendRig(t testing.TB, n int) *sendRig {
	if testing.Short() {
		t.Skip("builds the binary and sends to 200,000 recipients")
	}
	if os.Getenv(dbtest.EnvURL) == "" {
		t.Skip("crash and multi-worker tests need PostgreSQL: set TEST_DATABASE_URL")
	}
	ctx := context.Background()
	r := &sendRig{bin: filepath.Join(t.TempDir(), "pressroom"), n: n}
	if out, err := exec.Command("go", "build", "-o", r.bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	r.dbURL = dbtest.NewURL(t, models.Postgres)
	r.fake = sendgridfake.New("SG.crash").Start()
	t.Cleanup(r.fake.Close)
	r.env = append(os.Environ(), "DATABASE_URL="+r.dbURL, "BASE_URL=https://press.example.org", "SESSION_SECRET="+strings.Repeat("s", 40),
		"SENDGRID_API_KEY=SG.crash", "SENDGRID_API_URL="+r.fake.URL(), "MAIL_FROM=Press <press@example.org>")
	db, err := models.Open(ctx, r.dbURL, models.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r.db = db
	org := dbtest.NewOrg(t, db)
	doc := org.Release(t, models.KindActionAlert, "Act before the vote", nil, time.Now().UTC())
	list := dbtest.BulkSupporters(t, db, "crash", n)
	r.send, err = models.CreateSend(ctx, db.Gorm, org.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}}, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// dispatch queues the send through an insert-only River client.
func (r *sendRig) dispatch(t testing.TB) {
	ctx := context.Background()
	client, err := jobs.NewClient(r.db, nil, jobs.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.DispatchSend(ctx, r.db.Gorm, nil, r.send.ID, time.Now().UTC(), func(tx *gorm.DB, s *models.Send) error {
		return jobs.EnqueueDispatch(ctx, client, tx, s)
	}); err != nil {
		t.Fatal(err)
	}
}

func (r *sendRig) startWorker(t testing.TB, logs *syncBuffer) *exec.Cmd {
	cmd := command(r.bin, r.env, "worker")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func (r *sendRig) waitSent(t testing.TB, timeout time.Duration, logs ...*syncBuffer) {
	deadline := time.Now().Add(timeout)
	for {
		s, err := models.SendByID(context.Background(), r.db.Gorm, r.send.ID)
		if err == nil && s.Status == models.SendSent {
			return
		}
		if time.Now().After(deadline) {
			for _, l := range logs {
				out := l.String()
				t.Logf("worker logs (tail):\n%s", out[max(0, len(out)-3000):])
			}
			t.Fatalf("send not sent after %s (status %v); fake accepted %d", timeout, s.Status, r.fake.Count())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// counts returns how often each address was accepted.
func (r *sendRig) counts() map[string]int {
	seen := make(map[string]int, r.n)
	for _, rc := range r.fake.Recipients() {
		seen[rc.Email]++
	}
	return seen
}

// TestWorkerCrashLosesNobody SIGKILLs the worker process at random moments of a
// 200,000-recipient send, five times, restarting it each time. Every recipient
// must be accepted by the provider at least once, and the duplicates are
// bounded by the batches that were in flight at each kill.
func TestWorkerCrashLosesNobody(t *testing.T) {
	const n, kills = 200_000, 5
	r := newSendRig(t, n)
	r.fake.SetFault(sendgridfake.Slow(100 * time.Millisecond)) // keep batches in flight when the kill lands
	logs := &syncBuffer{}
	cmd := r.startWorker(t, logs)
	r.dispatch(t)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for i := 0; i < kills; i++ {
		// Kill at a random point of each sixth of the send, so every kill lands
		// while batches are in flight (the first may land in materialisation).
		target := (i*n+rng.IntN(n))/(kills+1) + 1
		if i == 0 && rng.IntN(2) == 0 {
			target = 0
			time.Sleep(time.Duration(200+rng.IntN(800)) * time.Millisecond)
		}
		deadline := time.Now().Add(60 * time.Second)
		for r.fake.Count() < target && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		before := r.fake.Count()
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		t.Logf("kill %d: provider had accepted %d recipients", i+1, before)
		cmd = r.startWorker(t, logs)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	r.waitSent(t, 150*time.Second, logs)

	seen := r.counts()
	missing, dups := 0, 0
	for i := 1; i <= n; i++ {
		c := seen[fmt.Sprintf("crash-%d@example.org", i)]
		if c == 0 {
			missing++
		}
		if c > 1 {
			dups += c - 1
		}
	}
	t.Logf("%d kills: %d recipients accepted, %d missing, %d duplicates (%.1f batches per kill)", kills, r.fake.Count(), missing, dups, float64(dups)/1000/kills)
	if missing > 0 {
		t.Fatalf("%d recipients never accepted", missing)
	}
	// A kill can only repeat batches that were between their "submitting" mark
	// and their "submitted" commit: at most one per concurrent job slot (20).
	if dups > kills*20*1000 {
		t.Fatalf("%d duplicates for %d kills", dups, kills)
	}
}

// TestTwoWorkersShareASend runs two worker processes on one database: both
// submit batches of one 200,000-recipient send, and nobody is mailed twice.
func TestTwoWorkersShareASend(t *testing.T) {
	const n = 200_000
	r := newSendRig(t, n)
	r.fake.SetFault(sendgridfake.Slow(20 * time.Millisecond))
	logsA, logsB := &syncBuffer{}, &syncBuffer{}
	a, b := r.startWorker(t, logsA), r.startWorker(t, logsB)
	t.Cleanup(func() {
		for _, c := range []*exec.Cmd{a, b} {
			_ = c.Process.Signal(os.Interrupt)
			_ = c.Wait()
		}
	})
	time.Sleep(time.Second) // both listening before the jobs arrive
	r.dispatch(t)
	r.waitSent(t, 120*time.Second, logsA, logsB)
	shareA := strings.Count(logsA.String(), "send batch submitted")
	shareB := strings.Count(logsB.String(), "send batch submitted")
	seen := r.counts()
	t.Logf("worker A submitted %d batches, worker B %d; provider accepted %d recipients, %d distinct", shareA, shareB, r.fake.Count(), len(seen))
	if shareA == 0 || shareB == 0 {
		t.Fatalf("one worker did nothing: %d / %d", shareA, shareB)
	}
	if len(seen) != n || r.fake.Count() != n {
		t.Fatalf("accepted %d recipients, %d distinct; want %d each", r.fake.Count(), len(seen), n)
	}
}

// BenchmarkMillionRecipientSend hands a 1,000,000-supporter send to the fake
// SendGrid through one `pressroom worker` process on PostgreSQL and reports
// recipients per second (dispatch to "sent": materialisation included) and the
// worker's peak resident memory. Run it with
//
//	TEST_DATABASE_URL=… go test -run '^$' -bench MillionRecipientSend -benchtime 1x .
func BenchmarkMillionRecipientSend(b *testing.B) {
	const n = 1_000_000
	r := newSendRig(b, n)
	logs := &syncBuffer{}
	cmd := r.startWorker(b, logs)
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	time.Sleep(time.Second)
	b.ResetTimer()
	start := time.Now()
	r.dispatch(b)
	r.waitSent(b, 5*time.Minute, logs)
	took := time.Since(start)
	b.StopTimer()
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	peak := "unknown"
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			peak = strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	if r.fake.Count() != n {
		b.Fatalf("fake accepted %d of %d", r.fake.Count(), n)
	}
	b.ReportMetric(float64(n)/took.Seconds(), "recipients/s")
	b.Logf("%d recipients handed over in %s (%.0f/s); worker peak RSS %s", n, took.Round(time.Millisecond), float64(n)/took.Seconds(), peak)
}
