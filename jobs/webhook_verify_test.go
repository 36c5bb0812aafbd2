package jobs_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
)

// TestVerifyEventWebhookSendGridVector checks the verifier against a real SendGrid
// signature (the vector sendgrid-go tests itself with), so the fake is not the
// only witness of the format.
func TestVerifyEventWebhookSendGridVector(t *testing.T) {
	const (
		publicKey = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
		signature = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
		timestamp = "1600112502"
		payload   = `[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address","sg_event_id":"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA","sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]` + "\r\n"
	)
	at := time.Unix(1600112502, 0).Add(10 * time.Second)
	if err := jobs.VerifyEventWebhook(publicKey, signature, timestamp, []byte(payload), at, 0); err != nil {
		t.Fatalf("SendGrid's own signed payload: %v", err)
	}
	// Without the trailing CRLF the bytes differ from what was signed.
	err := jobs.VerifyEventWebhook(publicKey, signature, timestamp, []byte(payload[:len(payload)-2]), at, 0)
	if !errors.Is(err, jobs.ErrWebhookBadSignature) {
		t.Fatalf("payload without CRLF: %v, want ErrWebhookBadSignature", err)
	}
}

func TestVerifyEventWebhook(t *testing.T) {
	now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
	fake := sendgridfake.New(testAPIKey)
	fake.SetClock(func() time.Time { return now })
	key := fake.PublicKey()
	payload, err := sendgridfake.Payload([]sendgridfake.Event{{
		Email: "a@example.org", Timestamp: now.Unix(), Event: sendgridfake.EventDelivered,
		SGEventID: "ev1", SGMessageID: "msg.filter.0", CustomArgs: map[string]string{"send_id": "s1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	sign := func(opts sendgridfake.PostOptions) (ts, sig string) {
		ts, sig, err := fake.SignedHeaders(payload, opts)
		if err != nil {
			t.Fatal(err)
		}
		return ts, sig
	}
	ts, sig := sign(sendgridfake.PostOptions{})
	tsStale, sigStale := sign(sendgridfake.PostOptions{At: now.Add(-5*time.Minute - time.Second)})
	tsOld, sigOld := sign(sendgridfake.PostOptions{At: now.Add(-4 * time.Minute)})
	tsFuture, sigFuture := sign(sendgridfake.PostOptions{At: now.Add(2 * time.Minute)})
	tsSkew, sigSkew := sign(sendgridfake.PostOptions{At: now.Add(30 * time.Second)})
	tsForged, sigForged := sign(sendgridfake.PostOptions{Forge: true})
	other, _ := sendgridfake.NewSigner()

	tests := map[string]struct {
		key, sig, ts string
		body         []byte
		maxAge       time.Duration
		want         error
		status       int
	}{
		"genuine":                     {key, sig, ts, payload, 0, nil, 200},
		"genuine, 4 minutes old":      {key, sigOld, tsOld, payload, 0, nil, 200},
		"genuine, 30s clock skew":     {key, sigSkew, tsSkew, payload, 0, nil, 200},
		"stale, older than 5 minutes": {key, sigStale, tsStale, payload, 0, jobs.ErrWebhookStale, 403},
		"stale within a wider window": {key, sigStale, tsStale, payload, 10 * time.Minute, nil, 200},
		"from the future":             {key, sigFuture, tsFuture, payload, 0, jobs.ErrWebhookFuture, 403},
		"forged":                      {key, sigForged, tsForged, payload, 0, jobs.ErrWebhookBadSignature, 403},
		"tampered body":               {key, sig, ts, append([]byte(`[{"email":"b@example.org"}]`), '\r', '\n'), 0, jobs.ErrWebhookBadSignature, 403},
		"timestamp swapped":           {key, sig, tsOld, payload, 0, jobs.ErrWebhookBadSignature, 403},
		"signature not base64":        {key, "%%%", ts, payload, 0, jobs.ErrWebhookBadSignature, 403},
		"signature not DER":           {key, base64.StdEncoding.EncodeToString([]byte("nope")), ts, payload, 0, jobs.ErrWebhookBadSignature, 403},
		"timestamp not a number":      {key, sig, "yesterday", payload, 0, jobs.ErrWebhookBadTimestamp, 403},
		"no signature":                {key, "", ts, payload, 0, jobs.ErrWebhookNoSignature, 401},
		"no timestamp":                {key, sig, "", payload, 0, jobs.ErrWebhookNoTimestamp, 401},
		"someone else's key":          {other.PublicKey(), sig, ts, payload, 0, jobs.ErrWebhookBadSignature, 403},
		"key not base64":              {"not a key!", sig, ts, payload, 0, jobs.ErrWebhookBadKey, 500},
		"key is PEM, not bare DER":    {"-----BEGIN PUBLIC KEY-----\n" + key + "\n-----END PUBLIC KEY-----", sig, ts, payload, 0, jobs.ErrWebhookBadKey, 500},
		"key is RSA":                  {rsaKey(t), sig, ts, payload, 0, jobs.ErrWebhookBadKey, 500},
		"key is P-384":                {p384Key(t), sig, ts, payload, 0, jobs.ErrWebhookBadKey, 500},
		"key empty":                   {"", sig, ts, payload, 0, jobs.ErrWebhookBadKey, 500},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := jobs.VerifyEventWebhook(tc.key, tc.sig, tc.ts, tc.body, now, tc.maxAge)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
			if got := jobs.WebhookHTTPStatus(err); got != tc.status {
				t.Fatalf("status = %d, want %d", got, tc.status)
			}
		})
	}
}

// TestEventWebhookRoundTrip posts the fake's events to a handler that verifies
// the raw body the way the app's webhook endpoint must.
func TestEventWebhookRoundTrip(t *testing.T) {
	fake := startFake(t)
	if _, err := jobs.NewSendGrid(testAPIKey, fake.URL()).Send(context.Background(), testBatch(3)); err != nil {
		t.Fatal(err)
	}
	verifier, err := jobs.NewWebhookVerifier(fake.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	var lastBody []byte
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := verifier.Verify(r.Header.Get(jobs.WebhookSignatureHeader), r.Header.Get(jobs.WebhookTimestampHeader), body, time.Now(), 0)
		if err == nil {
			lastBody = body
		}
		w.WriteHeader(jobs.WebhookHTTPStatus(err))
	}))
	defer hook.Close()

	ctx := context.Background()
	events := fake.EventsFor(sendgridfake.EventDelivered, fake.Recipients()...)
	tests := map[string]struct {
		opts sendgridfake.PostOptions
		want int
	}{
		"signed":       {sendgridfake.PostOptions{}, 200},
		"forged":       {sendgridfake.PostOptions{Forge: true}, 403},
		"replayed":     {sendgridfake.PostOptions{At: time.Now().Add(-time.Hour)}, 403},
		"tampered":     {sendgridfake.PostOptions{Body: []byte("[]\r\n")}, 403},
		"unsigned":     {sendgridfake.PostOptions{OmitSignature: true}, 401},
		"no timestamp": {sendgridfake.PostOptions{OmitTimestamp: true}, 401},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			status, err := fake.PostEventsWith(ctx, hook.URL, events, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if status != tc.want {
				t.Fatalf("webhook answered %d, want %d", status, tc.want)
			}
		})
	}
	if status, err := fake.PostEvents(ctx, hook.URL, events); err != nil || status != 200 {
		t.Fatalf("PostEvents = %d, %v", status, err)
	}
	if want, _ := sendgridfake.Payload(events); string(lastBody) != string(want) {
		t.Fatalf("webhook received %q, want %q", lastBody, want)
	}
}

func rsaKey(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return pkixBase64(t, &k.PublicKey)
}

func p384Key(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pkixBase64(t, &k.PublicKey)
}

// pkixBase64 encodes a public key the way SendGrid's settings show one.
func pkixBase64(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}
