package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SendMoment is when a send's mail leaves (or left), which decides the
// variant its recipients get: a release still under embargo then goes out
// with the embargo banner, one whose embargo has lifted without it. The send
// page previews exactly that variant.
//
// A send that has gone out (its recipients are counted when it starts) went at
// that moment, whatever the clock says now; one still to go leaves at its
// scheduled time, or when dispatched (now at the earliest).
func SendMoment(s *Send, now time.Time) time.Time {
	if s.MaterialisedAt != nil {
		return *s.MaterialisedAt
	}
	if s.ScheduledAt != nil && s.ScheduledAt.After(now) {
		return *s.ScheduledAt
	}
	return now
}

// SampleRecipient is the first recipient of a kind (journalist, supporter)
// of a send, for its preview: the first one counted once the send has gone
// out, else the first one its audience would get now. nil when there is none.
func SampleRecipient(ctx context.Context, db *gorm.DB, s *Send, kind string) (*BatchRecipient, error) {
	var r BatchRecipient
	if s.MaterialisedAt != nil {
		err := db.WithContext(ctx).Table("send_recipients").Select("id, kind, contact_id, supporter_id, email, name").
			Where("send_id = ? AND kind = ? AND status <> ?", s.ID, kind, RecipientSuppressed).Order("id").Limit(1).Take(&r).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("models: sample recipient: %w", err)
		}
		return &r, nil
	}
	auds, err := SendAudiences(ctx, db, s.ID)
	if err != nil {
		return nil, err
	}
	union, err := audienceUnion(ctx, db, auds)
	if err != nil || union == nil {
		return nil, err
	}
	err = db.WithContext(ctx).Raw(`SELECT 0 AS id, a.kind, a.contact_id, a.supporter_id, a.email, a.name FROM (?) AS a
WHERE a.kind = ? AND a.block = '' ORDER BY a.prio, a.email LIMIT 1`, union, kind).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: sample recipient: %w", err)
	}
	return &r, nil
}
