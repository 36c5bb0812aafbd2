package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"pressroom/internal/benchkit"
	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// sendRows sends one published release to a realistic audience of n mailboxes
// (dbtest.BulkAudience: two supporter lists sharing 5 % of their addresses in
// mixed case, 2 % suppressed, 1 % unsubscribed, n/50 journalists) through a
// River worker in this process and the fake SendGrid over loopback, while a
// few hundred supporters unsubscribe: at 0 ms provider latency with one request
// in flight, right after the SQL floor on the same data (benchkit.SendFloor),
// then at 0 ms and at 200 ms per request with inFlight requests in flight.
// PostgreSQL only, like the floor.
func sendRows(ctx context.Context, db *models.DB, n, inFlight int, cpuProfile string) ([]row, error) {
	if db.Dialect != models.Postgres {
		return []row{{measurement: fmt.Sprintf("%s-recipient send", count(n)), figure: "measured on PostgreSQL only", baseline: "SQL floor",
			target: "≤ 1.3× floor; ≤ 30 s at 200 ms", met: "—"}}, nil
	}
	// The send's worker runs every queue: what the earlier rows left queued
	// (the signing rows' confirmation mail) would share its time and the
	// fake. The send starts from an empty queue.
	if err := db.Gorm.WithContext(ctx).Exec("DELETE FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'pending')").Error; err != nil {
		return nil, fmt.Errorf("empty the job queue: %w", err)
	}
	start := time.Now()
	a, err := dbtest.BulkAudience(ctx, db, "bench", n)
	if err != nil {
		return nil, err
	}
	if err := db.Gorm.WithContext(ctx).Exec("VACUUM ANALYZE supporters, supporter_list_members, media_contacts, media_list_members, suppressions").Error; err != nil {
		return nil, err
	}
	want := a.Deliverable()
	fmt.Fprintf(os.Stderr, "  send audience of %d mailboxes (%d deliverable) built in %s\n", a.Supporters+a.Journalists, len(want), time.Since(start).Round(time.Second))
	var admin models.User
	if err := db.Gorm.WithContext(ctx).First(&admin, "role = ?", models.RoleAdmin).Error; err != nil {
		return nil, fmt.Errorf("seeded admin: %w", err)
	}
	var docID string
	if err := db.Gorm.WithContext(ctx).Table("documents").Where("status = ? AND approved_revision > 0", models.StatusPublished).Order("id").Limit(1).
		Pluck("id", &docID).Error; err != nil || docID == "" {
		return nil, fmt.Errorf("a published release to send: %v", err)
	}
	fake := sendgridfake.New("SG.bench").Start()
	defer fake.Close()

	floor, err := benchkit.SendFloor(ctx, db, a, "floor")
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "  SQL floor: %s (load %s)\n", floor, benchkit.LoadAverage())
	// The profile covers the first timed send alone: it stops when the send
	// is sent, before the check of what the fake accepted (decoding a
	// million recipients, which would otherwise be a third of it).
	stopProfile := func() {}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		stopProfile = sync.OnceFunc(pprof.StopCPUProfile)
		defer stopProfile()
	}
	r0, err := timeSend(ctx, db, fake, &admin, docID, a, want, 0, 1, stopProfile)
	if err != nil {
		return nil, err
	}
	// The same at 0 ms with the requests in flight the 200 ms row uses: what
	// an operator who raised SENDS_IN_FLIGHT gets from a fast provider.
	var r0n sendRun
	if inFlight > 1 {
		if r0n, err = timeSend(ctx, db, fake, &admin, docID, a, want, 0, inFlight, nil); err != nil {
			return nil, err
		}
	}
	r200, err := timeSend(ctx, db, fake, &admin, docID, a, want, 200*time.Millisecond, inFlight, nil)
	if err != nil {
		return nil, err
	}
	ratio := r0.took.Seconds() / floor.Total().Seconds()
	// 30 s for a million at 200 ms scales with the batches: 30 µs per recipient.
	target200 := time.Duration(n) * 30 * time.Microsecond
	rows := []row{
		{measurement: fmt.Sprintf("%s-recipient send at 0 ms, 1 request in flight", count(n)), figure: r0.String(),
			baseline: "SQL floor " + floor.String(), ratio: fmt.Sprintf("%.2f×", ratio), target: "≤ 1.3× floor", met: yes(ratio <= 1.3)},
	}
	if inFlight > 1 {
		ratio := r0n.took.Seconds() / floor.Total().Seconds()
		rows = append(rows, row{measurement: fmt.Sprintf("%s-recipient send at 0 ms, %d requests in flight", count(n), inFlight), figure: r0n.String(),
			baseline: "SQL floor " + floor.String(), ratio: fmt.Sprintf("%.2f×", ratio), target: "≤ 1.3× floor", met: yes(ratio <= 1.3)})
	}
	return append(rows, row{measurement: fmt.Sprintf("%s-recipient send at 200 ms, %d requests in flight", count(n), inFlight), figure: r200.String(),
		target: fmt.Sprintf("≤ %.1f s (30 s per million)", target200.Seconds()), met: yes(r200.took <= target200)}), nil
}

