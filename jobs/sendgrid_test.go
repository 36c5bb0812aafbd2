package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
)

const testAPIKey = "SG.test-key"

// startFake runs a fake SendGrid for one test.
func startFake(t testing.TB) *sendgridfake.Server {
	t.Helper()
	f := sendgridfake.New(testAPIKey).Start()
	t.Cleanup(f.Close)
	return f
}

// testBatch builds a campaign-like batch of n recipients, each with its own name
// substitution, one-click unsubscribe headers and id-only custom args.
func testBatch(n int) jobs.Batch {
	b := jobs.Batch{
		From:       jobs.Address{Email: "press@example.org", Name: "Press Office"},
		ReplyTo:    &jobs.Address{Email: "replies@example.org"},
		Subject:    "EMBARGOED: statement for -name-",
		Text:       "Dear -name-,\nthe statement follows.",
		HTML:       "<p>Dear -name-,</p><p>the statement follows.</p>",
		Categories: []string{"press_release"},
		CustomArgs: map[string]string{"send_id": "send-42"},
	}
	for i := range n {
		b.Recipients = append(b.Recipients, jobs.Recipient{
			To:            jobs.Address{Email: fmt.Sprintf("journalist%04d@example.org", i), Name: fmt.Sprintf("Journalist %d", i)},
			Substitutions: map[string]string{"-name-": fmt.Sprintf("Reporter %d", i)},
			Headers: map[string]string{
				"List-Unsubscribe":      fmt.Sprintf("<https://press.example.org/u/tok%04d>", i),
				"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
			},
			CustomArgs: map[string]string{"recipient_id": fmt.Sprintf("r%04d", i)},
		})
	}
	return b
}

// sendErr asserts err is a *jobs.SendError and returns it.
func sendErr(t *testing.T, err error) *jobs.SendError {
	t.Helper()
	var se *jobs.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want *jobs.SendError", err, err)
	}
	return se
}

func TestSendGridSendsBatchOf1000InOneRequest(t *testing.T) {
	fake := startFake(t)
	sg := jobs.NewSendGrid(testAPIKey, fake.URL())

	res, err := sg.Send(context.Background(), testBatch(jobs.MaxBatchRecipients))
	if err != nil {
		t.Fatal(err)
	}
	acc := fake.Accepted()
	if len(acc) != 1 || fake.Requests() != 1 {
		t.Fatalf("accepted %d requests out of %d, want exactly one", len(acc), fake.Requests())
	}
	if res.MessageID == "" || res.MessageID != acc[0].MessageID {
		t.Fatalf("result message id %q, fake answered %q", res.MessageID, acc[0].MessageID)
	}
	if got := len(acc[0].Body.Personalizations); got != 1000 {
		t.Fatalf("personalizations = %d, want one per recipient", got)
	}
	if c := acc[0].Body.Content; len(c) != 2 || c[0].Type != "text/plain" || c[1].Type != "text/html" {
		t.Fatalf("content = %+v, want text/plain then text/html", c)
	}

	rcpts := fake.Recipients()
	if len(rcpts) != 1000 {
		t.Fatalf("recipients = %d, want 1000", len(rcpts))
	}
	for i, r := range rcpts {
		wantEmail := fmt.Sprintf("journalist%04d@example.org", i)
		if r.Email != wantEmail || r.Field != "to" || r.Name != fmt.Sprintf("Journalist %d", i) {
			t.Fatalf("recipient %d = %s %q (%s), want %s", i, r.Email, r.Name, r.Field, wantEmail)
		}
		subject, text, html := r.Render()
		wantName := fmt.Sprintf("Reporter %d", i)
		if subject != "EMBARGOED: statement for "+wantName || !strings.HasPrefix(text, "Dear "+wantName+",") || !strings.Contains(html, "Dear "+wantName+",") {
			t.Fatalf("recipient %d saw subject %q, text %q, html %q", i, subject, text, html)
		}
		if got, want := r.Headers["List-Unsubscribe"], fmt.Sprintf("<https://press.example.org/u/tok%04d>", i); got != want {
			t.Fatalf("recipient %d List-Unsubscribe = %q, want %q", i, got, want)
		}
		if got := r.Headers["List-Unsubscribe-Post"]; got != "List-Unsubscribe=One-Click" {
			t.Fatalf("recipient %d List-Unsubscribe-Post = %q", i, got)
		}
		if r.CustomArgs["send_id"] != "send-42" || r.CustomArgs["recipient_id"] != fmt.Sprintf("r%04d", i) {
			t.Fatalf("recipient %d custom args = %v, want the batch's and its own", i, r.CustomArgs)
		}
		if !strings.HasPrefix(r.SGMessageID, res.MessageID+".") {
			t.Fatalf("recipient %d sg_message_id %q does not start with the request's id", i, r.SGMessageID)
		}
	}
	if b := acc[0].Body; b.ReplyTo == nil || b.ReplyTo.Email != "replies@example.org" || len(b.Categories) != 1 {
		t.Fatalf("reply_to %+v, categories %v", b.ReplyTo, b.Categories)
	}
}

