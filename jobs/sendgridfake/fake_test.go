package sendgridfake_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"

	"pressroom/jobs/sendgridfake"
)

const key = "SG.fake-key"

func start(t *testing.T) *sendgridfake.Server {
	t.Helper()
	f := sendgridfake.New(key).Start()
	t.Cleanup(f.Close)
	return f
}

// body is a valid request with n single-recipient personalizations; mutate it per
// test case.
func body(n int) map[string]any {
	ps := make([]any, n)
	for i := range ps {
		ps[i] = map[string]any{
			"to":            []any{map[string]any{"email": fmt.Sprintf("r%d@example.org", i)}},
			"substitutions": map[string]any{"-n-": strconv.Itoa(i)},
			"custom_args":   map[string]any{"rid": strconv.Itoa(i)},
		}
	}
	return map[string]any{
		"from":             map[string]any{"email": "press@example.org", "name": "Press"},
		"subject":          "Hello -n-",
		"content":          []any{map[string]any{"type": "text/plain", "value": "Hi -n-"}, map[string]any{"type": "text/html", "value": "<p>Hi -n-</p>"}},
		"personalizations": ps,
		"custom_args":      map[string]any{"send_id": "s1"},
	}
}

type response struct {
	status int
	header http.Header
	errors []map[string]any
}

func post(t *testing.T, url, auth string, b any) response {
	t.Helper()
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url+sendgridfake.SendPath, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header}
	if len(raw) > 0 {
		var parsed struct {
			Errors []map[string]any `json:"errors"`
		}
		if err := json.Unmarshal(raw, &parsed); err != nil {
			t.Fatalf("body %q is not SendGrid's error JSON: %v", raw, err)
		}
		r.errors = parsed.Errors
	}
	return r
}

func TestAcceptsAndRecords(t *testing.T) {
	f := start(t)
	r := post(t, f.URL(), "Bearer "+key, body(3))
	if r.status != http.StatusAccepted || r.header.Get("X-Message-Id") == "" {
		t.Fatalf("status %d, X-Message-Id %q; errors %v", r.status, r.header.Get("X-Message-Id"), r.errors)
	}
	id := r.header.Get("X-Message-Id")
	if acc := f.Accepted(); len(acc) != 1 || acc[0].MessageID != id || len(acc[0].Body.Personalizations) != 3 {
		t.Fatalf("accepted = %+v", acc)
	}
	rs := f.Recipients()
	if len(rs) != 3 || f.Count() != 3 {
		t.Fatalf("recipients = %d", len(rs))
	}
	r1 := rs[1]
	if r1.Email != "r1@example.org" || r1.CustomArgs["send_id"] != "s1" || r1.CustomArgs["rid"] != "1" || r1.MessageID != id {
		t.Fatalf("recipient = %+v", r1)
	}
	if s, txt, html := r1.Render(); s != "Hello 1" || txt != "Hi 1" || html != "<p>Hi 1</p>" {
		t.Fatalf("rendered %q %q %q", s, txt, html)
	}
	if !strings.HasPrefix(r1.SGMessageID, id+".") || r1.SGMessageID == rs[0].SGMessageID {
		t.Fatalf("sg_message_id %q must start with %q. and be unique", r1.SGMessageID, id)
	}
	// A second request gets a different id.
	if r2 := post(t, f.URL(), "Bearer "+key, body(1)); r2.header.Get("X-Message-Id") == id {
		t.Fatal("message ids repeat")
	}
	f.Reset()
	if f.Count() != 0 || len(f.Accepted()) != 0 || f.Requests() != 0 {
		t.Fatal("Reset left state behind")
	}
}

func TestAuthentication(t *testing.T) {
	f := start(t)
	for name, auth := range map[string]string{"missing": "", "wrong key": "Bearer SG.other", "not bearer": "Basic " + key} {
		t.Run(name, func(t *testing.T) {
			r := post(t, f.URL(), auth, body(1))
			if r.status != http.StatusUnauthorized || len(r.errors) != 1 || r.errors[0]["message"] == "" {
				t.Fatalf("status %d errors %v, want 401 with a message", r.status, r.errors)
			}
			if _, ok := r.errors[0]["field"]; !ok {
				t.Fatalf("error lacks the field key: %v", r.errors[0])
			}
		})
	}
	if f.Count() != 0 {
		t.Fatal("unauthenticated mail was accepted")
	}
}

