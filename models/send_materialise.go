package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MaterialiseSend turns a queued send's audience into recipient rows and batches,
// once, set-based in SQL, and enqueues one job per batch in the same transaction:
// either every recipient row, batch row and batch job exists, or none does.
//
// Recipients are deduplicated across lists and segments by lower-cased address
// (a sendable row wins over a blocked one, a journalist over a supporter).
// Suppressed, do-not-contact, erased and not-subscribed people are kept as
// "suppressed" rows with the reason, so staff see why someone was left out.
// Sendable rows are numbered by address and split into batches of SendBatchSize.
// A send that is not queued (already materialised, cancelled) is left alone.
//
// SendableNow is asked first: a send whose document left the approved text it
// pins is held (paused, with the reason) and nothing is materialised; one that
// may not go yet (its time, or for supporters the embargo lift, is still to
// come) is left queued and a *NotDueError says until when.
func MaterialiseSend(ctx context.Context, db *gorm.DB, id string, now time.Time, enqueue EnqueueFunc) (*Send, error) {
	var s *Send
	var notDue *NotDueError
	wrote := int64(0) // recipients this call materialised
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var err error
		if s, err = lockSend(tx, id); err != nil {
			return err
		}
		if s.Status != SendQueued || s.MaterialisedAt != nil {
			return nil
		}
		auds, err := SendAudiences(ctx, tx, id)
		if err != nil {
			return err
		}
		// The document may have changed since the send was scheduled.
		st, err := DocumentStateByID(ctx, tx, s.DocumentID)
		if err != nil {
			return err
		}
		if c := SendableNow(s, st, hasSupporterAudience(auds), now); c.Hold != "" {
			return holdSend(ctx, tx, s, c.Hold, now)
		} else if !c.Until.IsZero() {
			notDue = &NotDueError{Until: c.Until}
			return nil
		}
		if tx.Dialector.Name() == "postgres" {
			// One big sort (dedupe and numbering): let it stay in memory.
			if err := tx.Exec("SET LOCAL work_mem = '256MB'").Error; err != nil {
				return err
			}
		}
		union, err := audienceUnion(ctx, tx, auds)
		if err != nil {
			return err
		}
		var total, suppressed int64
		if union != nil {
			// One sort by address serves both windows: the first keeps one row per
			// address (sendable before blocked, journalist before supporter), the
			// second numbers the sendable rows in the same order as a running count,
			// so batch n holds sendable rows n*1000+1 … (n+1)*1000. Byte order
			// (COLLATE "C") sorts a million addresses far faster than a locale.
			collate := ""
			if tx.Dialector.Name() == "postgres" {
				collate = ` COLLATE "C"`
			}
			insert := `INSERT INTO send_recipients (send_id, batch_no, kind, contact_id, supporter_id, email, name, status, reason)
SELECT ?, CASE WHEN f.reason = '' THEN (f.sn - 1) / ? END, f.kind, f.contact_id, f.supporter_id, f.email, f.name,
       CASE WHEN f.reason = '' THEN 'pending' ELSE 'suppressed' END, f.reason
FROM (
  SELECT d.*, SUM(CASE WHEN d.reason = '' THEN 1 ELSE 0 END) OVER (ORDER BY d.email ROWS UNBOUNDED PRECEDING) AS sn
  FROM (
    SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.email ORDER BY CASE WHEN r.reason = '' THEN 0 ELSE 1 END, r.prio, r.ref) AS dn
    FROM (
      SELECT u.kind, u.contact_id, u.supporter_id, LOWER(u.email)` + collate + ` AS email, u.name, u.prio, u.ref,
             COALESCE(sp.reason, u.block) AS reason
      FROM (?) u LEFT JOIN suppressions sp ON sp.email_hash = u.email_hash
    ) r
  ) d WHERE d.dn = 1
) f`
			res := tx.Exec(insert, id, SendBatchSize, union)
			if res.Error != nil {
				return fmt.Errorf("insert recipients: %w", res.Error)
			}
			total = res.RowsAffected
			wrote = total
			// Suppressed rows are the ones without a batch: counted on the batch index.
			if err := tx.Raw(`SELECT COUNT(*) FROM send_recipients WHERE send_id = ? AND batch_no IS NULL`, id).Scan(&suppressed).Error; err != nil {
				return err
			}
		}
		// Batches are full but the last, so their rows follow from the count
		// alone: no second pass over the recipients.
		sendable := int(total - suppressed)
		batches := make([]SendBatch, 0, (sendable+SendBatchSize-1)/SendBatchSize)
		batchNos := make([]int, 0, cap(batches))
		for n := 0; n*SendBatchSize < sendable; n++ {
			batches = append(batches, SendBatch{SendID: id, BatchNo: n, Status: BatchPending, Recipients: min(SendBatchSize, sendable-n*SendBatchSize),
				CreatedAt: now, UpdatedAt: now})
			batchNos = append(batchNos, n)
		}
		if len(batches) > 0 {
			if err := tx.CreateInBatches(&batches, 1000).Error; err != nil {
				return fmt.Errorf("insert batches: %w", err)
			}
		}
		status := SendSending
		var completed *time.Time
		if len(batchNos) == 0 {
			status, completed = SendSent, &now
		}
		if err := tx.Model(&Send{}).Where("id = ?", id).Updates(map[string]any{"status": status, "recipients": total,
			"suppressed": suppressed, "batches": len(batchNos), "materialised_at": now, "updated_at": now, "completed_at": completed}).Error; err != nil {
			return err
		}
		s.Status, s.Recipients, s.Suppressed, s.Batches, s.MaterialisedAt = status, int(total), int(suppressed), len(batchNos), &now
		if len(batchNos) > 0 && enqueue != nil {
			return enqueue(tx, s, batchNos)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("models: materialise send: %w", translate(err))
	}
	if notDue != nil {
		return s, fmt.Errorf("models: materialise send: %w", notDue)
	}
	// A large send changes send_recipients more than autovacuum notices in
	// time, and every batch's queries are planned from its statistics: with
	// stale ones PostgreSQL chose a parallel plan at eight times the cost. After
	// the commit, so the lock it takes is not held through the transaction; a
	// failure only leaves the statistics as they were. SQLite is skipped: its
	// batch queries have one plan (the batch index) whatever the statistics,
	// its ANALYZE reads the whole table under the single writer lock, and its
	// sends are small.
	if wrote >= analyseAfter && db.Dialector.Name() == "postgres" {
		_ = db.WithContext(ctx).Exec("ANALYZE send_recipients").Error
	}
	return s, nil
}

