package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// AuditEvent records one privileged action or state transition: who, when, on
// what, which revision, from which state to which, and why. Rows are never
// updated or deleted.
type AuditEvent struct {
	ID          int64 `gorm:"primaryKey"`
	At          time.Time
	ActorID     *string
	Action      string
	SubjectType string
	SubjectID   string
	Revision    int
	FromStatus  string
	ToStatus    string
	Comment     string
	IP          string
	Details     string
	// PrevHash is the Hash of the event before this one ("" for the first) and
	// Hash is SHA-256 over this event's fields and PrevHash (see auditHash): the
	// log is a hash chain, so altering or removing a row breaks it where it
	// happened, and VerifyAuditLog finds it.
	PrevHash string
	Hash     string
	Actor    *User `gorm:"foreignKey:ActorID"`
}

// Audit actions recorded so far. Feature areas add their own.
const (
	ActionLogin         = "login"
	ActionLoginFailed   = "login_failed"
	ActionLogout        = "logout"
	ActionUserCreated   = "user_created"
	ActionUserUpdated   = "user_updated"
	ActionGroupCreated  = "group_created"
	ActionTokenCreated  = "token_created"
	ActionTokenRevoked  = "token_revoked"
	ActionSessionRevoke = "session_revoked"
)

// Audit writes one event. It takes the transaction of the change it records, so
// the event exists exactly when the change does. The event is chained to the
// one before it under a lock on the chain's head row (held until the
// surrounding transaction commits), so concurrent writers keep one chain.
func Audit(ctx context.Context, db *gorm.DB, e AuditEvent) error {
	if e.At.IsZero() {
		e.At = db.NowFunc()
	}
	if e.IP == "" {
		e.IP = AuditIP(ctx)
	}
	// The database keeps microseconds: hash what will be read back.
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Actor = nil
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		head, err := lockAuditHead(tx)
		if err != nil {
			return err
		}
		if head, err = sealPending(tx, head); err != nil {
			return err
		}
		e.ID = 0
		e.PrevHash = head.LastHash
		e.Hash = auditHash(e)
		if err := tx.Omit(clause.Associations).Create(&e).Error; err != nil {
			return err
		}
		return moveAuditHead(tx, auditHead{LastID: e.ID, LastHash: e.Hash})
	})
	if err != nil {
		return fmt.Errorf("models: audit %s: %w", e.Action, err)
	}
	return nil
}

type auditIPKey struct{}

// WithAuditIP returns ctx carrying the client address of the request it
// serves. Audit records it on every event written with that context that does
// not name an address itself, so the rules in models (approvals, sends,
// withdrawals) record where a request came from without each function taking
// an address argument.
func WithAuditIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, auditIPKey{}, ip)
}

// AuditIP is the client address WithAuditIP put in ctx, or "" (a job, the
// command line).
func AuditIP(ctx context.Context) string {
	ip, _ := ctx.Value(auditIPKey{}).(string)
	return ip
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	ActorID     string
	SubjectType string
	SubjectID   string
	Action      string
	BeforeID    int64 // keyset pagination: events older than this id
	Limit       int
}

// AuditEvents lists events newest first.
func AuditEvents(ctx context.Context, db *gorm.DB, f AuditFilter) ([]AuditEvent, error) {
	q := db.WithContext(ctx).Preload("Actor").Order("id DESC")
	if f.ActorID != "" {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.SubjectType != "" {
		q = q.Where("subject_type = ?", f.SubjectType)
	}
	if f.SubjectID != "" {
		q = q.Where("subject_id = ?", f.SubjectID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.BeforeID > 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var es []AuditEvent
	if err := q.Limit(f.Limit).Find(&es).Error; err != nil {
		return nil, fmt.Errorf("models: audit events: %w", err)
	}
	return es, nil
}
