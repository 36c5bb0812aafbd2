package models

import (
	"errors"
	"fmt"
	"time"
)

// Embargo messages, shown next to the embargo field and by the API.
const (
	msgEmbargoPassed = "This embargo time has already passed. Choose a time in the future, or leave it empty to publish as soon as the release is approved."
	embargoLayout    = "2006-01-02T15:04"
)

// ErrEmbargoPassed refuses a final approval whose embargo passed while the
// release was in review: publishing it at once is the approver's decision, so
// the approval must say so (PublishNowIfEmbargoPassed) rather than be scheduled
// in the past or published silently.
var ErrEmbargoPassed = errors.New("the embargo passed while this release was in review")

// ApproveOption changes what an approval may do.
type ApproveOption int

// PublishNowIfEmbargoPassed is the last approver's answer "publish now" to an
// embargo that passed while the release was in review.
const PublishNowIfEmbargoPassed ApproveOption = 1

// EmbargoFromLocal reads an embargo written as wall-clock time in loc
// ("2027-03-28T01:30"). A time the clocks skip (a daylight-saving gap) or show
// twice (the hour after the clocks go back) names no single instant: it is
// refused with an explanation rather than silently moved an hour.
func EmbargoFromLocal(local string, loc *time.Location) (time.Time, error) {
	wall, err := time.Parse(embargoLayout, local)
	if err != nil {
		return time.Time{}, errors.New("Enter the embargo as a date and time, for example 2026-07-10 00:01.")
	}
	// Every offset loc uses around that day, each tried as the wall clock's.
	offsets := map[int]bool{}
	for _, h := range []int{-36, -12, 0, 12, 36} {
		_, off := wall.Add(time.Duration(h) * time.Hour).In(loc).Zone()
		offsets[off] = true
	}
	var matches []time.Time
	for off := range offsets {
		t := wall.Add(-time.Duration(off) * time.Second)
		if t.In(loc).Format(embargoLayout) == local {
			matches = append(matches, t)
		}
	}
	switch {
	case len(matches) == 0:
		return time.Time{}, fmt.Errorf("%s does not exist in %s: the clocks go forward and skip it. Choose a time outside the change, for example an hour later.",
			wall.Format("15:04 on 2 January 2006"), loc)
	case len(matches) > 1:
		return time.Time{}, fmt.Errorf("%s happens twice in %s: the clocks go back and repeat that hour. Choose a time outside the change, or set the embargo in UTC.",
			wall.Format("15:04 on 2 January 2006"), loc)
	}
	return matches[0].UTC(), nil
}

// checkFutureEmbargo refuses an embargo that is not after now.
func checkFutureEmbargo(v *ValidationError, at *time.Time, now time.Time) {
	if at != nil && !at.After(now) {
		v.Add("embargo_at", msgEmbargoPassed)
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Truncate(time.Second).Equal(b.Truncate(time.Second))
}
