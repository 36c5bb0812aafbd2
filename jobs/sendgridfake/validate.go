package sendgridfake

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
)

// SendGrid's documented limits on one /v3/mail/send request.
const (
	// MaxPersonalizations is the most personalization objects in one request.
	MaxPersonalizations = 1000
	// MaxRecipients is the most to+cc+bcc addresses across the whole request.
	MaxRecipients = 1000
	// MaxCustomArgsBytes bounds the JSON of a personalization's custom_args merged
	// with the top-level ones.
	MaxCustomArgsBytes = 10000
	// MaxSubstitutionBytes bounds the substitutions of one personalization.
	MaxSubstitutionBytes = 10000
	// MaxCategories is the most categories on one request.
	MaxCategories = 10
	// MaxSendAhead is how far ahead send_at may schedule a message.
	MaxSendAhead = 72 * time.Hour
	// maxErrors keeps an error body readable when a request is wrong everywhere.
	maxErrors = 20
)

// MailSend is the v3 mail send request body, as much of it as Pressroom uses or
// SendGrid validates. Fields the fake does not interpret are kept raw.
type MailSend struct {
	Personalizations []Personalization `json:"personalizations"`
	From             *Email            `json:"from,omitempty"`
	ReplyTo          *Email            `json:"reply_to,omitempty"`
	ReplyToList      []Email           `json:"reply_to_list,omitempty"`
	Subject          string            `json:"subject,omitempty"`
	Content          []Content         `json:"content,omitempty"`
	TemplateID       string            `json:"template_id,omitempty"`
	Headers          map[string]string `json:"headers,omitempty"`
	Categories       []string          `json:"categories,omitempty"`
	CustomArgs       map[string]string `json:"custom_args,omitempty"`
	SendAt           int64             `json:"send_at,omitempty"`
	BatchID          string            `json:"batch_id,omitempty"`
	Attachments      json.RawMessage   `json:"attachments,omitempty"`
	Asm              json.RawMessage   `json:"asm,omitempty"`
	IPPoolName       string            `json:"ip_pool_name,omitempty"`
	MailSettings     json.RawMessage   `json:"mail_settings,omitempty"`
	TrackingSettings json.RawMessage   `json:"tracking_settings,omitempty"`
}

// Personalization is one envelope of a request: its recipients and what is
// specific to them.
type Personalization struct {
	To                  []Email           `json:"to"`
	CC                  []Email           `json:"cc,omitempty"`
	BCC                 []Email           `json:"bcc,omitempty"`
	From                *Email            `json:"from,omitempty"`
	Subject             string            `json:"subject,omitempty"`
	Headers             map[string]string `json:"headers,omitempty"`
	Substitutions       map[string]string `json:"substitutions,omitempty"`
	CustomArgs          map[string]string `json:"custom_args,omitempty"`
	DynamicTemplateData map[string]any    `json:"dynamic_template_data,omitempty"`
	SendAt              int64             `json:"send_at,omitempty"`
}

// Email is an address with an optional display name.
type Email struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

// Content is one body part. SendGrid wants text/plain first, then text/html.
type Content struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// reservedHeader reports the headers SendGrid refuses in "headers": it sets them
// itself.
func reservedHeader(name string) bool {
	switch strings.ToLower(name) {
	case "x-sg-id", "x-sg-eid", "received", "dkim-signature", "content-type",
		"content-transfer-encoding", "to", "from", "subject", "reply-to", "cc", "bcc":
		return true
	}
	return false
}