// analyseAfter is how many recipients a send must have for its materialisation
// to refresh send_recipients' planner statistics.
const analyseAfter = 10_000

// lockSend loads a send for update (PostgreSQL row lock; SQLite transactions are
// already exclusive).
func lockSend(tx *gorm.DB, id string) (*Send, error) {
	q := tx
	if tx.Dialector.Name() == "postgres" {
		q = tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var s Send
	if err := q.First(&s, "id = ?", id).Error; err != nil {
		return nil, translate(err)
	}
	return &s, nil
}

// audienceUnion builds one subquery over every list and segment of a send, with
// the columns kind, contact_id, supporter_id, email, email_hash, name, prio, ref
// and block (why the person may not be mailed, "" when they may).
func audienceUnion(ctx context.Context, tx *gorm.DB, auds []SendAudience) (*gorm.DB, error) {
	const journalistCols = `'journalist' AS kind, media_contacts.id AS contact_id, CAST(NULL AS text) AS supporter_id, media_contacts.email AS email,
media_contacts.email_hash AS email_hash, media_contacts.name AS name, 0 AS prio, media_contacts.id AS ref,
CASE WHEN media_contacts.do_not_contact THEN 'do_not_contact' WHEN media_contacts.newsroom_status = 'pending' THEN 'unconfirmed' ELSE '' END AS block`
	const supporterCols = `'supporter' AS kind, CAST(NULL AS text) AS contact_id, supporters.id AS supporter_id, supporters.email AS email,
supporters.email_hash AS email_hash, supporters.name AS name, 1 AS prio, supporters.id AS ref,
CASE WHEN supporters.status <> 'subscribed' THEN supporters.status ELSE '' END AS block`
	var mediaLists, supporterLists []string
	var parts []*gorm.DB
	fresh := func() *gorm.DB { return tx.Session(&gorm.Session{NewDB: true}).WithContext(ctx) }
	for _, a := range auds {
		switch a.Audience {
		case AudienceMediaList:
			mediaLists = append(mediaLists, a.RefID)
		case AudienceSupporterList:
			supporterLists = append(supporterLists, a.RefID)
		case AudienceMediaSegment:
			seg, err := SegmentByID(ctx, tx, AudienceMedia, a.RefID)
			if err != nil {
				return nil, err
			}
			parts = append(parts, seg.MediaFilter().Apply(fresh().Table("media_contacts").Select(journalistCols)))
		case AudienceActionParticipants:
			parts = append(parts, actionParticipants(fresh, a.RefID, journalistCols, supporterCols)...)
		case AudienceSupporterSegment:
			seg, err := SegmentByID(ctx, tx, AudienceSupporters, a.RefID)
			if err != nil {
				return nil, err
			}
			parts = append(parts, seg.SupporterFilter().Apply(fresh().Table("supporters").Select(supporterCols)).Where("supporters.email IS NOT NULL"))
		}
	}
	if len(mediaLists) > 0 {
		parts = append(parts, fresh().Table("media_contacts").Select(journalistCols).
			Where("media_contacts.id IN (SELECT contact_id FROM media_list_members WHERE list_id IN ?)", mediaLists))
	}
	if len(supporterLists) > 0 {
		parts = append(parts, fresh().Table("supporters").Select(supporterCols).
			Where("supporters.erased_at IS NULL AND supporters.email IS NOT NULL").
			Where("supporters.id IN (SELECT supporter_id FROM supporter_list_members WHERE list_id IN ?)", supporterLists))
	}
	if len(parts) == 0 {
		return nil, nil
	}
	sql := strings.TrimSuffix(strings.Repeat("? UNION ALL ", len(parts)), " UNION ALL ")
	args := make([]any, len(parts))
	for i, p := range parts {
		args[i] = p
	}
	return fresh().Raw(sql, args...), nil
}
