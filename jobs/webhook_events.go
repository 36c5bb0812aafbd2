package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"pressroom/models"
)

// ErrWebhookBody is returned for a body that is not a JSON array.
var ErrWebhookBody = errors.New("the body is not a JSON array of events")

// ParseWebhookEvents reads the body of a SendGrid Event Webhook post (already
// verified) into the events to store: each element's identifying fields and
// its own JSON, kept raw for processing. Elements that are not JSON objects are
// skipped rather than failing the post, since SendGrid would retry the whole
// post forever; only a body that is not an array at all is an error.
func ParseWebhookEvents(body []byte) ([]models.WebhookEventInput, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWebhookBody, err)
	}
	events := make([]models.WebhookEventInput, 0, len(raw))
	for _, r := range raw {
		var e map[string]any
		if json.Unmarshal(r, &e) != nil || e == nil {
			continue
		}
		events = append(events, models.WebhookEventInput{SGEventID: jsonScalar(e["sg_event_id"]), Event: jsonScalar(e["event"]),
			Email: jsonScalar(e["email"]), SendID: jsonScalar(e["send_id"]), RecipientID: jsonScalar(e["recipient_id"]),
			LetterDeliveryID: jsonScalar(e["letter_delivery_id"]),
			Timestamp:        unixSeconds(e["timestamp"]), Payload: string(r)})
	}
	return events, nil
}

// jsonScalar renders a JSON scalar as text (custom args may arrive as strings
// or numbers); a missing field is "".
func jsonScalar(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case float64:
		return fmt.Sprintf("%.0f", t)
	default:
		return fmt.Sprint(t)
	}
}

// unixSeconds reads an event's timestamp in whole seconds: 0 when it is
// missing, not a number, or beyond what a time can hold.
func unixSeconds(v any) int64 {
	f, ok := v.(float64)
	if !ok || f != f || f >= math.MaxInt64 || f <= math.MinInt64 {
		return 0
	}
	return int64(f)
}