func TestValidation(t *testing.T) {
	big := strings.Repeat("x", 9990)
	tests := map[string]struct {
		mutate func(b map[string]any)
		n      int
		field  string
	}{
		"1001 personalizations": {func(map[string]any) {}, 1001, "personalizations"},
		"1001 recipients in fewer personalizations": {func(b map[string]any) {
			p := b["personalizations"].([]any)[0].(map[string]any)
			var bcc []any
			for i := range 2 {
				bcc = append(bcc, map[string]any{"email": fmt.Sprintf("bcc%d@example.org", i)})
			}
			p["bcc"] = bcc
		}, 999, "personalizations"},
		"same address twice, other case": {func(b map[string]any) {
			b["personalizations"].([]any)[2].(map[string]any)["to"] = []any{map[string]any{"email": "R0@Example.org"}}
		}, 3, "personalizations.2.to.0.email"},
		"same address as cc": {func(b map[string]any) {
			b["personalizations"].([]any)[0].(map[string]any)["cc"] = []any{map[string]any{"email": "r1@example.org"}}
		}, 2, "personalizations.1.to.0.email"},
		"no subject":       {func(b map[string]any) { delete(b, "subject") }, 2, "subject"},
		"blank subject":    {func(b map[string]any) { b["subject"] = " " }, 2, "subject"},
		"no content":       {func(b map[string]any) { delete(b, "content") }, 1, "content"},
		"empty content":    {func(b map[string]any) { b["content"] = []any{map[string]any{"type": "text/plain", "value": ""}} }, 1, "content.0.value"},
		"html before text": {func(b map[string]any) { c := b["content"].([]any); c[0], c[1] = c[1], c[0] }, 1, "content"},
		"no from":          {func(b map[string]any) { delete(b, "from") }, 1, "from.email"},
		"bad from":         {func(b map[string]any) { b["from"] = map[string]any{"email": "Press <press@example.org>"} }, 1, "from.email"},
		"bad recipient": {func(b map[string]any) {
			b["personalizations"].([]any)[1].(map[string]any)["to"] = []any{map[string]any{"email": "nobody@"}}
		}, 2, "personalizations.1.to.0.email"},
		"no to":               {func(b map[string]any) { delete(b["personalizations"].([]any)[0].(map[string]any), "to") }, 1, "personalizations.0.to"},
		"no personalizations": {func(b map[string]any) { delete(b, "personalizations") }, 1, "personalizations"},
		"custom args over 10,000 bytes merged": {func(b map[string]any) {
			b["custom_args"] = map[string]any{"a": big}
			b["personalizations"].([]any)[1].(map[string]any)["custom_args"] = map[string]any{"b": "0123456789"}
		}, 2, "personalizations.1.custom_args"},
		"reserved header":  {func(b map[string]any) { b["headers"] = map[string]any{"Subject": "x"} }, 1, "headers"},
		"send_at past 72h": {func(b map[string]any) { b["send_at"] = time.Now().Add(73 * time.Hour).Unix() }, 1, "send_at"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := start(t)
			b := body(tc.n)
			tc.mutate(b)
			r := post(t, f.URL(), "Bearer "+key, b)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", r.status)
			}
			found := false
			for _, e := range r.errors {
				if e["field"] == tc.field && e["message"] != "" {
					found = true
				}
				if _, ok := e["help"]; !ok {
					t.Fatalf("error lacks help: %v", e)
				}
			}
			if !found {
				t.Fatalf("errors %v, want one on field %q", r.errors, tc.field)
			}
			if f.Count() != 0 || len(f.Accepted()) != 0 {
				t.Fatal("a refused request was recorded")
			}
		})
	}
}

func TestValidationAccepts(t *testing.T) {
	tests := map[string]func(b map[string]any){
		"1000 personalizations": func(map[string]any) {},
		"subject only per personalization": func(b map[string]any) {
			delete(b, "subject")
			for i, p := range b["personalizations"].([]any) {
				p.(map[string]any)["subject"] = fmt.Sprintf("S%d", i)
			}
		},
		"html only":            func(b map[string]any) { b["content"] = b["content"].([]any)[1:] },
		"custom args just fit": func(b map[string]any) { b["custom_args"] = map[string]any{"a": strings.Repeat("x", 9950)} },
		"list-unsubscribe":     func(b map[string]any) { b["headers"] = map[string]any{"List-Unsubscribe": "<https://x.example/u/1>"} },
		"send_at within 72h":   func(b map[string]any) { b["send_at"] = time.Now().Add(71 * time.Hour).Unix() },
		"display name in field": func(b map[string]any) {
			b["from"] = map[string]any{"email": "press@example.org", "name": "Press, \"Office\""}
		},
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			f := start(t)
			b := body(1000)
			mutate(b)
			if r := post(t, f.URL(), "Bearer "+key, b); r.status != http.StatusAccepted {
				t.Fatalf("status %d, errors %v", r.status, r.errors)
			}
			if f.Count() != 1000 {
				t.Fatalf("count = %d", f.Count())
			}
		})
	}
}

