package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Letters keep personal data only as long as they need it, as signatures do:
// an unconfirmed letter is deleted after the pending window, a writer's IP is
// cut to its network prefix after the abuse window, and a supporter's erasure
// anonymises their letters while every count stays right.

// ExpirePendingLetters deletes letters never confirmed within ttl, with their
// delivery records and links, and returns how many went.
func ExpirePendingLetters(ctx context.Context, db *gorm.DB, ttl time.Duration, now time.Time) (int64, error) {
	res := db.WithContext(ctx).Where("state = ? AND confirmed_at IS NULL AND created_at < ?", SignaturePending, now.Add(-ttl)).Delete(&Letter{})
	if res.Error != nil {
		return 0, fmt.Errorf("models: expire letters: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// EraseLetterIPs cuts the IP of every letter older than keep to its network
// prefix, a page at a time, and returns how many it changed.
func EraseLetterIPs(ctx context.Context, db *gorm.DB, keep time.Duration, now time.Time) (int, error) {
	total := 0
	for {
		var rows []struct {
			ID string
			IP string `gorm:"column:ip"`
		}
		if err := db.WithContext(ctx).Model(&Letter{}).Select("id, ip").Where("ip_erased = ? AND created_at < ?", false, now.Add(-keep)).
			Limit(1000).Scan(&rows).Error; err != nil {
			return total, fmt.Errorf("models: erase letter ips: %w", err)
		}
		if len(rows) == 0 {
			return total, nil
		}
		err := Transaction(ctx, db, func(tx *gorm.DB) error {
			for _, r := range rows {
				if err := tx.Model(&Letter{}).Where("id = ?", r.ID).Updates(map[string]any{"ip": IPPrefix(r.IP), "ip_erased": true}).Error; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("models: erase letter ips: %w", err)
		}
		total += len(rows)
	}
}

// anonymiseLetters removes a supporter's personal data from their letters on
// erasure: name, address, words and IP go; the state, country and delivery
// records stay, so every count stays right. The mailbox key becomes a hash,
// so the once-per-target rule still holds for it.
func anonymiseLetters(ctx context.Context, tx *gorm.DB, sup *Supporter) error {
	db := tx.WithContext(ctx)
	q := db.Model(&Letter{}).Where("supporter_id = ?", sup.ID)
	if sup.Email != nil {
		q = db.Model(&Letter{}).Where("supporter_id = ? OR email = ?", sup.ID, *sup.Email)
	}
	var rows []struct {
		ID              string
		NormalisedEmail string
	}
	if err := q.Select("id, normalised_email").Scan(&rows).Error; err != nil {
		return fmt.Errorf("models: anonymise letters: %w", err)
	}
	for _, r := range rows {
		key := "erased:" + HashSecret(r.NormalisedEmail)
		if err := db.Model(&Letter{}).Where("id = ?", r.ID).Updates(map[string]any{"name": "", "email": nil, "body": "", "ip": "", "ip_erased": true,
			"normalised_email": key, "supporter_id": nil}).Error; err != nil {
			return fmt.Errorf("models: anonymise letters: %w", err)
		}
		if err := db.Model(&LetterDelivery{}).Where("letter_id = ?", r.ID).Update("normalised_email", key).Error; err != nil {
			return fmt.Errorf("models: anonymise letters: %w", err)
		}
		if err := db.Where("letter_id = ?", r.ID).Delete(&LetterToken{}).Error; err != nil {
			return fmt.Errorf("models: anonymise letters: %w", err)
		}
		if err := db.Where("normalised_email = ?", r.NormalisedEmail).Delete(&LetterWriter{}).Error; err != nil {
			return fmt.Errorf("models: anonymise letters: %w", err)
		}
	}
	return nil
}
