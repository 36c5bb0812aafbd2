// Package sendgridfake is a stand-in for SendGrid's v3 mail send API and its Event
// Webhook, for tests, benchmarks and crash tests. It answers POST /v3/mail/send the
// way SendGrid does (bearer key, the same validation limits, 202 with X-Message-Id),
// records what it accepted, injects faults on demand (429, 5xx, slow answers), and
// posts ECDSA-signed events back to a webhook exactly as SendGrid signs them.
//
// It deliberately does not import the application: it knows the wire format only,
// so a test against it checks what Pressroom really puts on the wire.
package sendgridfake

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"
)

// SendPath is the only API route the fake serves, as on api.sendgrid.com.
const SendPath = "/v3/mail/send"

// maxBodyBytes is SendGrid's limit on the whole request (30 MB).
const maxBodyBytes = 30 << 20

// Server is a fake SendGrid API. Build it with New, then either Start it (it
// listens on a loopback port) or mount it anywhere as an http.Handler. All methods
// are safe for concurrent use.
type Server struct {
	apiKey string
	signer *Signer

	ts   *httptest.Server
	done chan struct{} // closed by Close, releases requests held by a delay fault

	mu       sync.Mutex
	now      func() time.Time
	accepted []accepted
	count    int // recipients in accepted, duplicates included
	faults   faults
	requests int
	latency  time.Duration
	// eventHook, when set, is the Event Webhook URL the fake posts a
	// "processed" event to for every recipient it accepts.
	eventHook string
	hookWG    sync.WaitGroup
}

// accepted is one accepted request as the fake keeps it: the raw body and what
// the answer said. Parsed bodies and flattened recipients are rebuilt on demand
// (Accepted, Recipients): a million-recipient benchmark then keeps a thousand
// byte slices, not millions of maps for the garbage collector to walk while the
// fake shares the machine with the system it measures.
type accepted struct {
	id       string
	received time.Time
	raw      []byte
}

func (a accepted) message() Message {
	m := Message{MessageID: a.id, Received: a.received, Raw: a.raw}
	// The body parsed when it was accepted; it parses the same again.
	_ = json.Unmarshal(a.raw, &m.Body)
	return m
}

// New builds a fake that accepts requests carrying "Authorization: Bearer apiKey".
// It generates its webhook signing key pair here, so every fake has its own.
func New(apiKey string) *Server {
	signer, err := NewSigner()
	if err != nil {
		// crypto/rand failing means the machine cannot run tests at all.
		panic(fmt.Sprintf("sendgridfake: generate signing key: %v", err))
	}
	return &Server{apiKey: apiKey, signer: signer, done: make(chan struct{}), now: time.Now}
}

// Start serves the fake on a loopback port (httptest) and returns it, so
// `sendgridfake.New(key).Start()` reads as one step. Starting twice is a no-op.
func (s *Server) Start() *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ts == nil {
		s.ts = httptest.NewServer(s)
	}
	return s
}

// URL is the base URL to configure as SENDGRID_API_URL (no trailing slash). Empty
// until Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Close stops the listener, releasing any request held by a delay fault first so
// Close never waits for a long delay.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	ts := s.ts
	s.mu.Unlock()
	if ts != nil {
		ts.Close()
	}
}

// SetClock replaces the fake's clock (time.Now by default). It drives the
// X-RateLimit-Reset header, send_at checks and event timestamps.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

func (s *Server) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// Message is one accepted request.
type Message struct {
	// MessageID is the X-Message-Id the fake answered with.
	MessageID string
	// Received is when the fake accepted it, by the fake's clock.
	Received time.Time
	// Body is the parsed request body.
	Body MailSend
	// Raw is the request body as sent (after gzip decoding).
	Raw []byte
}

// Recipient is one accepted recipient address with what its personalization gave
// it. Events are built from these. Its maps and slices may be shared with other
// recipients of the same request: treat them as read-only.
type Recipient struct {
	Email string
	Name  string
	// Field is where the address was: "to", "cc" or "bcc".
	Field string
	// MessageID is the X-Message-Id of the request that carried it.
	MessageID string
	// SGMessageID is the per-recipient id SendGrid puts in events: MessageID, a
	// dot, then a suffix. Match events to requests by the part before the first dot.
	SGMessageID string
	// Personalization is the index of its personalization in the request.
	Personalization int
	Substitutions   map[string]string
	Headers         map[string]string
	// CustomArgs are the request's top-level custom_args overlaid with the
	// personalization's, as SendGrid merges them into every event.
	CustomArgs map[string]string
	// Categories are the request's categories (events echo them).
	Categories []string

	// Shared content before substitution; Render applies the substitutions.
	Subject, Text, HTML string
}