func TestGzipBody(t *testing.T) {
	f := start(t)
	raw, _ := json.Marshal(body(2))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	req, _ := http.NewRequest(http.MethodPost, f.URL()+sendgridfake.SendPath, &buf)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Encoding", "gzip")
	if r := do(t, req); r.status != http.StatusAccepted || f.Count() != 2 {
		t.Fatalf("status %d, count %d, errors %v", r.status, f.Count(), r.errors)
	}
}

func TestScriptedFaults(t *testing.T) {
	f := start(t)
	now := time.Date(2026, 7, 9, 10, 0, 0, 500_000_000, time.UTC)
	f.SetClock(func() time.Time { return now })
	f.Script(sendgridfake.TooManyRequests(), sendgridfake.RateLimited(30*time.Second), sendgridfake.Fault{}, sendgridfake.ServerError(503))

	r := post(t, f.URL(), "Bearer "+key, body(1))
	if r.status != 429 || r.header.Get("X-RateLimit-Reset") != "" {
		t.Fatalf("bare 429: status %d, headers %v", r.status, r.header)
	}
	r = post(t, f.URL(), "Bearer "+key, body(1))
	wantReset := strconv.FormatInt(now.Add(30*time.Second).Unix()+1, 10) // rounded up
	if r.status != 429 || r.header.Get("X-RateLimit-Reset") != wantReset || r.header.Get("X-RateLimit-Remaining") != "0" || r.header.Get("X-RateLimit-Limit") == "" {
		t.Fatalf("rate limited: status %d, headers %v, want reset %s", r.status, r.header, wantReset)
	}
	if r := post(t, f.URL(), "Bearer "+key, body(1)); r.status != 202 {
		t.Fatalf("zero fault: status %d", r.status)
	}
	if r := post(t, f.URL(), "Bearer "+key, body(1)); r.status != 503 || len(r.errors) != 1 {
		t.Fatalf("503: status %d %v", r.status, r.errors)
	}
	if r := post(t, f.URL(), "Bearer "+key, body(1)); r.status != 202 {
		t.Fatalf("after the script: status %d", r.status)
	}
	if f.Count() != 2 || f.Requests() != 5 {
		t.Fatalf("count %d requests %d, want 2 accepted of 5", f.Count(), f.Requests())
	}
	// A wrong key is refused even while a fault is queued, and does not use it up.
	f.Script(sendgridfake.ServerError(500))
	if r := post(t, f.URL(), "Bearer nope", body(1)); r.status != 401 {
		t.Fatalf("wrong key during a fault: %d", r.status)
	}
	if r := post(t, f.URL(), "Bearer "+key, body(1)); r.status != 500 {
		t.Fatalf("queued fault: %d", r.status)
	}
}

// TestFaultRateIsReproducible: the same seed gives the same sequence of faults.
func TestFaultRateIsReproducible(t *testing.T) {
	run := func(seed uint64) string {
		f := start(t)
		f.SetFaultRate(0.3, seed, sendgridfake.ServerError(500))
		var seq strings.Builder
		for range 40 {
			r := post(t, f.URL(), "Bearer "+key, body(1))
			seq.WriteString(strconv.Itoa(r.status / 100))
		}
		if n := strings.Count(seq.String(), "5"); n == 0 || n == 40 || f.Count() != 40-n {
			t.Fatalf("faults %d of 40, accepted %d: %s", n, f.Count(), seq.String())
		}
		return seq.String()
	}
	if a, b := run(7), run(7); a != b {
		t.Fatalf("seed 7 gave %s then %s", a, b)
	}
}

