package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Worker liveness. Each worker process holds, for as long as it lives, a
// PostgreSQL session advisory lock keyed by WorkerLivenessKey(its River client
// id) (jobs/rescue.go); the lock vanishes with the process's connection. Anyone
// who can take that lock has proof the worker is gone, and only with that proof
// may a job or batch the worker was working on be taken over.

// WorkerLivenessKey is the advisory lock name of a worker's liveness lock; the
// lock itself is hashtextextended(key, 0).
func WorkerLivenessKey(clientID string) string { return "pressroom-worker:" + clientID }

// WorkerLivenessPrefix is WorkerLivenessKey without the client id, for SQL that
// builds the key of many workers at once.
const WorkerLivenessPrefix = "pressroom-worker:"

// workerGone reports whether a worker's liveness lock is free, holding it until
// tx ends so that the worker cannot (re)take it while tx acts on its absence
// (PostgreSQL only).
func workerGone(tx *gorm.DB, clientID string) (bool, error) {
	var free bool
	if err := tx.Raw("SELECT pg_try_advisory_xact_lock(hashtextextended(?, 0))", WorkerLivenessKey(clientID)).Scan(&free).Error; err != nil {
		return false, fmt.Errorf("models: worker liveness: %w", err)
	}
	return free, nil
}

// ReleaseBatch hands back a batch that worker claimed but sent nothing of (the
// attempt failed before its request): it becomes "pending", so any worker may
// take it at once rather than wait for proof that worker is dead.
func ReleaseBatch(ctx context.Context, db *gorm.DB, sendID string, batchNo int, worker string, now time.Time) error {
	err := db.WithContext(ctx).Model(&SendBatch{}).
		Where("send_id = ? AND batch_no = ? AND status = ? AND claimed_by = ?", sendID, batchNo, BatchSubmitting, worker).
		Updates(map[string]any{"status": BatchPending, "claimed_by": "", "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("models: release batch: %w", err)
	}
	return nil
}