// Render returns what this recipient saw: subject, text and HTML with its
// substitutions applied the way SendGrid applies them (plain string replacement).
// It is computed on demand so recording 1000-recipient batches stays cheap.
func (r Recipient) Render() (subject, text, html string) {
	if len(r.Substitutions) == 0 {
		return r.Subject, r.Text, r.HTML
	}
	pairs := make([]string, 0, 2*len(r.Substitutions))
	for k, v := range r.Substitutions {
		pairs = append(pairs, k, v)
	}
	rep := strings.NewReplacer(pairs...)
	return rep.Replace(r.Subject), rep.Replace(r.Text), rep.Replace(r.HTML)
}

// Accepted returns the accepted requests, oldest first.
func (s *Server) Accepted() []Message {
	acc := s.snapshot()
	out := make([]Message, len(acc))
	for i, a := range acc {
		out[i] = a.message()
	}
	return out
}

// Recipients returns every accepted recipient, in acceptance order.
func (s *Server) Recipients() []Recipient {
	acc := s.snapshot()
	var out []Recipient
	for _, a := range acc {
		out = appendRecipients(out, a.message())
	}
	return out
}

func (s *Server) snapshot() []accepted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]accepted(nil), s.accepted...)
}

// Count is the number of accepted recipients. A recipient accepted twice (a
// duplicate send) counts twice, which is what a crash test wants to see.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Requests is the number of requests that reached the send route, accepted or not
// (faults and validation failures included).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Reset forgets accepted requests and the request counter, e.g. between phases
// of a test. Configured faults, the clock and the keys stay (ClearFaults removes
// faults).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepted, s.count, s.requests = nil, 0, 0
}

// ServeHTTP implements http.Handler: the v3 mail send route, 404 elsewhere.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != SendPath {
		writeErrors(w, http.StatusNotFound, APIError{Message: "resource not found"})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeErrors(w, http.StatusMethodNotAllowed, APIError{Message: "method not allowed"})
		return
	}
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()

	// SendGrid authenticates before anything else, faults included: a wrong key is
	// a 401 even while it is rate limiting.
	auth := r.Header.Get("Authorization")
	if auth == "" {
		writeErrors(w, http.StatusUnauthorized, APIError{Message: "authorization required"})
		return
	}
	if auth != "Bearer "+s.apiKey {
		writeErrors(w, http.StatusUnauthorized, APIError{Message: "The provided authorization grant is invalid, expired, or revoked"})
		return
	}

	f, hasFault := s.nextFault()
	if hasFault && f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			// The client gave up; nobody reads an answer, and nothing is accepted.
			t.Stop()
			return
		case <-s.done:
			t.Stop()
			return
		}
	}
	if hasFault && f.Status != 0 {
		s.writeFault(w, f)
		return
	}

	raw, err := readBody(r)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		writeErrors(w, status, APIError{Message: err.Error()})
		return
	}
	// Decoding is most of what a request costs the fake, and in a send benchmark
	// the fake shares the cores with what is measured: go-json decodes the same
	// body into the same types in under half the time of encoding/json.
	var body MailSend
	if err := gojson.Unmarshal(raw, &body); err != nil {
		writeErrors(w, http.StatusBadRequest, APIError{Message: "Bad Request"})
		return
	}
	now := s.clock()
	if errs := Validate(&body, now); len(errs) > 0 {
		writeErrors(w, http.StatusBadRequest, errs...)
		return
	}

	id := newMessageID()
	s.mu.Lock()
	s.accepted = append(s.accepted, accepted{id: id, received: now, raw: raw})
	s.count += recipientCount(&body)
	latency, hook := s.latency, s.eventHook
	if hook != "" {
		s.hookWG.Add(1)
	}
	s.mu.Unlock()
	if hook != "" {
		go s.postProcessed(hook, accepted{id: id, received: now, raw: raw}.message())
	}
	// A real provider takes its time to answer a request it has already
	// accepted: a client that dies meanwhile has mail out that it never heard
	// about, which is what a crash test must exercise.
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			return
		}
	}
	w.Header().Set("X-Message-Id", id)
	w.WriteHeader(http.StatusAccepted)
}

