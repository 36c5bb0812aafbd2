package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// LetterPost records a writer's "I posted it": a printed letter to one target,
// counted apart from the emailed ones. Nothing about it can be checked, so it
// follows the letters' abuse rules (abuseState): past its address's burst or
// sustained limit it is kept but flagged (FlagReason) and left out of the
// posted count; past the ceiling it is refused. Its IP is cut to the network
// prefix after the abuse window (EraseLetterIPs).
type LetterPost struct {
	ID         string `gorm:"primaryKey"`
	DocumentID string
	TargetID   string
	Country    string
	IP         string `gorm:"column:ip"`
	IPErased   bool   `gorm:"column:ip_erased"`
	FlagReason string
	CreatedAt  time.Time
}

// RecordPosted records a writer's "I posted it" for targets of an open
// action, under the public forms' limits: ErrSignFlood past the ceiling,
// flagged (silently: the answer is the same) past the burst or sustained
// limit of the address on this action.
func RecordPosted(ctx context.Context, db *gorm.DB, pa *PublicAction, targetIDs []string, country, ip string, limits SignLimits, now time.Time) (int, error) {
	country = strings.ToUpper(strings.TrimSpace(country))
	if country != "" && !ValidCountry(country) {
		return 0, &ValidationError{Fields: map[string]string{"country": "choose your country from the list"}}
	}
	var rows []LetterPost
	for _, id := range targetIDs {
		if t := pa.Target(id); t != nil && !slices.ContainsFunc(rows, func(p LetterPost) bool { return p.TargetID == id }) {
			rows = append(rows, LetterPost{ID: NewID(), DocumentID: pa.Release.ID, TargetID: id, Country: country, IP: ip, CreatedAt: now})
		}
	}
	if len(rows) == 0 {
		return 0, &ValidationError{Fields: map[string]string{"target_ids": "choose the officials you posted a letter to"}}
	}
	q := db.WithContext(ctx)
	state, reason, err := abuseState(q, &LetterPost{}, "document_id", pa.Release.ID, ip, "", limits, now)
	if err != nil {
		return 0, err
	}
	if state == SignatureFlagged {
		for i := range rows {
			rows[i].FlagReason = reason
		}
	}
	if err := q.Create(&rows).Error; err != nil {
		return 0, fmt.Errorf("models: record posted: %w", err)
	}
	return len(rows), nil
}
