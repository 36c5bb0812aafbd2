package models_test

import (
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

// TestSendableNow is the sending rule case by case: which document states hold
// a send (with a reason that says why), and how long a send that may go must
// still wait (its own time; supporter mail, the current embargo's lift and
// publication).
func TestSendableNow(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	send := func(rev int, scheduled *time.Time) *models.Send {
		return &models.Send{ID: "s", Revision: rev, ScheduledAt: scheduled}
	}
	doc := func(st models.Status, approved int, embargo *time.Time) models.DocumentState {
		return models.DocumentState{Status: st, ApprovedRevision: approved, EmbargoAt: embargo}
	}
	for _, c := range []struct {
		name       string
		send       *models.Send
		doc        models.DocumentState
		supporters bool
		hold       string // a part of the reason; "" when not held
		until      *time.Time
	}{
		{"published, pinned revision approved", send(2, nil), doc(models.StatusPublished, 2, nil), true, "", nil},
		{"back in review after an edit", send(2, nil), doc(models.StatusInReview, 2, at(time.Hour)), false, "it is in review now, so revision 2", nil},
		{"sent back for changes", send(2, nil), doc(models.StatusChangesRequested, 2, nil), false, "back with its author for changes", nil},
		{"withdrawn", send(2, at(time.Hour)), doc(models.StatusWithdrawn, 2, nil), true, "release was withdrawn", nil},
		{"a newer revision approved", send(2, nil), doc(models.StatusScheduled, 3, at(time.Hour)), false, "revision 3 is approved now, this send carries revision 2", nil},
		{"a correction approved", send(2, nil), doc(models.StatusPublished, 3, nil), true, "revision 3 is approved now", nil},
		{"journalists before the embargo", send(2, nil), doc(models.StatusScheduled, 2, at(time.Hour)), false, "", nil},
		{"supporters before the embargo", send(2, nil), doc(models.StatusScheduled, 2, at(time.Hour)), true, "", at(time.Hour)},
		{"supporters at embargo, moved later", send(2, at(time.Minute)), doc(models.StatusScheduled, 2, at(time.Hour)), true, "", at(time.Hour)},
		{"supporters after the lift, not yet published", send(2, nil), doc(models.StatusScheduled, 2, at(-time.Second)), true, "", at(time.Second)},
		{"supporters at a time after the embargo", send(2, at(2*time.Hour)), doc(models.StatusScheduled, 2, at(time.Hour)), true, "", at(2 * time.Hour)},
		{"journalists at a time still to come", send(2, at(time.Minute)), doc(models.StatusScheduled, 2, at(time.Hour)), false, "", at(time.Minute)},
		{"journalists at a time gone by", send(2, at(-time.Minute)), doc(models.StatusScheduled, 2, at(time.Hour)), false, "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := models.SendableNow(c.send, c.doc, c.supporters, now)
			if c.hold == "" && got.Hold != "" || c.hold != "" && !strings.Contains(got.Hold, c.hold) {
				t.Errorf("hold = %q, want %q", got.Hold, c.hold)
			}
			if c.hold != "" && !strings.HasPrefix(got.Hold, "release ") {
				t.Errorf("hold %q does not say what happened to the release", got.Hold)
			}
			want := time.Time{}
			if c.until != nil {
				want = *c.until
			}
			if !got.Until.Equal(want) {
				t.Errorf("until = %v, want %v", got.Until, want)
			}
			if got.Ready() != (c.hold == "" && c.until == nil) {
				t.Errorf("ready = %t", got.Ready())
			}
		})
	}
}