// TestSendGridRefusesBeforeRequest checks batches SendGrid would refuse are failed
// locally and permanently, without spending a request.
func TestSendGridRefusesBeforeRequest(t *testing.T) {
	dup := testBatch(3)
	dup.Recipients[2].To.Email = "JOURNALIST0000@example.org"
	noSubject := testBatch(1)
	noSubject.Subject = "  "
	tests := map[string]struct {
		batch jobs.Batch
		want  string
	}{
		"1001 recipients":                  {testBatch(jobs.MaxBatchRecipients + 1), "1001 recipients"},
		"same address twice, other casing": {dup, "appears twice"},
		"no subject":                       {noSubject, "no subject"},
		"no recipients":                    {testBatch(0), "no recipients"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fake := startFake(t)
			_, err := jobs.NewSendGrid(testAPIKey, fake.URL()).Send(context.Background(), tc.batch)
			se := sendErr(t, err)
			if se.Retryable || !strings.Contains(se.Message, tc.want) {
				t.Fatalf("error = %+v, want permanent, mentioning %q", se, tc.want)
			}
			if fake.Requests() != 0 {
				t.Fatalf("%d requests reached SendGrid, want none", fake.Requests())
			}
		})
	}
}

func TestSendGridRateLimited(t *testing.T) {
	now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tests := map[string]struct {
		fault sendgridfake.Fault
		want  time.Duration
	}{
		"reset header":              {sendgridfake.RateLimited(42 * time.Second), 42 * time.Second},
		"retry-after header":        {sendgridfake.Fault{Status: 429, RetryAfter: 7 * time.Second}, 7 * time.Second},
		"bare 429, as mail/send":    {sendgridfake.TooManyRequests(), 0},
		"reset already in the past": {sendgridfake.Fault{Status: 429, RateLimitHeaders: true, ResetIn: -time.Minute}, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fake := startFake(t)
			fake.SetClock(clock)
			fake.Script(tc.fault)
			sg := jobs.NewSendGrid(testAPIKey, fake.URL(), jobs.WithSendGridClock(clock))

			_, err := sg.Send(context.Background(), testBatch(10))
			se := sendErr(t, err)
			if se.Status != http.StatusTooManyRequests || !se.Retryable || se.RetryAfter != tc.want {
				t.Fatalf("error = %+v, want retryable 429 with RetryAfter %s", se, tc.want)
			}
			if fake.Count() != 0 {
				t.Fatalf("a rate-limited request was recorded as accepted")
			}
			// The fault was one request long: the retry goes through.
			if _, err := sg.Send(context.Background(), testBatch(10)); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if fake.Count() != 10 {
				t.Fatalf("accepted %d recipients after the retry, want 10", fake.Count())
			}
		})
	}
}

func TestSendGridServerErrorIsRetryable(t *testing.T) {
	for _, status := range []int{500, 502, 503} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			fake := startFake(t)
			fake.Script(sendgridfake.ServerError(status))
			_, err := jobs.NewSendGrid(testAPIKey, fake.URL()).Send(context.Background(), testBatch(5))
			se := sendErr(t, err)
			if se.Status != status || !se.Retryable || se.RetryAfter != 0 {
				t.Fatalf("error = %+v, want retryable %d", se, status)
			}
			if fake.Count() != 0 {
				t.Fatal("a failed request was recorded as accepted")
			}
		})
	}
}

