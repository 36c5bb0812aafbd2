package jobs

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"
)

// MaxBatchRecipients is SendGrid's limit of personalizations (and recipients) in one
// request; every batch Pressroom builds stays within it.
const MaxBatchRecipients = 1000

// Address is a mailbox.
type Address struct {
	Email string
	Name  string
}

// String formats the address for a header.
func (a Address) String() string {
	if a.Name == "" {
		return a.Email
	}
	return fmt.Sprintf("%q <%s>", a.Name, a.Email)
}

// Recipient is one personalization of a batch: its address, the values substituted
// into the shared subject and bodies, and per-recipient headers and custom args.
type Recipient struct {
	To            Address
	Substitutions map[string]string // key as it appears in the content, e.g. "-name-"; built with Substitutions
	Headers       map[string]string // e.g. List-Unsubscribe with this recipient's URL
	CustomArgs    map[string]string // ids only: never personal data
}

// Batch is one request to a mail provider: shared content, up to
// MaxBatchRecipients personalised recipients.
type Batch struct {
	From       Address
	ReplyTo    *Address
	Subject    string
	HTML       string
	Text       string
	Headers    map[string]string
	Categories []string
	CustomArgs map[string]string
	Recipients []Recipient
}

// Validate checks the limits every provider request must respect.
func (b *Batch) Validate() error {
	switch {
	case len(b.Recipients) == 0:
		return errors.New("mail: batch has no recipients")
	case len(b.Recipients) > MaxBatchRecipients:
		return fmt.Errorf("mail: batch has %d recipients, more than %d", len(b.Recipients), MaxBatchRecipients)
	case strings.TrimSpace(b.Subject) == "":
		return errors.New("mail: batch has no subject")
	case b.HTML == "" && b.Text == "":
		return errors.New("mail: batch has no content")
	case b.From.Email == "":
		return errors.New("mail: batch has no sender")
	}
	seen := make(map[string]bool, len(b.Recipients))
	for _, r := range b.Recipients {
		k := strings.ToLower(r.To.Email)
		if seen[k] {
			return fmt.Errorf("mail: %s appears twice in one batch", r.To.Email)
		}
		seen[k] = true
	}
	return nil
}

// Substitution keys and the parts they land in: SendGrid applies every
// substitution of a personalization to the subject and to every content part
// alike, so one value cannot be right for both kinds of part. A name must reach
// an HTML part escaped (a supporter named <script>… is text, not markup) and
// the text part and the subject as written. So every key has an HTML twin,
// HTMLKey(key): shared content uses the key in its subject and text part and
// the twin in its HTML part, and Substitutions fills both.
const (
	KeyName            = "-name-"
	KeyNameHTML        = "-name_html-"
	KeyPreviewURL      = "-preview_url-"
	KeyPreviewURLHTML  = "-preview_url_html-"
	KeyUnsubscribe     = "-unsubscribe_url-"
	KeyUnsubscribeHTML = "-unsubscribe_url_html-"
)

// HTMLKey is the key whose value is key's value HTML-escaped, for HTML parts:
// "-name-" → "-name_html-".
func HTMLKey(key string) string { return strings.TrimSuffix(key, "-") + "_html-" }

// Substitutions returns a recipient's substitutions from key, value pairs of
// plain keys and values as written: each key with its value (for subjects and
// text parts) and its HTMLKey with the value HTML-escaped (for HTML parts).
func Substitutions(pairs ...string) map[string]string {
	m := make(map[string]string, len(pairs))
	for i := 0; i+1 < len(pairs); i += 2 {
		Substitute(m, pairs[i], pairs[i+1])
	}
	return m
}

// Substitute adds one substitution to subs for both kinds of part, as
// Substitutions does.
func Substitute(subs map[string]string, key, value string) {
	subs[key] = value
	subs[HTMLKey(key)] = html.EscapeString(value)
}

// Personalize applies one recipient's substitutions to a piece of shared content,
// the way the provider does.
func Personalize(s string, subs map[string]string) string {
	if len(subs) == 0 {
		return s
	}
	pairs := make([]string, 0, 2*len(subs))
	for k, v := range subs {
		pairs = append(pairs, k, v)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// Result is what a provider answered for an accepted batch.
type Result struct {
	// MessageID is the provider's id for the request (SendGrid's X-Message-Id);
	// per-recipient event ids start with it.
	MessageID string
}

// SendError is a provider's refusal. Retryable errors (429, 5xx, timeouts) are
// tried again later; permanent ones (other 4xx) fail the batch with Message shown
// to staff.
type SendError struct {
	Status     int
	Message    string
	Retryable  bool
	RetryAfter time.Duration // from the provider's rate-limit reset, when it gave one
	// Unanswered: the request may have reached the provider, but no answer
	// came (a timeout, a connection lost after it was sent). The provider may
	// have accepted it, so it is as uncertain as a request a crash cut off.
	// Status is 0. A connection never made is not unanswered: nothing went.
	Unanswered bool
}

func (e *SendError) Error() string {
	if e.Status == 0 {
		return "mail provider: " + e.Message // no answer to quote
	}
	return fmt.Sprintf("mail provider answered %d: %s", e.Status, e.Message)
}

// Preparer is a Transport that can do a request's CPU work (validation,
// encoding) ahead of sending it: the send worker prepares a batch while another
// batch's request is in flight. The returned function sends it.
type Preparer interface {
	Prepare(b Batch) (func(context.Context) (Result, error), error)
}

// prepareSend prepares b on transports that can, and otherwise defers to Send.
func prepareSend(t Transport, b Batch) (func(context.Context) (Result, error), error) {
	if p, ok := t.(Preparer); ok {
		return p.Prepare(b)
	}
	return func(ctx context.Context) (Result, error) { return t.Send(ctx, b) }, nil
}

// Transport hands batches of mail to a provider: SendGrid in production, the
// development outbox otherwise. Implementations must be safe for concurrent use.
type Transport interface {
	Send(ctx context.Context, b Batch) (Result, error)
	// Name identifies the transport in logs and the UI.
	Name() string
}