// PostProcessedTo makes the fake post a signed "processed" event for every
// recipient of every request it accepts from now on to url (the application's
// Event Webhook, verified with PublicKey), as SendGrid does; "" stops it. Each
// request's events go in one post, retried for a while if the webhook fails.
func (s *Server) PostProcessedTo(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eventHook = url
}

// WaitEvents waits until every event post started so far is done.
func (s *Server) WaitEvents() { s.hookWG.Wait() }

func (s *Server) postProcessed(url string, m Message) {
	defer s.hookWG.Done()
	events := s.EventsFor(EventProcessed, appendRecipients(nil, m)...)
	for try := 0; try < 30; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		status, err := s.PostEvents(ctx, url, events)
		cancel()
		if err == nil && status < 300 {
			return
		}
		select {
		case <-s.done:
			return
		case <-time.After(time.Second):
		}
	}
}

// SetLatency makes every accepted request answer d after the fake accepted
// it, as a real provider's processing time does (a request with 1,000
// personalizations takes SendGrid far longer than a loopback fake). The request
// counts as accepted from the start of the wait, whether or not the client is
// still there at its end. Zero, the default, answers at once. Faults apply as
// before, on top.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = max(d, 0)
}

// errTooLarge is a body over SendGrid's 30 MB limit, answered with 413.
var errTooLarge = fmt.Errorf("request body too large (limit %d bytes)", maxBodyBytes)

func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = http.MaxBytesReader(nil, r.Body, maxBodyBytes)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, fmt.Errorf("invalid gzip body: %w", err)
		}
		defer zr.Close()
		rd = io.LimitReader(zr, maxBodyBytes+1)
	}
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= maxBodyBytes {
		buf.Grow(int(n) + bytes.MinRead) // one allocation for the common, uncompressed body
	}
	_, err := buf.ReadFrom(rd)
	raw := buf.Bytes()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge
		}
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(raw) > maxBodyBytes {
		return nil, errTooLarge
	}
	return raw, nil
}

func recipientCount(b *MailSend) int {
	n := 0
	for _, p := range b.Personalizations {
		n += len(p.To) + len(p.CC) + len(p.BCC)
	}
	return n
}

// appendRecipients flattens an accepted request into its recipients.
func appendRecipients(out []Recipient, m Message) []Recipient {
	b := &m.Body
	var text, html string
	for _, c := range b.Content {
		switch c.Type {
		case "text/plain":
			text = c.Value
		case "text/html":
			html = c.Value
		}
	}
	n := 0
	for pi, p := range b.Personalizations {
		args := mergeArgs(b.CustomArgs, p.CustomArgs)
		subject := b.Subject
		if p.Subject != "" {
			subject = p.Subject
		}
		headers := b.Headers
		if len(p.Headers) > 0 {
			headers = mergeArgs(b.Headers, p.Headers)
		}
		add := func(field string, list []Email) {
			for _, e := range list {
				out = append(out, Recipient{
					Email: e.Email, Name: e.Name, Field: field,
					MessageID:       m.MessageID,
					SGMessageID:     fmt.Sprintf("%s.filterdrecv-fake-%d-%d.0", m.MessageID, pi, n),
					Personalization: pi,
					Substitutions:   p.Substitutions, Headers: headers, CustomArgs: args,
					Categories: b.Categories,
					Subject:    subject, Text: text, HTML: html,
				})
				n++
			}
		}
		add("to", p.To)
		add("cc", p.CC)
		add("bcc", p.BCC)
	}
	return out
}

// mergeArgs overlays b on a without changing either.
func mergeArgs(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// newMessageID imitates SendGrid's X-Message-Id: 22 URL-safe characters.
func newMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// APIError is one entry of SendGrid's error body,
// {"message":"…","field":"…","help":null}.
type APIError struct {
	Message string
	// Field is the JSON path SendGrid blames, e.g. "personalizations.3.to.0.email";
	// empty (null on the wire) for errors about the request as a whole.
	Field string
}

// MarshalJSON writes the error as SendGrid does: an empty field and the help link
// are null, not "".
func (e APIError) MarshalJSON() ([]byte, error) {
	var field any
	if e.Field != "" {
		field = e.Field
	}
	return json.Marshal(struct {
		Message string `json:"message"`
		Field   any    `json:"field"`
		Help    any    `json:"help"`
	}{e.Message, field, nil})
}

func writeErrors(w http.ResponseWriter, status int, errs ...APIError) {
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(struct {
		Errors []APIError `json:"errors"`
	}{errs})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
