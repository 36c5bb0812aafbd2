package jobs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
)

// Header names SendGrid signs its Event Webhook posts with.
const (
	WebhookSignatureHeader = eventwebhook.VerificationHTTPHeader
	WebhookTimestampHeader = eventwebhook.TimestampHTTPHeader
)

// DefaultWebhookMaxAge is how old a signed timestamp may be before the post is
// treated as a replay: the usual five-minute window (Stripe, Svix). SendGrid
// documents no window of its own, nor whether its retries are signed afresh; if a
// retry ever arrives with an old timestamp, the handler can pass a larger maxAge,
// since events are deduplicated by sg_event_id anyway.
const DefaultWebhookMaxAge = 5 * time.Minute

// WebhookMaxClockSkew is how far in the future a timestamp may be: our clock and
// SendGrid's disagree by a little, never by minutes.
const WebhookMaxClockSkew = time.Minute

// Errors from verifying an Event Webhook post. A handler answers 401 for a missing
// signature or timestamp, 403 for a forged, malformed or stale one, and 500 for
// ErrWebhookBadKey (our configuration is wrong, not the request); WebhookHTTPStatus
// does that mapping.
var (
	ErrWebhookNoSignature  = errors.New("event webhook: no signature header")
	ErrWebhookNoTimestamp  = errors.New("event webhook: no timestamp header")
	ErrWebhookBadKey       = errors.New("event webhook: public key is not a base64 DER P-256 ECDSA key")
	ErrWebhookBadTimestamp = errors.New("event webhook: timestamp is not Unix seconds")
	ErrWebhookStale        = errors.New("event webhook: timestamp too old")
	ErrWebhookFuture       = errors.New("event webhook: timestamp in the future")
	ErrWebhookBadSignature = errors.New("event webhook: signature does not match")
)

// WebhookVerifier checks Event Webhook signatures against one public key, parsed
// once. It is immutable and safe for concurrent use.
type WebhookVerifier struct {
	key *ecdsa.PublicKey
}

// NewWebhookVerifier parses the verification key as SendGrid's settings page
// shows it (base64 DER PKIX). The key is checked here because sendgrid-go's
// ConvertPublicKeyBase64ToECDSA panics on a valid key that is not ECDSA.
func NewWebhookVerifier(publicKeyBase64 string) (*WebhookVerifier, error) {
	publicKeyBase64 = strings.TrimSpace(publicKeyBase64)
	der, err := base64.StdEncoding.DecodeString(publicKeyBase64)
	if err != nil || len(der) == 0 {
		return nil, fmt.Errorf("%w: not base64 (paste it as SendGrid shows it, without PEM lines)", ErrWebhookBadKey)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWebhookBadKey, err)
	}
	if ec, ok := pub.(*ecdsa.PublicKey); !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: got %T", ErrWebhookBadKey, pub)
	}
	key, err := eventwebhook.ConvertPublicKeyBase64ToECDSA(publicKeyBase64)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWebhookBadKey, err)
	}
	return &WebhookVerifier{key: key}, nil
}

// Verify checks one post: the headers' signature and timestamp over the raw body,
// and that the timestamp is no older than maxAge (DefaultWebhookMaxAge when 0) and
// no more than WebhookMaxClockSkew ahead of now. body must be the bytes as
// received: SendGrid signs them exactly, trailing CRLF included.
func (v *WebhookVerifier) Verify(signature, timestamp string, body []byte, now time.Time, maxAge time.Duration) error {
	switch {
	case signature == "":
		return ErrWebhookNoSignature
	case timestamp == "":
		return ErrWebhookNoTimestamp
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrWebhookBadTimestamp, timestamp)
	}
	if maxAge <= 0 {
		maxAge = DefaultWebhookMaxAge
	}
	// Check the signature before the age, so a replayed genuine post is reported
	// as stale and a forged one as forged, whatever its timestamp says.
	ok, err := eventwebhook.VerifySignature(v.key, body, signature, timestamp)
	if err != nil {
		return fmt.Errorf("%w: malformed signature: %w", ErrWebhookBadSignature, err)
	}
	if !ok {
		return ErrWebhookBadSignature
	}
	at := time.Unix(sec, 0)
	if age := now.Sub(at); age > maxAge {
		return fmt.Errorf("%w: signed %s ago, limit %s", ErrWebhookStale, age.Truncate(time.Second), maxAge)
	}
	if ahead := at.Sub(now); ahead > WebhookMaxClockSkew {
		return fmt.Errorf("%w: signed %s ahead of our clock", ErrWebhookFuture, ahead.Truncate(time.Second))
	}
	return nil
}

// VerifyEventWebhook verifies one Event Webhook post with a key given as base64
// DER. It parses the key each call; a handler should build a WebhookVerifier once.
func VerifyEventWebhook(publicKeyBase64 string, signature, timestamp string, body []byte, now time.Time, maxAge time.Duration) error {
	v, err := NewWebhookVerifier(publicKeyBase64)
	if err != nil {
		return err
	}
	return v.Verify(signature, timestamp, body, now, maxAge)
}

// WebhookHTTPStatus is the status a webhook handler answers for a Verify error:
// 200 for nil, 401 when the post is unsigned, 403 when the signature is wrong or
// stale, 500 when our key is misconfigured (SendGrid retries 5xx, so events wait
// for the fix instead of being dropped).
func WebhookHTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrWebhookNoSignature), errors.Is(err, ErrWebhookNoTimestamp):
		return http.StatusUnauthorized
	case errors.Is(err, ErrWebhookBadKey):
		return http.StatusInternalServerError
	default:
		return http.StatusForbidden
	}
}
