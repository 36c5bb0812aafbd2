package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sendgrid/rest"
	"github.com/sendgrid/sendgrid-go"
	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"
)

// SendGrid is the production transport: SendGrid's v3 mail send API through
// sendgrid-go. sendgrid-go's client neither retries nor times out and is not safe
// for concurrent use, so each call builds a fresh request on our own http.Client
// with timeouts, and every status code is checked (its err is nil on 4xx/5xx).
type SendGrid struct {
	apiKey string
	host   string
	http   *rest.Client
	now    func() time.Time
}

// DefaultSendGridTimeout bounds one mail send request, connection to last byte. A
// 1000-recipient request normally takes well under a second; a request that hangs
// must fail (and be retried) rather than hold a worker for River's job timeout.
const DefaultSendGridTimeout = 30 * time.Second

// SendGridOption adjusts a SendGrid transport.
type SendGridOption func(*SendGrid)

// WithSendGridTimeout sets the per-request timeout (DefaultSendGridTimeout
// otherwise). A timed-out request is a retryable SendError.
func WithSendGridTimeout(d time.Duration) SendGridOption {
	return func(s *SendGrid) { s.http = &rest.Client{HTTPClient: &http.Client{Timeout: d}} }
}

// WithSendGridHTTPClient replaces the HTTP client (its Timeout is the request
// timeout), e.g. to share a tuned transport.
func WithSendGridHTTPClient(c *http.Client) SendGridOption {
	return func(s *SendGrid) { s.http = &rest.Client{HTTPClient: c} }
}

// WithSendGridClock replaces the clock used to turn X-RateLimit-Reset into a wait.
func WithSendGridClock(now func() time.Time) SendGridOption {
	return func(s *SendGrid) { s.now = now }
}

// NewSendGrid builds the transport; host is the API base (SENDGRID_API_URL), empty
// for api.sendgrid.com.
func NewSendGrid(apiKey, host string, opts ...SendGridOption) *SendGrid {
	s := &SendGrid{apiKey: apiKey, host: strings.TrimRight(host, "/"), now: time.Now}
	WithSendGridTimeout(DefaultSendGridTimeout)(s)
	for _, o := range opts {
		o(s)
	}
	return s
}

// Name implements Transport.
func (s *SendGrid) Name() string { return "sendgrid" }

// Build turns a batch into SendGrid's request body: shared content with
// substitution keys, one personalization per recipient.
func (s *SendGrid) Build(b Batch) *sgmail.SGMailV3 {
	m := sgmail.NewV3Mail()
	m.SetFrom(sgmail.NewEmail(b.From.Name, b.From.Email))
	if b.ReplyTo != nil {
		m.SetReplyTo(sgmail.NewEmail(b.ReplyTo.Name, b.ReplyTo.Email))
	}
	m.Subject = b.Subject
	if b.Text != "" {
		m.AddContent(sgmail.NewContent("text/plain", b.Text))
	}
	if b.HTML != "" {
		m.AddContent(sgmail.NewContent("text/html", b.HTML))
	}
	for k, v := range b.Headers {
		m.SetHeader(k, v)
	}
	if len(b.Categories) > 0 {
		m.AddCategories(b.Categories...)
	}
	for k, v := range b.CustomArgs {
		m.SetCustomArg(k, v)
	}
	// One personalization per recipient, sharing the recipient's maps rather than
	// copying them into the fresh ones NewPersonalization makes: a full batch is a
	// thousand of these, built for every request.
	m.Personalizations = make([]*sgmail.Personalization, len(b.Recipients))
	for i, r := range b.Recipients {
		m.Personalizations[i] = &sgmail.Personalization{
			To:            []*sgmail.Email{sgmail.NewEmail(r.To.Name, r.To.Email)},
			Substitutions: r.Substitutions,
			Headers:       r.Headers,
			CustomArgs:    r.CustomArgs,
		}
	}
	return m
}

// Send implements Transport.
func (s *SendGrid) Send(ctx context.Context, b Batch) (Result, error) {
	send, err := s.Prepare(b)
	if err != nil {
		return Result{}, err
	}
	return send(ctx)
}

// Prepare implements Preparer: validation and the JSON body (the CPU work of a
// request) happen here, before the worker takes its turn to send.
func (s *SendGrid) Prepare(b Batch) (func(context.Context) (Result, error), error) {
	if err := b.Validate(); err != nil {
		return nil, &SendError{Status: 400, Message: err.Error()}
	}
	body, err := sendGridBody(s.Build(b))
	if err != nil {
		return nil, &SendError{Status: 400, Message: "encode request: " + err.Error()}
	}
	return func(ctx context.Context) (Result, error) { return s.post(ctx, body) }, nil
}

func (s *SendGrid) post(ctx context.Context, body []byte) (Result, error) {
	req := sendgrid.GetRequest(s.apiKey, "/v3/mail/send", s.host)
	req.Method = rest.Post
	req.Body = body
	resp, err := s.http.SendWithContext(ctx, req)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			// No connection, so no request: SendGrid cannot have it.
			return Result{}, &SendError{Status: 0, Message: "could not reach SendGrid: " + err.Error(), Retryable: true}
		}
		var ne net.Error
		if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
			return Result{}, &SendError{Status: 0, Message: "no answer from SendGrid: " + err.Error(), Retryable: true, Unanswered: true}
		}
		return Result{}, &SendError{Status: 0, Message: err.Error(), Retryable: true, Unanswered: true}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return Result{MessageID: http.Header(resp.Headers).Get("X-Message-Id")}, nil
	}
	se := &SendError{Status: resp.StatusCode, Message: providerMessage(resp.Body)}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		se.Retryable = true
		se.RetryAfter = retryAfter(resp.Headers, s.now())
	case resp.StatusCode >= 500:
		se.Retryable = true
	}
	return Result{}, se
}

// retryAfter reads the wait SendGrid asks for: X-RateLimit-Reset (Unix seconds)
// or Retry-After (seconds). Zero when it gave none, and the caller backs off.
func retryAfter(h map[string][]string, now time.Time) time.Duration {
	hh := http.Header(h)
	if v := hh.Get("X-RateLimit-Reset"); v != "" {
		if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
			if d := time.Unix(sec, 0).Sub(now); d > 0 {
				return d
			}
		}
	}
	if v := hh.Get("Retry-After"); v != "" {
		if sec, err := strconv.Atoi(v); err == nil && sec > 0 {
			return time.Duration(sec) * time.Second
		}
	}
	return 0
}

// providerMessage extracts SendGrid's error messages ({"errors":[{"message":…,
// "field":…}]}) for staff to read.
func providerMessage(body string) string {
	var parsed struct {
		Errors []struct {
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"errors"`
	}
	if json.Unmarshal([]byte(body), &parsed) == nil && len(parsed.Errors) > 0 {
		msgs := make([]string, 0, len(parsed.Errors))
		for _, e := range parsed.Errors {
			if e.Field != "" {
				msgs = append(msgs, fmt.Sprintf("%s (%s)", e.Message, e.Field))
			} else {
				msgs = append(msgs, e.Message)
			}
		}
		return strings.Join(msgs, "; ")
	}
	if len(body) > 500 {
		body = body[:500]
	}
	return strings.TrimSpace(body)
}
