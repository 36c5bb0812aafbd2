package sendgridfake

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Header names of SendGrid's signed Event Webhook.
const (
	SignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	TimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// Event types SendGrid posts to the Event Webhook.
const (
	EventProcessed   = "processed"
	EventDelivered   = "delivered"
	EventDeferred    = "deferred"
	EventDropped     = "dropped"
	EventBounce      = "bounce"
	EventOpen        = "open"
	EventClick       = "click"
	EventSpamReport  = "spamreport"
	EventUnsubscribe = "unsubscribe"
)

// Signer signs webhook payloads as SendGrid does: ECDSA P-256 over
// SHA-256(timestamp + payload), the signature ASN.1 DER encoded, then base64.
type Signer struct {
	key *ecdsa.PrivateKey
}

// NewSigner generates a fresh P-256 key pair.
func NewSigner() (*Signer, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("sendgridfake: generate key: %w", err)
	}
	return &Signer{key: k}, nil
}

// PublicKey is the verification key in the form SendGrid's settings page shows it
// (base64 of the DER PKIX public key): the value for SENDGRID_WEBHOOK_PUBLIC_KEY.
func (s *Signer) PublicKey() string {
	der, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	if err != nil {
		// Cannot happen for a P-256 key generated above.
		panic(fmt.Sprintf("sendgridfake: marshal public key: %v", err))
	}
	return base64.StdEncoding.EncodeToString(der)
}

// Sign returns the base64 DER signature of timestamp+payload, the value of the
// X-Twilio-Email-Event-Webhook-Signature header.
func (s *Signer) Sign(timestamp string, payload []byte) (string, error) {
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, h.Sum(nil))
	if err != nil {
		return "", fmt.Errorf("sendgridfake: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Signer returns the fake's webhook signer.
func (s *Server) Signer() *Signer { return s.signer }

// PublicKey is the fake's webhook verification key (base64 DER PKIX), the value
// to configure as SENDGRID_WEBHOOK_PUBLIC_KEY.
func (s *Server) PublicKey() string { return s.signer.PublicKey() }

// Event is one Event Webhook event. Fields left empty are omitted; CustomArgs are
// flattened into the event object as SendGrid does, never overriding its own keys.
type Event struct {
	Email       string
	Timestamp   int64
	Event       string
	SGEventID   string
	SGMessageID string
	Category    []string

	// Event-specific details.
	Reason               string // bounce, dropped
	Status               string // bounce: SMTP status, e.g. "5.1.1"
	Type                 string // bounce: "bounce" or "blocked"
	BounceClassification string // bounce
	Response             string // delivered, deferred
	Attempt              string // deferred
	URL                  string // click
	UserAgent            string // open, click
	IP                   string // open, click, delivered

	CustomArgs map[string]string
}

// MarshalJSON flattens the event the way SendGrid posts it.
func (e Event) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, 8+len(e.CustomArgs))
	for k, v := range e.CustomArgs {
		m[k] = v
	}
	m["email"] = e.Email
	m["timestamp"] = e.Timestamp
	m["event"] = e.Event
	m["sg_event_id"] = e.SGEventID
	m["sg_message_id"] = e.SGMessageID
	if len(e.Category) > 0 {
		m["category"] = e.Category
	}
	for k, v := range map[string]string{
		"reason": e.Reason, "status": e.Status, "type": e.Type,
		"bounce_classification": e.BounceClassification, "response": e.Response,
		"attempt": e.Attempt, "url": e.URL, "useragent": e.UserAgent, "ip": e.IP,
	} {
		if v != "" {
			m[k] = v
		}
	}
	if e.Event == EventProcessed || e.Event == EventDelivered {
		m["smtp-id"] = "<" + e.SGMessageID + "@fake.sendgrid.net>"
	}
	return json.Marshal(m)
}