func TestSlowFault(t *testing.T) {
	f := start(t)
	f.SetFault(sendgridfake.Slow(150 * time.Millisecond))
	begin := time.Now()
	if r := post(t, f.URL(), "Bearer "+key, body(1)); r.status != 202 {
		t.Fatalf("slow success: %d", r.status)
	}
	if d := time.Since(begin); d < 150*time.Millisecond {
		t.Fatalf("answered after %s, want at least the delay", d)
	}
	// Close does not wait out a long delay.
	f.SetFault(sendgridfake.Slow(time.Hour))
	var wg sync.WaitGroup
	wg.Go(func() {
		req, _ := http.NewRequest(http.MethodPost, f.URL()+sendgridfake.SendPath, strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer "+key)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	time.Sleep(50 * time.Millisecond)
	done := make(chan struct{})
	go func() { f.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the delayed request")
	}
	wg.Wait()
}

func TestConcurrentRequests(t *testing.T) {
	f := start(t)
	f.SetFaultRate(0.2, 1, sendgridfake.TooManyRequests())
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for range 16 {
		wg.Go(func() {
			for range 10 {
				if post(t, f.URL(), "Bearer "+key, body(5)).status == 202 {
					mu.Lock()
					accepted++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if f.Count() != accepted*5 || len(f.Accepted()) != accepted || f.Requests() != 160 {
		t.Fatalf("count %d, accepted %d of %d requests; client saw %d accepted", f.Count(), len(f.Accepted()), f.Requests(), accepted)
	}
}

// TestEventsAreSignedAsSendGridSigns checks the fake's signatures with
// sendgrid-go's own verifier, and the event format.
func TestEventsAreSignedAsSendGridSigns(t *testing.T) {
	f := start(t)
	if r := post(t, f.URL(), "Bearer "+key, body(2)); r.status != 202 {
		t.Fatal(r.status)
	}
	type received struct {
		header http.Header
		body   []byte
	}
	got := make(chan received, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- received{r.Header, b}
	}))
	defer hook.Close()

	events := f.EventsFor(sendgridfake.EventBounce, f.Recipients()...)
	status, err := f.PostEvents(context.Background(), hook.URL, events)
	if err != nil || status != 200 {
		t.Fatalf("post: %d %v", status, err)
	}
	rec := <-got
	pub, err := eventwebhook.ConvertPublicKeyBase64ToECDSA(f.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	ok, err := eventwebhook.VerifySignature(pub, rec.body, rec.header.Get(eventwebhook.VerificationHTTPHeader), rec.header.Get(eventwebhook.TimestampHTTPHeader))
	if err != nil || !ok {
		t.Fatalf("sendgrid-go does not verify the fake's signature: %v %v", ok, err)
	}
	if !bytes.HasSuffix(rec.body, []byte("]\r\n")) {
		t.Fatalf("payload %q should end with CRLF like SendGrid's", rec.body)
	}
	var parsed []map[string]any
	if err := json.Unmarshal(rec.body, &parsed); err != nil || len(parsed) != 2 {
		t.Fatalf("payload %s: %v", rec.body, err)
	}
	e := parsed[1]
	for k, want := range map[string]any{"email": "r1@example.org", "event": "bounce", "send_id": "s1", "rid": "1", "type": "bounce"} {
		if e[k] != want {
			t.Fatalf("event[%s] = %v, want %v (event %v)", k, e[k], want, e)
		}
	}
	if e["sg_event_id"] == parsed[0]["sg_event_id"] || !strings.HasPrefix(e["sg_message_id"].(string), f.Accepted()[0].MessageID+".") {
		t.Fatalf("ids: %v", e)
	}
	if _, ok := e["timestamp"].(float64); !ok {
		t.Fatalf("timestamp should be a number: %v", e["timestamp"])
	}

	// Forged and stale signatures: forged fails sendgrid-go's check, stale passes
	// it (the age check is the receiver's job) but carries the old timestamp.
	payload, _ := sendgridfake.Payload(events)
	ts, sig, _ := f.SignedHeaders(payload, sendgridfake.PostOptions{Forge: true})
	if ok, _ := eventwebhook.VerifySignature(pub, payload, sig, ts); ok {
		t.Fatal("forged signature verified")
	}
	old := time.Now().Add(-time.Hour)
	ts, sig, _ = f.SignedHeaders(payload, sendgridfake.PostOptions{At: old})
	if ok, _ := eventwebhook.VerifySignature(pub, payload, sig, ts); !ok || ts != strconv.FormatInt(old.Unix(), 10) {
		t.Fatalf("stale signature: ok=%v ts=%s", ok, ts)
	}
}

// TestLatencyAnswersLateButAcceptsAtOnce: with a latency set, the answer comes
// after it, and the request is accepted from the start of the wait (a client
// that gave up meanwhile still had its mail sent).
func TestLatencyAnswersLateButAcceptsAtOnce(t *testing.T) {
	f := sendgridfake.New("SG.test").Start()
	defer f.Close()
	f.SetLatency(300 * time.Millisecond)
	body := `{"personalizations":[{"to":[{"email":"a@example.org"}]}],"from":{"email":"p@example.org"},"subject":"s","content":[{"type":"text/plain","value":"v"}]}`
	post := func(ctx context.Context) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.URL()+sendgridfake.SendPath, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer SG.test")
		req.Header.Set("Content-Type", "application/json")
		return http.DefaultClient.Do(req)
	}
	start := time.Now()
	res, err := post(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if took := time.Since(start); res.StatusCode != http.StatusAccepted || took < 300*time.Millisecond {
		t.Fatalf("status %d after %s; want 202 after at least 300ms", res.StatusCode, took)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := post(ctx); err == nil {
		t.Fatal("a client that gave up after 100ms got an answer")
	}
	if f.Count() != 2 {
		t.Fatalf("accepted %d recipients; want 2 (the abandoned request was accepted too)", f.Count())
	}
	f.SetLatency(0)
	start = time.Now()
	res, err = post(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Fatalf("latency 0 answered after %s", took)
	}
}
