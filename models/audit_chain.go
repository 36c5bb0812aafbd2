package models

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"gorm.io/gorm"
)

// The audit log's hash chain. Each event stores PrevHash, the Hash of the event
// before it in id order, and Hash, SHA-256 over a canonical encoding of its own
// fields and PrevHash. The single row of audit_chain_head remembers the last
// event sealed, so removing the newest event is noticed as well as altering or
// removing any other. Triggers on both dialects refuse UPDATE and DELETE on
// audit_events (except sealing a row written before the chain existed), so only
// someone who can drop them can tamper at all, and VerifyAuditLog then says
// where.

// auditHashVersion starts every encoding, so a future change of fields can be
// told apart from tampering.
const auditHashVersion = "pressroom-audit-v1"

// auditHead is the chain's head row.
type auditHead struct {
	LastID   int64
	LastHash string
}

// lockAuditHead reads the head row, locking it until tx ends. On PostgreSQL
// the row lock serialises every writer of the chain; SQLite has one writer at
// a time already (transactions begin IMMEDIATE).
func lockAuditHead(tx *gorm.DB) (auditHead, error) {
	q := "SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1"
	if tx.Dialector.Name() == string(Postgres) {
		q += " FOR UPDATE"
	}
	var h auditHead
	row := tx.Raw(q).Row()
	if err := row.Scan(&h.LastID, &h.LastHash); err != nil {
		return auditHead{}, fmt.Errorf("audit chain head: %w", err)
	}
	return h, nil
}

func moveAuditHead(tx *gorm.DB, h auditHead) error {
	return tx.Exec("UPDATE audit_chain_head SET last_id = ?, last_hash = ? WHERE id = 1", h.LastID, h.LastHash).Error
}

// sealPending chains any events after the head that have no hash yet: rows
// written before the chain existed, or by a process still running older code
// during a deploy. The triggers allow exactly this one update per row.
func sealPending(tx *gorm.DB, h auditHead) (auditHead, error) {
	for {
		var batch []AuditEvent
		if err := tx.Where("id > ?", h.LastID).Order("id").Limit(500).Find(&batch).Error; err != nil {
			return h, fmt.Errorf("audit events to seal: %w", err)
		}
		if len(batch) == 0 {
			return h, nil
		}
		for _, e := range batch {
			if e.Hash == "" {
				e.PrevHash = h.LastHash
				e.Hash = auditHash(e)
				res := tx.Exec("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ? AND hash = ''", e.PrevHash, e.Hash, e.ID)
				if res.Error != nil {
					return h, fmt.Errorf("seal audit event %d: %w", e.ID, res.Error)
				}
			}
			// A sealed row past the head is kept as it is; VerifyAuditLog
			// reports it if it does not follow.
			h = auditHead{LastID: e.ID, LastHash: e.Hash}
		}
		if err := moveAuditHead(tx, h); err != nil {
			return h, err
		}
	}
}

// SealAuditLog chains every event that has no hash yet (`pressroom migrate`
// runs it once the chain's migration is applied, for the events written
// before). It is idempotent; it returns how many events the head moved over.
func SealAuditLog(ctx context.Context, db *gorm.DB) (int64, error) {
	var moved int64
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		before, err := lockAuditHead(tx)
		if err != nil {
			return err
		}
		after, err := sealPending(tx, before)
		if err != nil {
			return err
		}
		if after.LastID != before.LastID {
			return tx.Model(&AuditEvent{}).Where("id > ? AND id <= ?", before.LastID, after.LastID).Count(&moved).Error
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("models: seal audit log: %w", err)
	}
	return moved, nil
}