// EventFor builds one event of the given type for an accepted recipient, stamped
// with the fake's clock, a fresh sg_event_id, and plausible details for the type.
func (s *Server) EventFor(r Recipient, event string) Event {
	e := Event{
		Email: r.Email, Timestamp: s.clock().Unix(), Event: event,
		SGEventID: newEventID(), SGMessageID: r.SGMessageID,
		Category: r.Categories, CustomArgs: r.CustomArgs,
	}
	switch event {
	case EventDelivered:
		e.Response, e.IP = "250 2.0.0 OK", "192.0.2.10"
	case EventDeferred:
		e.Response, e.Attempt = "400 try again later", "1"
	case EventBounce:
		e.Reason = "550 5.1.1 The email account that you tried to reach does not exist"
		e.Status, e.Type, e.BounceClassification = "5.1.1", "bounce", "Invalid Address"
	case EventDropped:
		e.Reason = "Bounced Address"
	case EventOpen:
		e.UserAgent, e.IP = "Mozilla/5.0", "198.51.100.7"
	case EventClick:
		e.UserAgent, e.IP, e.URL = "Mozilla/5.0", "198.51.100.7", "https://example.org/"
	}
	return e
}

// EventsFor builds one event of the given type for each recipient (typically
// from Recipients()).
func (s *Server) EventsFor(event string, recipients ...Recipient) []Event {
	out := make([]Event, 0, len(recipients))
	for _, r := range recipients {
		out = append(out, s.EventFor(r, event))
	}
	return out
}

// Payload encodes events as SendGrid posts them: a JSON array followed by CRLF.
// The signature covers these exact bytes, CRLF included, so a receiver must verify
// the raw body, never a re-encoding.
func Payload(events []Event) ([]byte, error) {
	if events == nil {
		events = []Event{}
	}
	b, err := json.Marshal(events)
	if err != nil {
		return nil, fmt.Errorf("sendgridfake: encode events: %w", err)
	}
	return append(b, '\r', '\n'), nil
}

// PostOptions bend a webhook post for negative tests. The zero value posts a
// correctly signed request stamped with the fake's clock.
type PostOptions struct {
	// At is the signing timestamp; zero means the fake's clock. Set it minutes in
	// the past for a stale (replayed) request.
	At time.Time
	// Forge signs with a throwaway key instead of the fake's: well-formed, wrong.
	Forge bool
	// Body replaces the payload after signing: a tampered request.
	Body []byte
	// OmitSignature and OmitTimestamp drop the respective header.
	OmitSignature, OmitTimestamp bool
}

// PostEvents posts events to a webhook URL, signed as SendGrid signs them, and
// returns the HTTP status the webhook answered.
func (s *Server) PostEvents(ctx context.Context, url string, events []Event) (int, error) {
	return s.PostEventsWith(ctx, url, events, PostOptions{})
}

// PostEventsWith is PostEvents with the signature bent by opts.
func (s *Server) PostEventsWith(ctx context.Context, url string, events []Event, opts PostOptions) (int, error) {
	payload, err := Payload(events)
	if err != nil {
		return 0, err
	}
	req, err := s.SignedRequest(ctx, url, payload, opts)
	if err != nil {
		return 0, err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("sendgridfake: post events: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// SignedRequest builds the webhook POST for payload with SendGrid's headers, bent
// by opts; handler tests can pass it straight to a router's ServeHTTP.
func (s *Server) SignedRequest(ctx context.Context, url string, payload []byte, opts PostOptions) (*http.Request, error) {
	ts, sig, err := s.sign(payload, opts)
	if err != nil {
		return nil, err
	}
	body := payload
	if opts.Body != nil {
		body = opts.Body
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("sendgridfake: build webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "SendGrid Event API")
	if !opts.OmitSignature {
		req.Header.Set(SignatureHeader, sig)
	}
	if !opts.OmitTimestamp {
		req.Header.Set(TimestampHeader, ts)
	}
	return req, nil
}

// SignedHeaders returns the timestamp and signature headers for payload, bent by
// opts (Body and the Omit flags are ignored here).
func (s *Server) SignedHeaders(payload []byte, opts PostOptions) (timestamp, signature string, err error) {
	return s.sign(payload, opts)
}

func (s *Server) sign(payload []byte, opts PostOptions) (string, string, error) {
	at := opts.At
	if at.IsZero() {
		at = s.clock()
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	signer := s.signer
	if opts.Forge {
		forger, err := NewSigner()
		if err != nil {
			return "", "", err
		}
		signer = forger
	}
	sig, err := signer.Sign(ts, payload)
	if err != nil {
		return "", "", err
	}
	return ts, sig, nil
}

// newEventID imitates sg_event_id: unique per event, so receivers can deduplicate.
func newEventID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
