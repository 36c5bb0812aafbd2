package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Flagged letters wait for a campaigner. A rate limit or the honeypot flags a
// letter silently (the writer sees no difference), and a flagged letter never
// goes to an official on its own: a campaigner reads it and either lets it go
// (a burst from one office network is often real) or rejects it (a bot, or a
// letter that would embarrass the organisation in front of a minister).

// ErrLetterNotFlagged is a review decision on a letter that is not waiting for
// one (already decided, or never flagged).
var ErrLetterNotFlagged = errors.New("models: the letter is not flagged")

// FlaggedLetter is a flagged letter as its reviewer sees it: enough to judge
// it (who, from which network and domain, why it was flagged, the words),
// nothing more.
type FlaggedLetter struct {
	ID          string
	Name        string
	Country     string
	EmailDomain string
	IP          string
	FlagReason  string
	Subject     string
	Body        string
	Unchanged   bool
	CreatedAt   time.Time
	ConfirmedAt *time.Time
}

// FlaggedLetters lists an action's flagged letters, oldest first (limit at
// most), and how many there are in all. Reading them shows writers' names, so
// only the supporters' owners (campaigners and admins) may.
func FlaggedLetters(ctx context.Context, db *gorm.DB, by *User, docID string, limit int) ([]FlaggedLetter, int64, error) {
	if !CanReadPeople(by, AudienceSupporters) {
		return nil, 0, ErrNotYourAudience
	}
	q := db.WithContext(ctx).Model(&Letter{}).Where("document_id = ? AND state = ?", docID, SignatureFlagged)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("models: flagged letters: %w", err)
	}
	var out []FlaggedLetter
	if err := q.Select("id, name, country, email_domain, ip, flag_reason, subject, body, unchanged, created_at, confirmed_at").
		Order("created_at, id").Limit(limit).Scan(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("models: flagged letters: %w", err)
	}
	return out, total, nil
}

// ReleaseFlaggedLetter lets a flagged letter go, inside the caller's
// transaction: a letter whose writer has confirmed becomes confirmed and its
// deliveries are returned to schedule; one not yet confirmed goes back to
// pending and goes when the writer confirms, like any other. The decision is
// audited.
func ReleaseFlaggedLetter(ctx context.Context, tx *gorm.DB, by *User, docID, letterID, ip string, now time.Time) ([]LetterDelivery, error) {
	l, err := flaggedLetter(ctx, tx, by, docID, letterID)
	if err != nil {
		return nil, err
	}
	state := SignaturePending
	if l.ConfirmedAt != nil {
		state = SignatureConfirmed
	}
	if err := decideLetter(ctx, tx, by, l, state, "letter_released", ip, now); err != nil {
		return nil, err
	}
	if state != SignatureConfirmed {
		return nil, nil
	}
	var dels []LetterDelivery
	if err := tx.WithContext(ctx).Where("letter_id = ? AND status = ?", l.ID, DeliveryPending).Find(&dels).Error; err != nil {
		return nil, fmt.Errorf("models: release letter: %w", err)
	}
	return dels, nil
}

// RejectFlaggedLetter rejects a flagged letter: it is invalidated, never sent
// and not counted. The decision is audited.
func RejectFlaggedLetter(ctx context.Context, tx *gorm.DB, by *User, docID, letterID, ip string, now time.Time) error {
	l, err := flaggedLetter(ctx, tx, by, docID, letterID)
	if err != nil {
		return err
	}
	return decideLetter(ctx, tx, by, l, SignatureInvalidated, "letter_rejected", ip, now)
}

func flaggedLetter(ctx context.Context, tx *gorm.DB, by *User, docID, letterID string) (*Letter, error) {
	if !CanReadPeople(by, AudienceSupporters) {
		return nil, ErrNotYourAudience
	}
	var l Letter
	if err := tx.WithContext(ctx).Take(&l, "id = ? AND document_id = ?", letterID, docID).Error; err != nil {
		return nil, fmt.Errorf("models: review letter: %w", translate(err))
	}
	if l.State != SignatureFlagged {
		return nil, ErrLetterNotFlagged
	}
	return &l, nil
}

// decideLetter moves a flagged letter to state, guarded on it still being
// flagged so two reviewers deciding at once cannot both act.
func decideLetter(ctx context.Context, tx *gorm.DB, by *User, l *Letter, state SignatureState, action, ip string, now time.Time) error {
	res := tx.WithContext(ctx).Model(&Letter{}).Where("id = ? AND state = ?", l.ID, SignatureFlagged).Update("state", state)
	if res.Error != nil {
		return fmt.Errorf("models: review letter: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrLetterNotFlagged
	}
	return Audit(ctx, tx, AuditEvent{At: now, ActorID: &by.ID, Action: action, SubjectType: "letter", SubjectID: l.ID, IP: ip,
		Details: fmt.Sprintf("action %s; flagged for: %s", l.DocumentID, l.FlagReason)})
}
