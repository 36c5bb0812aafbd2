package app_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"pressroom/internal/benchkit"
	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
)

// BenchmarkLetters measures Urgent Action letters on PostgreSQL with the
// pacing limit lifted (LETTERS_PER_TARGET_PER_HOUR=0): letters accepted per
// second through the public API (32 concurrent clients over loopback, each
// letter from a writer who confirmed an address before, to the action's two
// targets, so each is queued with its two delivery jobs in its transaction),
// and messages handed to the (fake) SendGrid per second by one worker, from
// the first letter until the last message was accepted. Afterwards every
// accepted letter must have reached each target exactly once.
//
//	TEST_DATABASE_URL=… go test ./app -run '^$' -bench Letters -benchtime 2000x
//
// All clients share one IP, so the per-IP limits are switched off here.
func BenchmarkLetters(b *testing.B) {
	if !strings.HasPrefix(os.Getenv("TEST_DATABASE_URL"), "postgres") {
		b.Skip("BenchmarkLetters measures PostgreSQL: set TEST_DATABASE_URL")
	}
	fake := sendgridfake.New("SG.bench").Start()
	b.Cleanup(fake.Close)
	db := envDB(b, models.Postgres)
	env := newEnv(b, db, envOptions{work: true, transport: jobs.NewSendGrid("SG.bench", fake.URL()), env: map[string]string{"LETTERS_PER_TARGET_PER_HOUR": "0"}})
	env.cfg.Petitions.Limits = models.SignLimits{}
	ua := publishUA(b, env, "2027-01-01T00:00:00Z")
	fake.Reset()
	n := max(b.N, 200)
	writers := make([]models.LetterWriter, n)
	for i := range writers {
		writers[i] = models.LetterWriter{NormalisedEmail: fmt.Sprintf("writer%d@example.org", i), ConfirmedAt: env.clock.Now()}
	}
	if err := db.Gorm.CreateInBatches(writers, 1000).Error; err != nil {
		b.Fatal(err)
	}
	const clients = 32
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	url := env.http.URL + "/api/v1/public/actions/" + ua.action.Slug + "/letters"
	b.ResetTimer()
	start := time.Now()
	res := benchkit.Drive(context.Background(), clients, n, 10*time.Minute, func(i int) bool {
		body := fmt.Sprintf(`{"name":"Writer %d","email":"writer%d@example.org","country":"GB","subject":"Release Sara Ahmed","body":"Letter %d in my own words."}`, i, i, i)
		req, err := http.NewRequest("POST", url, strings.NewReader(body))
		if err != nil {
			return false
		}
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: "pr_writer", Value: env.cfg.WriterProof(fmt.Sprintf("writer%d@example.org", i))})
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusAccepted
	})
	rate, p50, p99, acked := res.Rate(), res.P50, res.P99, res.OK
	want := int(acked) * 2
	deadline := time.Now().Add(10 * time.Minute)
	for fake.Count() < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	handed := time.Since(start)
	b.StopTimer()
	if acked != int64(n) || fake.Count() != want {
		b.Fatalf("%d of %d letters accepted, %d of %d messages at the provider", acked, n, fake.Count(), want)
	}
	seen := map[string]int{}
	for _, r := range fake.Recipients() {
		seen[r.CustomArgs["letter_delivery_id"]]++
	}
	for id, k := range seen {
		if k != 1 {
			b.Fatalf("delivery %s reached the provider %d times", id, k)
		}
	}
	b.ReportMetric(rate, "letters_accepted/s")
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(want)/handed.Seconds(), "messages_to_provider/s")
	fmt.Printf("letters: %d accepted at %.0f/s (p50 %v, p99 %v); %d messages handed to the provider in %v: %.0f/s\n",
		acked, rate, p50.Round(time.Millisecond), p99.Round(time.Millisecond), want, handed.Round(time.Millisecond), float64(want)/handed.Seconds())
}
