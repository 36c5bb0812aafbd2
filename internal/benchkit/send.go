package benchkit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// Floor is plain SQL doing the least a send of an audience must do, on the
// same data: materialise the audience deduplicated by address with the
// suppression list anti-joined, then per batch of 1,000 read the recipients
// by key and mark the batch submitted. What a send costs above it is the
// application's own work (claims, re-checks, rendering, checkpoints, jobs).
type Floor struct {
	Materialise, Read, Mark time.Duration
	Recipients, Batches     int
}

// Total is the floor's whole time.
func (f Floor) Total() time.Duration { return f.Materialise + f.Read + f.Mark }

func (f Floor) String() string {
	return fmt.Sprintf("%.1f s (materialise %.1f s, read %d batches %.1f s, mark %.1f s)", f.Total().Seconds(),
		f.Materialise.Seconds(), f.Batches, f.Read.Seconds(), f.Mark.Seconds())
}

// SendFloor measures the floor of a send to the whole audience a, on
// PostgreSQL, in tables of its own (floor_recipients, floor_batches) that it
// creates the first time; key tells the runs apart.
func SendFloor(ctx context.Context, db *models.DB, a *dbtest.Audience, key string) (Floor, error) {
	var f Floor
	if db.Dialect != models.Postgres {
		return f, fmt.Errorf("benchkit: the send floor is measured on PostgreSQL")
	}
	sqlDB := db.SQL
	for _, s := range []string{
		`CREATE TABLE IF NOT EXISTS floor_recipients (id bigserial PRIMARY KEY, send_id text NOT NULL, batch_no integer, kind text NOT NULL,
  contact_id text, supporter_id text, email text NOT NULL, name text NOT NULL DEFAULT '', status text NOT NULL DEFAULT 'pending')`,
		`CREATE INDEX IF NOT EXISTS floor_recipients_batch_idx ON floor_recipients (send_id, batch_no)`,
		`CREATE TABLE IF NOT EXISTS floor_batches (send_id text, batch_no integer, status text NOT NULL, message_id text NOT NULL DEFAULT '',
  submitted_at timestamptz, PRIMARY KEY (send_id, batch_no))`,
	} {
		if _, err := sqlDB.ExecContext(ctx, s); err != nil {
			return f, fmt.Errorf("benchkit: send floor: %w", err)
		}
	}
	lists := fmt.Sprintf("'%s', '%s'", a.SupporterLists[0], a.SupporterLists[1])
	start := time.Now()
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return f, err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "SET LOCAL work_mem = '256MB'"); err != nil {
		return f, err
	}
	// Filter, then keep one row per address (journalist first), numbered in
	// address order into batches of 1,000.
	res, err := tx.ExecContext(ctx, `INSERT INTO floor_recipients (send_id, batch_no, kind, contact_id, supporter_id, email, name)
SELECT $1, (ROW_NUMBER() OVER (ORDER BY d.email) - 1) / 1000, d.kind, d.contact_id, d.supporter_id, d.email, d.name
FROM (
  SELECT DISTINCT ON (u.email) u.* FROM (
    SELECT 'supporter' AS kind, NULL AS contact_id, s.id AS supporter_id, LOWER(s.email) COLLATE "C" AS email, s.name, s.email_hash, 1 AS prio
    FROM supporters s WHERE s.status = 'subscribed' AND s.id IN (SELECT supporter_id FROM supporter_list_members WHERE list_id IN (`+lists+`))
    UNION ALL
    SELECT 'journalist', c.id, NULL, LOWER(c.email) COLLATE "C", c.name, c.email_hash, 0
    FROM media_contacts c WHERE NOT c.do_not_contact AND c.id IN (SELECT contact_id FROM media_list_members WHERE list_id = $2)
  ) u WHERE NOT EXISTS (SELECT 1 FROM suppressions sp WHERE sp.email_hash = u.email_hash)
  ORDER BY u.email, u.prio
) d`, key, a.MediaList)
	if err != nil {
		return f, fmt.Errorf("benchkit: send floor: materialise: %w", err)
	}
	n, _ := res.RowsAffected()
	f.Recipients = int(n)
	f.Batches = (f.Recipients + 999) / 1000
	if _, err := tx.ExecContext(ctx, `INSERT INTO floor_batches (send_id, batch_no, status) SELECT $1, g, 'pending' FROM generate_series(0, $2 - 1) AS g`,
		key, f.Batches); err != nil {
		return f, fmt.Errorf("benchkit: send floor: batches: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return f, err
	}
	// The send ANALYZEs what it materialised; so does the floor.
	if _, err := sqlDB.ExecContext(ctx, "ANALYZE floor_recipients"); err != nil {
		return f, err
	}
	f.Materialise = time.Since(start)
	for b := 0; b < f.Batches; b++ {
		t := time.Now()
		rows, err := sqlDB.QueryContext(ctx, `SELECT id, kind, contact_id, supporter_id, email, name FROM floor_recipients WHERE send_id = $1 AND batch_no = $2`, key, b)
		if err != nil {
			return f, fmt.Errorf("benchkit: send floor: read: %w", err)
		}
		for rows.Next() {
			var id int64
			var kind, email, name string
			var contact, supporter *string
			if err := rows.Scan(&id, &kind, &contact, &supporter, &email, &name); err != nil {
				rows.Close()
				return f, err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return f, err
		}
		f.Read += time.Since(t)
		t = time.Now()
		if _, err := sqlDB.ExecContext(ctx, `UPDATE floor_batches SET status = 'submitted', message_id = $3, submitted_at = now() WHERE send_id = $1 AND batch_no = $2`,
			key, b, fmt.Sprintf("floor-%d", b)); err != nil {
			return f, fmt.Errorf("benchkit: send floor: mark: %w", err)
		}
		f.Mark += time.Since(t)
	}
	return f, nil
}

// Unsubscriber unsubscribes deliverable supporters of an audience one by one,
// through models.Unsubscribe (what the unsubscribe link calls), spread over a
// send, from its own goroutine.
type Unsubscriber struct {
	done   atomic.Int64
	emails []string // whom it unsubscribed; read after Stop
	stop   chan struct{}
	end    chan struct{}
	err    error
}

// StartUnsubscriber unsubscribes up to n random supporters of a among those
// still deliverable (want: by address), one every gap, until n are or Stop is
// called.
func StartUnsubscriber(ctx context.Context, db *models.DB, a *dbtest.Audience, want map[string]bool, n int, gap time.Duration) *Unsubscriber {
	u := &Unsubscriber{stop: make(chan struct{}), end: make(chan struct{})}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 14))
	go func() {
		defer close(u.end)
		seen := map[int]bool{}
		for int(u.done.Load()) < n {
			select {
			case <-u.stop:
				return
			case <-ctx.Done():
				return
			case <-time.After(gap):
			}
			i := 1 + rng.IntN(a.Supporters)
			if seen[i] || !want[a.SupporterEmail(i)] {
				continue
			}
			seen[i] = true
			if err := models.Unsubscribe(ctx, db.Gorm, a.SupporterID(i), "one_click", ""); err != nil {
				u.err = err
				return
			}
			u.emails = append(u.emails, a.SupporterEmail(i))
			u.done.Add(1)
		}
	}()
	return u
}

// Stop ends the unsubscriber and returns whom it unsubscribed.
func (u *Unsubscriber) Stop() ([]string, error) {
	close(u.stop)
	<-u.end
	return u.emails, u.err
}

// Duplicates counts the repeats in a list of accepted addresses and whether
// any is not lower-case.
func Duplicates(emails []string) (dups int, mixed int) {
	seen := make(map[string]bool, len(emails))
	for _, e := range emails {
		if seen[e] {
			dups++
		}
		seen[e] = true
		if e != strings.ToLower(e) {
			mixed++
		}
	}
	return dups, mixed
}
