package jobs_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"pressroom/jobs"
)

// TestParseWebhookEvents reads a post as SendGrid sends it: one event per
// element, identifying fields out, the element's own JSON kept.
func TestParseWebhookEvents(t *testing.T) {
	body := `[{"email":"a@example.org","timestamp":1783590000,"event":"bounce","sg_event_id":"ev1","send_id":"s1","recipient_id":42},` +
		`"not an object", null, {"event":"open","sg_event_id":"ev2"}]`
	events, err := jobs.ParseWebhookEvents([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("%d events, want 2 (non-objects skipped): %+v", len(events), events)
	}
	e := events[0]
	if e.Email != "a@example.org" || e.Event != "bounce" || e.SGEventID != "ev1" || e.SendID != "s1" || e.RecipientID != "42" || e.Timestamp != 1783590000 {
		t.Fatalf("first event %+v", e)
	}
	if !strings.HasPrefix(e.Payload, `{"email":"a@example.org"`) {
		t.Fatalf("payload %q is not the element's JSON", e.Payload)
	}
	for _, bad := range []string{``, `{}`, `[`, `"x"`} {
		if _, err := jobs.ParseWebhookEvents([]byte(bad)); !errors.Is(err, jobs.ErrWebhookBody) {
			t.Errorf("ParseWebhookEvents(%q) = %v, want ErrWebhookBody", bad, err)
		}
	}
}

// FuzzParseWebhookEvents: whatever the body, parsing never panics; a body that
// parses gives at most one event per element, each with its element's JSON
// object as payload and the same fields when that payload is read again.
func FuzzParseWebhookEvents(f *testing.F) {
	f.Add([]byte(`[{"email":"a@example.org","timestamp":1783590000,"event":"delivered","sg_event_id":"e1","send_id":"s","recipient_id":"7"}]`))
	f.Add([]byte(`[{"timestamp":1e300,"sg_event_id":12345678901234567890,"recipient_id":-0.5,"event":true}]`))
	f.Add([]byte(`[null, 1, "x", [], {}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := jobs.ParseWebhookEvents(body)
		if err != nil {
			if !errors.Is(err, jobs.ErrWebhookBody) {
				t.Fatalf("error %v is not ErrWebhookBody", err)
			}
			return
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(body, &elems); err != nil {
			t.Fatalf("parsed a body that is not an array: %v", err)
		}
		if len(events) > len(elems) {
			t.Fatalf("%d events from %d elements", len(events), len(elems))
		}
		for _, e := range events {
			var obj map[string]any
			if err := json.Unmarshal([]byte(e.Payload), &obj); err != nil || obj == nil {
				t.Fatalf("payload %q is not a JSON object: %v", e.Payload, err)
			}
			again, err := jobs.ParseWebhookEvents([]byte("[" + e.Payload + "]"))
			if err != nil || len(again) != 1 || again[0] != e {
				t.Fatalf("payload %q reads back as %+v, %v; want %+v", e.Payload, again, err, e)
			}
		}
	})
}
