package models_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// claimRig is a materialised three-recipient send: one batch, number 0.
func claimRig(t *testing.T, db *models.DB) *models.Send {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	o := dbtest.NewOrg(t, db)
	doc := o.Release(t, models.KindActionAlert, "Release the detained journalists", nil, now)
	list := dbtest.BulkSupporters(t, db, "claim", 3)
	s, err := models.CreateSend(ctx, db.Gorm, o.Campaigner, models.SendInput{DocumentID: doc.ID, SupporterListIDs: []string{list}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.DispatchSend(ctx, db.Gorm, o.Campaigner, s.ID, now, func(*gorm.DB, *models.Send) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if s, err = models.MaterialiseSend(ctx, db.Gorm, s.ID, now, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

func batchRow(t *testing.T, db *models.DB, sendID string) models.SendBatch {
	t.Helper()
	var b models.SendBatch
	if err := db.Gorm.Take(&b, "send_id = ? AND batch_no = 0", sendID).Error; err != nil {
		t.Fatal(err)
	}
	return b
}

// TestClaimBatchNeedsProofItsClaimantIsGone checks who may claim a batch left
// "submitting". On PostgreSQL a batch claimed by a worker whose liveness lock is
// held (the worker is alive and may be sending it right now) is refused to
// every other worker, and nothing about the batch changes; its own worker may
// claim it again, and anyone may once the lock is free. On SQLite (one worker
// process) a "submitting" batch is always claimed again. A batch handed back
// with ReleaseBatch is open to anyone.
func TestClaimBatchNeedsProofItsClaimantIsGone(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := claimRig(t, db)
		now := time.Now().UTC()
		claim := func(worker string) models.BatchClaim {
			t.Helper()
			c, _, _, err := models.ClaimBatch(ctx, db.Gorm, s.ID, 0, worker, now)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if c := claim("worker-a"); c != models.ClaimSend {
			t.Fatalf("first claim = %v, want ClaimSend", c)
		}
		if b := batchRow(t, db, s.ID); b.Status != models.BatchSubmitting || b.ClaimedBy != "worker-a" || b.Attempts != 1 {
			t.Fatalf("after the first claim: %s by %q, %d attempts", b.Status, b.ClaimedBy, b.Attempts)
		}

		if db.Dialect == models.SQLite {
			if c := claim("worker-b"); c != models.ClaimSend {
				t.Fatalf("SQLite: claim of a submitting batch = %v, want ClaimSend", c)
			}
			if b := batchRow(t, db, s.ID); b.ClaimedBy != "worker-b" || b.Attempts != 2 {
				t.Fatalf("SQLite: after the second claim: by %q, %d attempts", b.ClaimedBy, b.Attempts)
			}
		} else {
			// worker-a is alive: its liveness lock is held on a connection of its own.
			conn, err := db.SQL.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", models.WorkerLivenessKey("worker-a")); err != nil {
				t.Fatal(err)
			}
			for _, other := range []string{"worker-b", ""} {
				if c := claim(other); c != models.ClaimBusy {
					t.Fatalf("claim by %q of a batch a live worker is sending = %v, want ClaimBusy", other, c)
				}
			}
			if b := batchRow(t, db, s.ID); b.Status != models.BatchSubmitting || b.ClaimedBy != "worker-a" || b.Attempts != 1 {
				t.Fatalf("refused claims changed the batch: %s by %q, %d attempts", b.Status, b.ClaimedBy, b.Attempts)
			}
			if c := claim("worker-a"); c != models.ClaimSend {
				t.Fatalf("claim by its own worker = %v, want ClaimSend", c)
			}
			// worker-a dies: its connection goes, and the lock with it.
			conn.Close()
			if c := claim("worker-b"); c != models.ClaimSend {
				t.Fatalf("claim of a dead worker's batch = %v, want ClaimSend", c)
			}
			if b := batchRow(t, db, s.ID); b.ClaimedBy != "worker-b" || b.Attempts != 3 {
				t.Fatalf("after taking over: by %q, %d attempts; want worker-b, 3", b.ClaimedBy, b.Attempts)
			}
		}

		// Only the claimant can hand a batch back.
		if err := models.ReleaseBatch(ctx, db.Gorm, s.ID, 0, "worker-a", now); err != nil {
			t.Fatal(err)
		}
		if b := batchRow(t, db, s.ID); b.Status != models.BatchSubmitting || b.ClaimedBy != "worker-b" {
			t.Fatalf("release by a worker that does not hold the claim: %s by %q", b.Status, b.ClaimedBy)
		}
		if err := models.ReleaseBatch(ctx, db.Gorm, s.ID, 0, "worker-b", now); err != nil {
			t.Fatal(err)
		}
		if b := batchRow(t, db, s.ID); b.Status != models.BatchPending || b.ClaimedBy != "" {
			t.Fatalf("released batch: %s by %q, want pending", b.Status, b.ClaimedBy)
		}
		if c := claim("worker-c"); c != models.ClaimSend {
			t.Fatalf("claim of a released batch = %v, want ClaimSend", c)
		}
	})
}

// TestCheckpointBatchTwiceCountsOnce repeats a checkpoint, as a worker does when
// the answer to its first commit was lost with the connection: the batch's
// counts do not double.
func TestCheckpointBatchTwiceCountsOnce(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := claimRig(t, db)
		now := time.Now().UTC()
		if c, _, _, err := models.ClaimBatch(ctx, db.Gorm, s.ID, 0, "worker-a", now); err != nil || c != models.ClaimSend {
			t.Fatalf("claim = %v, %v", c, err)
		}
		for range 2 {
			if err := models.CheckpointBatch(ctx, db.Gorm, s.ID, 0, "msg-1", 3, now); err != nil {
				t.Fatal(err)
			}
		}
		if b := batchRow(t, db, s.ID); b.Status != models.BatchSubmitted || b.Submitted != 3 || b.MessageID != "msg-1" {
			t.Fatalf("batch after two checkpoints: %s, %d submitted, message %q; want submitted, 3, msg-1", b.Status, b.Submitted, b.MessageID)
		}
	})
}