func TestSendGridBadRequestIsPermanentWithProviderMessage(t *testing.T) {
	fake := startFake(t)
	b := testBatch(3)
	b.Recipients[1].To.Email = "not an address"
	_, err := jobs.NewSendGrid(testAPIKey, fake.URL()).Send(context.Background(), b)
	se := sendErr(t, err)
	if se.Status != http.StatusBadRequest || se.Retryable {
		t.Fatalf("error = %+v, want permanent 400", se)
	}
	if want := "Does not contain a valid address. (personalizations.1.to.0.email)"; se.Message != want {
		t.Fatalf("message = %q, want SendGrid's %q", se.Message, want)
	}
	if fake.Requests() != 1 || fake.Count() != 0 {
		t.Fatalf("requests %d, accepted %d; want one refused request", fake.Requests(), fake.Count())
	}
}

func TestSendGridTimeoutIsRetryable(t *testing.T) {
	fake := startFake(t)
	fake.SetFault(sendgridfake.Slow(5 * time.Second))
	sg := jobs.NewSendGrid(testAPIKey, fake.URL(), jobs.WithSendGridTimeout(100*time.Millisecond))

	start := time.Now()
	_, err := sg.Send(context.Background(), testBatch(5))
	se := sendErr(t, err)
	if !se.Retryable || se.Status != 0 {
		t.Fatalf("error = %+v, want retryable with no status", se)
	}
	if waited := time.Since(start); waited > 3*time.Second {
		t.Fatalf("Send waited %s despite a 100ms timeout", waited)
	}
	if fake.Count() != 0 {
		t.Fatal("the fake accepted a request its client had abandoned")
	}
}

func TestSendGridContextDeadlineIsRetryable(t *testing.T) {
	fake := startFake(t)
	fake.SetFault(sendgridfake.Slow(5 * time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := jobs.NewSendGrid(testAPIKey, fake.URL()).Send(ctx, testBatch(5))
	if se := sendErr(t, err); !se.Retryable {
		t.Fatalf("error = %+v, want retryable", se)
	}
}

func TestSendGridWrongAPIKeyIsPermanent(t *testing.T) {
	fake := startFake(t)
	_, err := jobs.NewSendGrid("SG.revoked", fake.URL()).Send(context.Background(), testBatch(5))
	se := sendErr(t, err)
	if se.Status != http.StatusUnauthorized || se.Retryable || !strings.Contains(se.Message, "authorization grant is invalid") {
		t.Fatalf("error = %+v, want permanent 401 with SendGrid's message", se)
	}
}

// TestNewTransportHonoursAPIURL is the SENDGRID_API_URL override: the transport
// main builds posts to the configured endpoint (a trailing slash is tolerated).
func TestNewTransportHonoursAPIURL(t *testing.T) {
	fake := startFake(t)
	tr := jobs.NewTransport(testAPIKey, fake.URL()+"/", nil)
	if tr.Name() != "sendgrid" {
		t.Fatalf("transport = %s, want sendgrid when an API key is set", tr.Name())
	}
	res, err := tr.Send(context.Background(), testBatch(2))
	if err != nil {
		t.Fatal(err)
	}
	if acc := fake.Accepted(); len(acc) != 1 || acc[0].MessageID != res.MessageID {
		t.Fatalf("fake accepted %d requests, want the one sent", len(acc))
	}
}

// TestSendGridConcurrentSends backs the Transport contract: one transport, many
// workers at once.
func TestSendGridConcurrentSends(t *testing.T) {
	fake := startFake(t)
	sg := jobs.NewSendGrid(testAPIKey, fake.URL())
	const workers, per = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			b := testBatch(per)
			for i := range b.Recipients {
				b.Recipients[i].To.Email = fmt.Sprintf("w%d-%d@example.org", w, i)
			}
			if _, err := sg.Send(context.Background(), b); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if fake.Count() != workers*per || len(fake.Accepted()) != workers {
		t.Fatalf("accepted %d recipients in %d requests, want %d in %d", fake.Count(), len(fake.Accepted()), workers*per, workers)
	}
}

// BenchmarkSendGridBatch1000 measures the transport end to end against the fake
// on loopback: building, encoding and posting full batches.
func BenchmarkSendGridBatch1000(b *testing.B) {
	fake := startFake(b)
	sg := jobs.NewSendGrid(testAPIKey, fake.URL())
	batch := testBatch(jobs.MaxBatchRecipients)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := sg.Send(ctx, batch); err != nil {
			b.Fatal(err)
		}
		fake.Reset() // keep the fake's memory flat over long runs
	}
	b.ReportMetric(float64(b.N*jobs.MaxBatchRecipients)/b.Elapsed().Seconds(), "recipients/s")
}
