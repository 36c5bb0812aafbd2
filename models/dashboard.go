package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// DashboardStats are the figures on the admin home page, all read from the
// database at request time. There is no "people signed in" figure: a session
// row outlives the person who closed the tab, so any count of them misleads.
type DashboardStats struct {
	Users          int64
	Groups         int64
	OutboxMessages int64
	AuditLast24h   int64
	JobsWaiting    int64
	JobsFailed     int64
	InReview       int64
	Scheduled      int64
	Published      int64
	MediaContacts  int64
	Subscribed     int64
}

// Dashboard counts what the home page shows.
func Dashboard(ctx context.Context, db *gorm.DB, now time.Time) (*DashboardStats, error) {
	var s DashboardStats
	q := db.WithContext(ctx)
	counts := []struct {
		dst   *int64
		table string
		where string
		args  []any
	}{
		{&s.Users, "users", "disabled_at IS NULL", nil},
		{&s.Groups, "groups", "", nil},
		{&s.OutboxMessages, "outbox_messages", "", nil},
		{&s.AuditLast24h, "audit_events", "at > ?", []any{now.Add(-24 * time.Hour)}},
		{&s.JobsWaiting, "river_job", "state IN ('available', 'scheduled', 'retryable', 'running')", nil},
		{&s.JobsFailed, "river_job", "state = 'discarded'", nil},
		{&s.InReview, "documents", "status = 'in_review' OR correction_pending", nil},
		{&s.Scheduled, "documents", "status = 'scheduled'", nil},
		{&s.Published, "documents", "status = 'published'", nil},
		{&s.MediaContacts, "media_contacts", "", nil},
		{&s.Subscribed, "supporters", "status = 'subscribed'", nil},
	}
	for _, c := range counts {
		tq := q.Table(c.table)
		if c.where != "" {
			tq = tq.Where(c.where, c.args...)
		}
		if err := tq.Count(c.dst).Error; err != nil {
			return nil, fmt.Errorf("models: dashboard %s: %w", c.table, err)
		}
	}
	return &s, nil
}
