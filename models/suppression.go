package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SuppressionReason says why an address may not be mailed.
type SuppressionReason string

// Suppression reasons. Erased is what an unsubscribe, bounce or complaint becomes
// when the person's data is erased: only the hash remains.
const (
	SuppressBounce      SuppressionReason = "bounce"
	SuppressComplaint   SuppressionReason = "complaint"
	SuppressUnsubscribe SuppressionReason = "unsubscribe"
	SuppressManual      SuppressionReason = "manual"
	SuppressErased      SuppressionReason = "erased"
)

// Valid reports whether r is a known reason.
func (r SuppressionReason) Valid() bool {
	switch r {
	case SuppressBounce, SuppressComplaint, SuppressUnsubscribe, SuppressManual, SuppressErased:
		return true
	}
	return false
}

// Suppression is one address that Pressroom never mails, whatever list or
// segment it is on. One table serves every channel; the address is kept
// lower-cased and as a SHA-256 hash, so erasure can drop the address and keep the
// block.
type Suppression struct {
	ID        string `gorm:"primaryKey"`
	Email     *string
	EmailHash string
	Reason    SuppressionReason
	Note      string
	CreatedBy *string
	CreatedAt time.Time
}

// NotSuppressedSQL is the condition sending code adds to any recipient query so
// suppressed addresses never reach a send: hashColumn names the column holding
// EmailHash of the recipient (media_contacts.email_hash, supporters.email_hash).
//
//	db.Table("supporters").Where(models.NotSuppressedSQL("supporters.email_hash"))
//
// Matching by hash keeps working after an erasure removed the address itself.
func NotSuppressedSQL(hashColumn string) string {
	return "NOT EXISTS (SELECT 1 FROM suppressions sp WHERE sp.email_hash = " + hashColumn + ")"
}

// Suppress adds an address to the suppression list. An address already there
// keeps its first reason (the first bounce or complaint is the informative one),
// so calling it again is harmless.
func Suppress(ctx context.Context, db *gorm.DB, email string, reason SuppressionReason, note string, actorID *string) error {
	email = NormalizeEmail(email)
	if !ValidEmail(email) {
		return &ValidationError{Fields: map[string]string{"email": "is not a valid address"}}
	}
	if !reason.Valid() {
		return &ValidationError{Fields: map[string]string{"reason": "must be bounce, complaint, unsubscribe or manual"}}
	}
	s := Suppression{ID: NewID(), Email: &email, EmailHash: EmailHash(email), Reason: reason, Note: strings.TrimSpace(note),
		CreatedBy: actorID, CreatedAt: db.NowFunc().UTC()}
	if err := db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "email_hash"}}, DoNothing: true}).Create(&s).Error; err != nil {
		return fmt.Errorf("models: suppress: %w", err)
	}
	return nil
}

// Unsuppress lifts a suppression of one of the given reasons, used when a person
// confirms a new subscription: their own fresh opt-in overrides their earlier
// unsubscribe, never a complaint or a staff decision.
func Unsuppress(ctx context.Context, db *gorm.DB, email string, reasons ...SuppressionReason) error {
	if err := db.WithContext(ctx).Where("email_hash = ? AND reason IN ?", EmailHash(email), reasons).Delete(&Suppression{}).Error; err != nil {
		return fmt.Errorf("models: unsuppress: %w", err)
	}
	return nil
}

// SuppressionFor returns the suppression of an address, or ErrNotFound.
func SuppressionFor(ctx context.Context, db *gorm.DB, email string) (*Suppression, error) {
	var s Suppression
	if err := db.WithContext(ctx).First(&s, "email_hash = ?", EmailHash(email)).Error; err != nil {
		return nil, fmt.Errorf("models: suppression for: %w", translate(err))
	}
	return &s, nil
}

// IsSuppressed reports whether an address may not be mailed.
func IsSuppressed(ctx context.Context, db *gorm.DB, email string) (bool, error) {
	var n int64
	if err := db.WithContext(ctx).Model(&Suppression{}).Where("email_hash = ?", EmailHash(email)).Count(&n).Error; err != nil {
		return false, fmt.Errorf("models: is suppressed: %w", err)
	}
	return n > 0, nil
}

// Suppressions lists suppressions newest first, optionally those whose address
// contains q or whose hash is q's hash (so an erased address can still be looked
// up by someone who knows it).
func Suppressions(ctx context.Context, db *gorm.DB, q string, limit int) ([]Suppression, error) {
	tx := db.WithContext(ctx).Order("created_at DESC, id")
	if q = strings.TrimSpace(q); q != "" {
		tx = tx.Where("email LIKE ? ESCAPE '\\' OR email_hash = ?", likePattern(q), EmailHash(q))
	}
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	var ss []Suppression
	if err := tx.Limit(limit).Find(&ss).Error; err != nil {
		return nil, fmt.Errorf("models: suppressions: %w", err)
	}
	return ss, nil
}
