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

// EraseLetterIPs cuts the IP of every letter and every "I posted it" older
// than keep to its network prefix, a page at a time, and returns how many it
// changed.
func EraseLetterIPs(ctx context.Context, db *gorm.DB, keep time.Duration, now time.Time) (int, error) {
	letters, err := eraseIPs(ctx, db, &Letter{}, keep, now)
	if err != nil {
		return letters, fmt.Errorf("models: erase letter ips: %w", err)
	}
	posts, err := eraseIPs(ctx, db, &LetterPost{}, keep, now)
	if err != nil {
		return letters + posts, fmt.Errorf("models: erase letter post ips: %w", err)
	}
	return letters + posts, nil
}

// eraseIPs cuts the ip of model's rows (a table with id, ip, ip_erased and
// created_at) older than keep, a page at a time.
func eraseIPs(ctx context.Context, db *gorm.DB, model any, keep time.Duration, now time.Time) (int, error) {
	total := 0
	for {
		var rows []struct {
			ID string
			IP string `gorm:"column:ip"`
		}
		if err := db.WithContext(ctx).Model(model).Select("id, ip").Where("ip_erased = ? AND created_at < ?", false, now.Add(-keep)).
			Limit(1000).Scan(&rows).Error; err != nil {
			return total, err
		}
		if len(rows) == 0 {
			return total, nil
		}
		err := Transaction(ctx, db, func(tx *gorm.DB) error {
			for _, r := range rows {
				if err := tx.Model(model).Where("id = ?", r.ID).Updates(map[string]any{"ip": IPPrefix(r.IP), "ip_erased": true}).Error; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
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

// LetterExport is one letter in a supporter's data export: what they wrote,
// to whom, and what became of it.
type LetterExport struct {
	Action         string                 `json:"action"`
	Name           string                 `json:"name"`
	Email          string                 `json:"email"`
	Country        string                 `json:"country"`
	Subject        string                 `json:"subject"`
	Body           string                 `json:"body"`
	State          SignatureState         `json:"state"`
	OptIn          bool                   `json:"opt_in"`
	ConsentWording string                 `json:"consent_wording"`
	IP             string                 `json:"ip"`
	Source         string                 `json:"source"`
	WrittenAt      time.Time              `json:"written_at"`
	ConfirmedAt    *time.Time             `json:"confirmed_at"`
	Deliveries     []LetterDeliveryExport `json:"deliveries"`
}

// LetterDeliveryExport is the letter's copy to one official.
type LetterDeliveryExport struct {
	Target string     `json:"target"`
	Status string     `json:"status"`
	SentAt *time.Time `json:"sent_at"`
}

// lettersOfSupporter gathers the letters a supporter wrote (linked by their
// opt-in or written with their address) with their deliveries, for a
// data-subject access request.
func lettersOfSupporter(ctx context.Context, db *gorm.DB, sup *Supporter) ([]LetterExport, error) {
	q := db.WithContext(ctx).Table("letters").Select("letters.*, documents.slug AS action_slug").
		Joins("JOIN documents ON documents.id = letters.document_id")
	if sup.Email != nil {
		q = q.Where("letters.supporter_id = ? OR letters.email = ?", sup.ID, *sup.Email)
	} else {
		q = q.Where("letters.supporter_id = ?", sup.ID)
	}
	var rows []struct {
		Letter
		ActionSlug *string
	}
	if err := q.Order("letters.created_at").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: supporter letters: %w", err)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var ds []struct {
		LetterID string
		Name     string
		Status   string
		SentAt   *time.Time
	}
	if len(ids) > 0 {
		if err := db.WithContext(ctx).Table("letter_deliveries").Select("letter_deliveries.letter_id, targets.name, letter_deliveries.status, letter_deliveries.sent_at").
			Joins("JOIN targets ON targets.id = letter_deliveries.target_id").Where("letter_deliveries.letter_id IN ?", ids).
			Order("targets.name").Scan(&ds).Error; err != nil {
			return nil, fmt.Errorf("models: supporter letters: %w", err)
		}
	}
	byLetter := map[string][]LetterDeliveryExport{}
	for _, d := range ds {
		byLetter[d.LetterID] = append(byLetter[d.LetterID], LetterDeliveryExport{Target: d.Name, Status: d.Status, SentAt: d.SentAt})
	}
	out := make([]LetterExport, 0, len(rows))
	for _, r := range rows {
		e := LetterExport{Name: r.Name, Email: r.Address(), Country: r.Country, Subject: r.Subject, Body: r.Body, State: r.State,
			OptIn: r.OptIn, ConsentWording: r.ConsentWording, IP: r.IP, Source: r.Source, WrittenAt: r.CreatedAt.UTC(), ConfirmedAt: r.ConfirmedAt,
			Deliveries: byLetter[r.ID]}
		if e.Deliveries == nil {
			e.Deliveries = []LetterDeliveryExport{}
		}
		if r.ActionSlug != nil {
			e.Action = *r.ActionSlug
		}
		out = append(out, e)
	}
	return out, nil
}
