package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// normalActions runs a release through drafting, review and approval, and a
// few other privileged actions, so the log holds events from several writers.
func normalActions(t *testing.T, db *models.DB) {
	t.Helper()
	o := dbtest.NewOrg(t, db)
	now := time.Date(2026, 7, 9, 9, 0, 0, 123456789, time.UTC)
	o.Release(t, models.KindPressRelease, "Arms embargo now", nil, now)
	later := now.Add(time.Hour)
	o.Release(t, models.KindActionAlert, "Free the journalists", &later, now)
	actor := o.Press.ID
	if err := models.Audit(context.Background(), db.Gorm, models.AuditEvent{ActorID: &actor, Action: "contacts_exported", SubjectType: "media_contact",
		IP: "192.0.2.7", Details: "filter: beat=arms; 12 rows; quotes \" and\nnewlines"}); err != nil {
		t.Fatal(err)
	}
}

func auditCount(t *testing.T, db *models.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Gorm.Model(&models.AuditEvent{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// dropAuditTriggers does what an attacker with database access would do first.
func dropAuditTriggers(t *testing.T, db *models.DB) {
	t.Helper()
	stmts := []string{"DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"}
	if db.Dialect == models.Postgres {
		stmts = []string{"DROP TRIGGER audit_events_no_update ON audit_events", "DROP TRIGGER audit_events_no_delete ON audit_events"}
	}
	for _, s := range stmts {
		if err := db.Gorm.Exec(s).Error; err != nil {
			t.Fatal(err)
		}
	}
}

func middleEventID(t *testing.T, db *models.DB) int64 {
	t.Helper()
	var ids []int64
	if err := db.Gorm.Model(&models.AuditEvent{}).Order("id").Pluck("id", &ids).Error; err != nil {
		t.Fatal(err)
	}
	if len(ids) < 5 {
		t.Fatalf("only %d audit events", len(ids))
	}
	return ids[len(ids)/2]
}

func wantBrokenAt(t *testing.T, err error, id int64) {
	t.Helper()
	var ce *models.AuditChainError
	if !errors.As(err, &ce) || !errors.Is(err, models.ErrAuditChainBroken) {
		t.Fatalf("verify = %v, want an audit chain error naming event %d", err, id)
	}
	if ce.EventID != id {
		t.Fatalf("verify named event %d (%s), want %d", ce.EventID, ce.Reason, id)
	}
}

// TestAuditChainVerifiesAfterNormalActions: every event written by the
// ordinary code paths is chained, and the chain verifies.
func TestAuditChainVerifiesAfterNormalActions(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		normalActions(t, db)
		n, err := models.VerifyAuditLog(context.Background(), db.Gorm)
		if err != nil {
			t.Fatalf("verify after normal actions: %v", err)
		}
		if total := auditCount(t, db); n != total || n < 8 {
			t.Fatalf("verified %d of %d events", n, total)
		}
		var unsealed int64
		db.Gorm.Model(&models.AuditEvent{}).Where("hash = '' OR (prev_hash = '' AND id > (SELECT MIN(id) FROM audit_events))").Count(&unsealed)
		if unsealed != 0 {
			t.Fatalf("%d events not chained", unsealed)
		}
	})
}

// TestAuditTriggersRefuseChange: the database itself refuses to update or
// delete an audit row, whatever code asks.
func TestAuditTriggersRefuseChange(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		normalActions(t, db)
		id := middleEventID(t, db)
		before := auditCount(t, db)
		for _, stmt := range []string{
			"UPDATE audit_events SET details = 'nothing to see' WHERE id = ?",
			"UPDATE audit_events SET hash = '' WHERE id = ?",
			"DELETE FROM audit_events WHERE id = ?",
		} {
			err := db.Gorm.Exec(stmt, id).Error
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want refused as append-only", stmt, err)
			}
		}
		if err := db.Gorm.Exec("DELETE FROM audit_events").Error; err == nil {
			t.Error("deleting every audit row was allowed")
		}
		if after := auditCount(t, db); after != before {
			t.Fatalf("audit rows %d → %d", before, after)
		}
		if _, err := models.VerifyAuditLog(context.Background(), db.Gorm); err != nil {
			t.Fatalf("verify after refused changes: %v", err)
		}
	})
}