func count(n int) string {
	if n%1_000_000 == 0 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	return fmt.Sprintf("%d", n)
}

type sendRun struct {
	took                  time.Duration
	materialised          time.Duration // until the recipients and batches were committed (polled every 50 ms)
	accepted, unsubscribe int
	load                  string
}

func (r sendRun) String() string {
	return fmt.Sprintf("%.1f s (materialised after %.1f s; %d accepted, %d unsubscribed during it; load %s)", r.took.Seconds(), r.materialised.Seconds(),
		r.accepted, r.unsubscribe, r.load)
}

// timeSend creates, dispatches and times one send to the whole audience, with a
// worker of its own, and checks nobody deliverable was missed or mailed twice.
func timeSend(ctx context.Context, db *models.DB, fake *sendgridfake.Server, by *models.User, docID string, a *dbtest.Audience, want map[string]bool,
	latency time.Duration, inFlight int, sent func()) (sendRun, error) {
	var out sendRun
	fake.Reset()
	fake.SetLatency(latency)
	defer fake.SetLatency(0)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	workers := river.NewWorkers()
	jobs.Register(workers, jobs.Deps{DB: db, Mail: jobs.NewSendGrid("SG.bench", fake.URL()), Clock: models.SystemClock{}, Logger: logger,
		BaseURL: "https://press.example.org", MailFrom: jobs.Address{Email: "press@example.org", Name: "Press"}, UnsubscribeKey: []byte("bench unsubscribe key"),
		SendsInFlight: inFlight})
	client, err := jobs.NewClient(db, workers, jobs.ClientOptions{Work: true, Logger: logger, SendsInFlight: inFlight, NoPeriodic: true})
	if err != nil {
		return out, err
	}
	if err := client.Start(ctx); err != nil {
		return out, err
	}
	defer client.Stop(context.WithoutCancel(ctx))
	now := time.Now().UTC()
	s, err := models.CreateSend(ctx, db.Gorm, by, models.SendInput{DocumentID: docID, SupporterListIDs: a.SupporterLists[:], MediaListIDs: []string{a.MediaList}}, now)
	if err != nil {
		return out, err
	}
	start := time.Now()
	if _, err := models.DispatchSend(ctx, db.Gorm, by, s.ID, now, func(tx *gorm.DB, s *models.Send) error {
		return jobs.EnqueueDispatch(ctx, client, tx, s)
	}); err != nil {
		return out, err
	}
	unsub := benchkit.StartUnsubscriber(ctx, db, a, want, 300, 20*time.Millisecond)
	deadline := start.Add(10 * time.Minute)
	for {
		got, err := models.SendByID(ctx, db.Gorm, s.ID)
		if err != nil {
			return out, err
		}
		if out.materialised == 0 && got.MaterialisedAt != nil {
			out.materialised = time.Since(start)
		}
		if got.Status == models.SendSent {
			break
		}
		if time.Now().After(deadline) {
			return out, fmt.Errorf("send not sent after 10 minutes (%s); the fake accepted %d", got.Status, fake.Count())
		}
		time.Sleep(50 * time.Millisecond)
	}
	out.took, out.load = time.Since(start), benchkit.LoadAverage()
	if sent != nil {
		sent()
	}
	gone, err := unsub.Stop()
	if err != nil {
		return out, err
	}
	out.unsubscribe = len(gone)
	var emails []string
	for _, rc := range fake.Recipients() {
		// The worker also runs whatever else is queued in this database (the
		// signing rows' confirmation mail): only this send's messages count.
		if rc.CustomArgs["send_id"] != s.ID {
			continue
		}
		if !want[rc.Email] {
			return out, fmt.Errorf("%s is not deliverable and was mailed", rc.Email)
		}
		emails = append(emails, rc.Email)
	}
	out.accepted = len(emails)
	if dups, mixed := benchkit.Duplicates(emails); dups > 0 || mixed > 0 || len(emails) < len(want)-out.unsubscribe {
		return out, fmt.Errorf("the fake accepted %d (%d repeats, %d not lower-case) of %d deliverable, %d unsubscribed during the send",
			len(emails), dups, mixed, len(want), out.unsubscribe)
	}
	// Whoever unsubscribed is no longer deliverable for the next send.
	for _, e := range gone {
		delete(want, e)
	}
	fmt.Fprintf(os.Stderr, "  send at %s, %d in flight: %s\n", latency, inFlight, out)
	return out, nil
}