// auditHash is SHA-256 over the event's fields and PrevHash, each written as
// its length and its bytes, so no two different events encode alike. The id is
// left out (the database assigns it after the hash is computed); the order is
// held by PrevHash instead.
func auditHash(e AuditEvent) string {
	h := sha256.New()
	field := func(s string) {
		var n [binary.MaxVarintLen64]byte
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	actor := "-" // no actor (a job, the command line) differs from every id
	if e.ActorID != nil {
		actor = "=" + *e.ActorID
	}
	field(auditHashVersion)
	field(strconv.FormatInt(e.At.UTC().UnixNano(), 10))
	field(actor)
	field(e.Action)
	field(e.SubjectType)
	field(e.SubjectID)
	field(strconv.Itoa(e.Revision))
	field(e.FromStatus)
	field(e.ToStatus)
	field(e.Comment)
	field(e.IP)
	field(e.Details)
	field(e.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

// AuditChainError names the first event where the chain does not hold.
type AuditChainError struct {
	EventID int64  // the first bad event (or the missing one)
	Reason  string // what is wrong, in words
}

func (e *AuditChainError) Error() string {
	return fmt.Sprintf("audit event %d: %s", e.EventID, e.Reason)
}

// ErrAuditChainBroken is what every *AuditChainError matches with errors.Is.
var ErrAuditChainBroken = errors.New("audit log hash chain broken")

// Is makes errors.Is(err, ErrAuditChainBroken) true.
func (e *AuditChainError) Is(target error) bool { return target == ErrAuditChainBroken }

// VerifyAuditLog walks the whole audit log in id order and checks each event's
// hash and its link to the event before, then that the last event is the
// chain's head. It returns how many events it checked, and an *AuditChainError
// naming the first bad event when a row was altered, removed or written around
// Audit. It reads in pages, so the log's size does not matter.
func VerifyAuditLog(ctx context.Context, db *gorm.DB) (int64, error) {
	db = db.WithContext(ctx)
	var (
		checked int64
		prev    AuditEvent // zero before the first event
		afterID int64
	)
	for {
		var batch []AuditEvent
		if err := db.Where("id > ?", afterID).Order("id").Limit(1000).Find(&batch).Error; err != nil {
			return checked, fmt.Errorf("models: verify audit log: %w", err)
		}
		if len(batch) == 0 {
			break
		}
		for _, e := range batch {
			if bad := checkAuditLink(prev, e); bad != nil {
				return checked, bad
			}
			prev = e
			checked++
		}
		afterID = batch[len(batch)-1].ID
	}
	var head auditHead
	if err := db.Raw("SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1").Row().Scan(&head.LastID, &head.LastHash); err != nil {
		return checked, fmt.Errorf("models: verify audit log: chain head: %w", err)
	}
	switch {
	case head.LastID > prev.ID:
		return checked, &AuditChainError{EventID: head.LastID, Reason: fmt.Sprintf("is missing: the chain ends at event %d but its head is event %d (the newest events were removed)", prev.ID, head.LastID)}
	case head.LastID != prev.ID || head.LastHash != prev.Hash:
		return checked, &AuditChainError{EventID: prev.ID, Reason: fmt.Sprintf("does not match the chain's head (event %d)", head.LastID)}
	}
	return checked, nil
}

// checkAuditLink checks event e, which follows prev (zero for the first).
func checkAuditLink(prev, e AuditEvent) *AuditChainError {
	if e.Hash == "" {
		return &AuditChainError{EventID: e.ID, Reason: "has no hash: it was written around the audit log (or before the chain; run `pressroom migrate`)"}
	}
	if e.PrevHash != prev.Hash {
		if prev.ID == 0 {
			return &AuditChainError{EventID: e.ID, Reason: "is the first event but is chained to an earlier one: the events before it were removed"}
		}
		return &AuditChainError{EventID: e.ID, Reason: fmt.Sprintf("is not chained to event %d before it: an event between them was removed, or event %d was altered", prev.ID, prev.ID)}
	}
	if auditHash(e) != e.Hash {
		return &AuditChainError{EventID: e.ID, Reason: "was altered: its contents do not match its hash"}
	}
	return nil
}