// Validate applies SendGrid's request checks to a parsed body and returns every
// problem found (capped at a readable number), in SendGrid's error shape. now is
// the reference for send_at. An empty result means SendGrid would accept it.
func Validate(b *MailSend, now time.Time) []APIError {
	var errs []APIError
	add := func(field, format string, args ...any) {
		if len(errs) < maxErrors {
			errs = append(errs, APIError{Field: field, Message: fmt.Sprintf(format, args...)})
		}
	}

	switch n := len(b.Personalizations); {
	case n == 0:
		add("personalizations", "The personalizations field is required and must have at least one personalization.")
	case n > MaxPersonalizations:
		add("personalizations", "The personalizations field can have a maximum of %d items; this request has %d.", MaxPersonalizations, n)
	}

	if b.From == nil || strings.TrimSpace(b.From.Email) == "" {
		add("from.email", "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.")
	} else if !validAddress(b.From.Email) {
		add("from.email", "The from email does not contain a valid address.")
	}
	if b.ReplyTo != nil && !validAddress(b.ReplyTo.Email) {
		add("reply_to.email", "The reply_to email does not contain a valid address.")
	}

	if strings.TrimSpace(b.Subject) == "" && b.TemplateID == "" && !everyPersonalizationHasSubject(b) {
		add("subject", "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.")
	}

	if len(b.Content) == 0 && b.TemplateID == "" {
		add("content", "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block.")
	}
	for i, c := range b.Content {
		if c.Type == "" {
			add(fmt.Sprintf("content.%d.type", i), "The content type cannot be blank.")
		}
		if c.Value == "" {
			add(fmt.Sprintf("content.%d.value", i), "The content value must be a string at least one character in length.")
		}
		if c.Type == "text/plain" && i != 0 {
			add("content", "If present, text/plain must be first, followed by text/html, followed by any other content.")
		}
	}

	checkHeaders(b.Headers, "headers", add)
	if len(b.Categories) > MaxCategories {
		add("categories", "You can have a maximum of %d categories per request.", MaxCategories)
	}
	for i, c := range b.Categories {
		if len(c) > 255 {
			add(fmt.Sprintf("categories.%d", i), "A category cannot be more than 255 characters.")
		}
	}
	checkSendAt(b.SendAt, "send_at", now, add)

	// Field paths are only spelt out for errors: a valid 1000-recipient request
	// should cost the fake little, since it shares the machine with what it measures.
	type at struct {
		p, i int
		list string
	}
	addrField := func(a at) string { return fmt.Sprintf("personalizations.%d.%s.%d.email", a.p, a.list, a.i) }
	seen := make(map[string]at, len(b.Personalizations))
	total := 0
	for pi, p := range b.Personalizations {
		if pi >= MaxPersonalizations {
			break // already refused; do not drown the body in errors
		}
		pf := func() string { return "personalizations." + strconv.Itoa(pi) }
		if len(p.To) == 0 {
			add(pf()+".to", "The to array is required for all personalization objects, and must have at least one email object with a valid email address.")
		}
		for _, list := range []struct {
			name  string
			addrs []Email
		}{{"to", p.To}, {"cc", p.CC}, {"bcc", p.BCC}} {
			for ai, a := range list.addrs {
				total++
				here := at{pi, ai, list.name}
				if !validAddress(a.Email) {
					add(addrField(here), "Does not contain a valid address.")
					continue
				}
				k := strings.ToLower(a.Email)
				if first, dup := seen[k]; dup {
					add(addrField(here), "Each email address in the request should be unique. We found a duplicate of %s (first at %s).", a.Email, addrField(first))
					continue
				}
				seen[k] = here
			}
		}
		if n, over := customArgsOverLimit(b.CustomArgs, p.CustomArgs); over {
			add(pf()+".custom_args", "The custom_args of a personalization, merged with the top-level custom_args, must be less than %d bytes; these are %d bytes.", MaxCustomArgsBytes, n)
		}
		size := 0
		for k, v := range p.Substitutions {
			size += len(k) + len(v)
		}
		if size > MaxSubstitutionBytes {
			add(pf()+".substitutions", "The total collective size of your substitutions may not exceed %d bytes per personalization object.", MaxSubstitutionBytes)
		}
		if len(p.Headers) > 0 {
			checkHeaders(p.Headers, pf()+".headers", add)
		}
		checkSendAt(p.SendAt, pf()+".send_at", now, add)
	}
	if total > MaxRecipients {
		add("personalizations", "The total number of recipients (to, cc and bcc) in a request must be no more than %d; this request has %d.", MaxRecipients, total)
	}
	return errs
}

// customArgsOverLimit reports whether the JSON object of top-level custom args
// merged with a personalization's exceeds MaxCustomArgsBytes, and its size when
// it does. Encoding it is exact but costs a map and an encoder per
// personalization; a bound on the escaped size settles the common case of a few
// short ids without either.
func customArgsOverLimit(top, own map[string]string) (int, bool) {
	if len(top)+len(own) == 0 {
		return 0, false
	}
	bound := 2
	for _, m := range []map[string]string{top, own} {
		for k, v := range m {
			bound += 6*(len(k)+len(v)) + 6 // every byte escaped as \u00XX, quotes, colon, comma
		}
	}
	if bound <= MaxCustomArgsBytes {
		return 0, false
	}
	merged, _ := json.Marshal(mergeArgs(top, own))
	return len(merged), len(merged) > MaxCustomArgsBytes
}

func everyPersonalizationHasSubject(b *MailSend) bool {
	if len(b.Personalizations) == 0 {
		return false
	}
	for _, p := range b.Personalizations {
		if strings.TrimSpace(p.Subject) == "" {
			return false
		}
	}
	return true
}

func checkHeaders(h map[string]string, field string, add func(field, format string, args ...any)) {
	for k := range h {
		if reservedHeader(k) {
			add(field, "The header %q is reserved and cannot be set in headers.", k)
		}
	}
}

func checkSendAt(sendAt int64, field string, now time.Time, add func(field, format string, args ...any)) {
	if sendAt != 0 && time.Unix(sendAt, 0).After(now.Add(MaxSendAhead)) {
		add(field, "The send_at parameter cannot be more than 72 hours in the future.")
	}
}

// validAddress accepts a bare addr-spec (no display name, no angle brackets), the
// way SendGrid wants the "email" field.
func validAddress(s string) bool {
	if s == "" || strings.ContainsAny(s, " <>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}
