package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// DeskItem is a release on someone's desk: the document with its current
// headline.
type DeskItem = DocumentSummary

// DeskSend is a send on the desk with the headline it carries.
type DeskSend struct {
	Send
	Headline string
}

// DeskDay is one day of the desk's 30-day chart.
type DeskDay struct {
	Day      time.Time // midnight UTC
	Releases int       // releases published that day
	Sends    int       // sends that went out that day
}

// Desk is the press officer's and approver's home page: what waits for them,
// what they are writing, what is about to go out and what went out.
type Desk struct {
	// Waiting is what waits for the user's approval (ReviewQueue).
	Waiting []QueueItem
	// ChangesRequested are the user's own releases sent back to them.
	ChangesRequested []DeskItem
	// Drafts are the user's own drafts, most recently edited first.
	Drafts []DeskItem
	// Embargoes are approved releases waiting for their embargo, soonest first.
	Embargoes []DeskItem
	// InProgress are sends queued, going out or paused; Recent the last ones
	// finished.
	InProgress, Recent []DeskSend
	// Days are the last 30 days, oldest first, for the chart.
	Days []DeskDay
}

// deskLimit bounds every list on the desk: it is a page of what matters now,
// with links to the full lists.
const deskLimit = 8

// DeskDays is how many days the desk's chart covers.
const DeskDays = 30

// DeskOf reads u's desk at now.
func DeskOf(ctx context.Context, db *gorm.DB, u *User, now time.Time) (*Desk, error) {
	var d Desk
	var err error
	if d.Waiting, err = ReviewQueue(ctx, db, u); err != nil {
		return nil, err
	}
	items := func(dst *[]DeskItem, where string, order string, args ...any) error {
		err := db.WithContext(ctx).Table("documents").Select("documents.*, revisions.headline").
			Joins("JOIN revisions ON revisions.document_id = documents.id AND revisions.number = documents.current_revision").
			Where(where, args...).Order(order).Limit(deskLimit).Scan(dst).Error
		if err != nil {
			return fmt.Errorf("models: desk: %w", err)
		}
		return nil
	}
	if err := items(&d.ChangesRequested, "documents.author_id = ? AND documents.status = ?", "documents.updated_at DESC, documents.id", u.ID, StatusChangesRequested); err != nil {
		return nil, err
	}
	if err := items(&d.Drafts, "documents.author_id = ? AND documents.status = ?", "documents.updated_at DESC, documents.id", u.ID, StatusDraft); err != nil {
		return nil, err
	}
	if err := items(&d.Embargoes, "documents.status = ? AND documents.embargo_at > ?", "documents.embargo_at, documents.id", StatusScheduled, now); err != nil {
		return nil, err
	}
	sends := func(dst *[]DeskSend, statuses []SendStatus, order string) error {
		err := db.WithContext(ctx).Table("sends").Select("sends.*, revisions.headline").
			Joins("JOIN revisions ON revisions.document_id = sends.document_id AND revisions.number = sends.revision").
			Where("sends.status IN ?", statuses).Order(order).Limit(deskLimit).Scan(dst).Error
		if err != nil {
			return fmt.Errorf("models: desk sends: %w", err)
		}
		return nil
	}
	if err := sends(&d.InProgress, []SendStatus{SendQueued, SendSending, SendPaused}, "sends.updated_at DESC, sends.id"); err != nil {
		return nil, err
	}
	if err := sends(&d.Recent, []SendStatus{SendSent, SendFailed, SendCancelled}, "sends.updated_at DESC, sends.id"); err != nil {
		return nil, err
	}
	if d.Days, err = deskDays(ctx, db, now); err != nil {
		return nil, err
	}
	return &d, nil
}

// deskDays counts releases published and sends gone out per day over the last
// DeskDays days. The rows are counted in Go rather than grouped by a date
// expression, which differs between the dialects; thirty days of releases
// and sends are few rows.
func deskDays(ctx context.Context, db *gorm.DB, now time.Time) ([]DeskDay, error) {
	today := now.UTC().Truncate(24 * time.Hour)
	from := today.AddDate(0, 0, -(DeskDays - 1))
	days := make([]DeskDay, DeskDays)
	for i := range days {
		days[i].Day = from.AddDate(0, 0, i)
	}
	index := func(t time.Time) int {
		i := int(t.UTC().Sub(from) / (24 * time.Hour))
		if i < 0 || i >= DeskDays {
			return -1
		}
		return i
	}
	var published []time.Time
	if err := db.WithContext(ctx).Table("documents").Where("status IN ? AND published_at >= ? AND published_at <= ?",
		[]Status{StatusPublished, StatusWithdrawn}, from, now).Pluck("published_at", &published).Error; err != nil {
		return nil, fmt.Errorf("models: desk chart releases: %w", err)
	}
	for _, t := range published {
		if i := index(t); i >= 0 {
			days[i].Releases++
		}
	}
	var sent []time.Time
	if err := db.WithContext(ctx).Table("sends").Where("materialised_at >= ? AND materialised_at <= ?", from, now).
		Pluck("materialised_at", &sent).Error; err != nil {
		return nil, fmt.Errorf("models: desk chart sends: %w", err)
	}
	for _, t := range sent {
		if i := index(t); i >= 0 {
			days[i].Sends++
		}
	}
	return days, nil
}