// TestAuditVerifyFindsAlteredRow: someone who drops the triggers and edits a
// row directly is found out, at that row.
func TestAuditVerifyFindsAlteredRow(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		normalActions(t, db)
		dropAuditTriggers(t, db)
		id := middleEventID(t, db)
		if err := db.Gorm.Exec("UPDATE audit_events SET ip = '203.0.113.9' WHERE id = ?", id).Error; err != nil {
			t.Fatal(err)
		}
		_, err := models.VerifyAuditLog(context.Background(), db.Gorm)
		wantBrokenAt(t, err, id)
	})
}

// TestAuditVerifyFindsRemovedRow: removing an event in the middle breaks the
// chain where it was.
func TestAuditVerifyFindsRemovedRow(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		normalActions(t, db)
		dropAuditTriggers(t, db)
		var ids []int64
		db.Gorm.Model(&models.AuditEvent{}).Order("id").Pluck("id", &ids)
		mid := ids[len(ids)/2]
		if err := db.Gorm.Exec("DELETE FROM audit_events WHERE id = ?", mid).Error; err != nil {
			t.Fatal(err)
		}
		_, err := models.VerifyAuditLog(context.Background(), db.Gorm)
		wantBrokenAt(t, err, ids[len(ids)/2+1]) // the event chained to the removed one
		if !strings.Contains(err.Error(), "removed") {
			t.Fatalf("message %q does not say an event was removed", err)
		}
	})
}

// TestAuditVerifyFindsRemovedNewestRow: the chain's head row notices the
// newest event going missing.
func TestAuditVerifyFindsRemovedNewestRow(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		normalActions(t, db)
		dropAuditTriggers(t, db)
		var last int64
		db.Gorm.Model(&models.AuditEvent{}).Select("MAX(id)").Scan(&last)
		if err := db.Gorm.Exec("DELETE FROM audit_events WHERE id = ?", last).Error; err != nil {
			t.Fatal(err)
		}
		_, err := models.VerifyAuditLog(context.Background(), db.Gorm)
		wantBrokenAt(t, err, last)
	})
}

// TestAuditChainConcurrentInserts: twenty writers at once still leave one
// chain, each event linked to exactly one predecessor.
func TestAuditChainConcurrentInserts(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for g := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 5 {
					errs <- models.Audit(ctx, db.Gorm, models.AuditEvent{Action: "concurrent", SubjectType: "test", SubjectID: fmt.Sprintf("%d-%d", g, i)})
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		n, err := models.VerifyAuditLog(ctx, db.Gorm)
		if err != nil {
			t.Fatalf("verify after concurrent inserts: %v", err)
		}
		if n != 100 {
			t.Fatalf("verified %d events, want 100", n)
		}
		var forks int64
		db.Gorm.Raw("SELECT COUNT(*) FROM (SELECT prev_hash FROM audit_events GROUP BY prev_hash HAVING COUNT(*) > 1) f").Scan(&forks)
		if forks != 0 {
			t.Fatalf("%d hashes have more than one successor: the chain forked", forks)
		}
	})
}

// TestSealAuditLogChainsOldRows: events written before the chain existed (no
// hash) are sealed once by the migrate step, and later events follow them.
func TestSealAuditLogChainsOldRows(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
		for i := range 3 {
			if err := db.Gorm.Exec("INSERT INTO audit_events (at, action, subject_type, subject_id, details) VALUES (?, 'legacy', 'user', ?, 'before the chain')",
				at.Add(time.Duration(i)*time.Minute), fmt.Sprint(i)).Error; err != nil {
				t.Fatal(err)
			}
		}
		if _, err := models.VerifyAuditLog(ctx, db.Gorm); !errors.Is(err, models.ErrAuditChainBroken) {
			t.Fatalf("verify with unsealed rows = %v, want broken", err)
		}
		n, err := models.SealAuditLog(ctx, db.Gorm)
		if err != nil || n != 3 {
			t.Fatalf("seal = %d, %v; want 3", n, err)
		}
		if n, err := models.SealAuditLog(ctx, db.Gorm); err != nil || n != 0 {
			t.Fatalf("second seal = %d, %v; want 0", n, err)
		}
		if err := models.Audit(ctx, db.Gorm, models.AuditEvent{Action: "after"}); err != nil {
			t.Fatal(err)
		}
		if n, err := models.VerifyAuditLog(ctx, db.Gorm); err != nil || n != 4 {
			t.Fatalf("verify after sealing = %d, %v", n, err)
		}
		// Sealing is the only update the triggers allow, and only once.
		if err := db.Gorm.Exec("UPDATE audit_events SET hash = 'x' WHERE action = 'legacy'").Error; err == nil {
			t.Fatal("resealing a sealed row was allowed")
		}
	})
}
