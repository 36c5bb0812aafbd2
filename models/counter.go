package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// PetitionCounter is the public count of one petition. One writer updates it:
// the count job (CountNewSignatures), in batches, plus the hourly recount. No
// request ever writes it, so a viral petition's readers and signers never queue
// on one hot row.
type PetitionCounter struct {
	PetitionID string `gorm:"primaryKey"`
	Confirmed  int64
	UpdatedAt  time.Time
}

// PetitionCountryCount is the counter of one petition's signatures from one
// country, written the same way.
type PetitionCountryCount struct {
	PetitionID string `gorm:"primaryKey"`
	Country    string `gorm:"primaryKey"`
	Confirmed  int64
}

// countBatch bounds the signatures one count transaction takes, so a backlog
// is worked off in steady steps instead of one huge transaction.
const countBatch = 20000

type countedRow struct {
	PetitionID string
	Country    string
}

// CountNewSignatures adds the confirmed signatures not yet counted to their
// petitions' counters and returns how many it added. Each signature is marked
// counted (counted_at) in the same transaction that adds it, by a conditional
// update that only one transaction can win: a signature is counted exactly
// once even when two count jobs overlap or a job dies half-way, whatever order
// the confirmations committed in (a time watermark would miss a confirmation
// that commits late).
func CountNewSignatures(ctx context.Context, db *gorm.DB, now time.Time) (int, error) {
	total := 0
	for {
		n, err := countBatchOnce(ctx, db, now)
		if err != nil {
			return total, fmt.Errorf("models: count signatures: %w", err)
		}
		total += n
		if n < countBatch {
			return total, nil
		}
	}
}

func countBatchOnce(ctx context.Context, db *gorm.DB, now time.Time) (int, error) {
	var rows []countedRow
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		err := tx.Raw(`UPDATE signatures SET counted_at = ?
			WHERE id IN (SELECT id FROM signatures WHERE state = 'confirmed' AND counted_at IS NULL LIMIT ?)
			AND state = 'confirmed' AND counted_at IS NULL
			RETURNING petition_id, country`, now, countBatch).Scan(&rows).Error
		if err != nil || len(rows) == 0 {
			return err
		}
		return addCounts(tx, rows, 1, now)
	})
	return len(rows), err
}

// addCounts adds sign × the rows to the counters: one statement per petition
// for the total, one for all its countries.
func addCounts(tx *gorm.DB, rows []countedRow, sign int64, now time.Time) error {
	perPetition := map[string]int64{}
	perCountry := map[countedRow]int64{}
	for _, r := range rows {
		perPetition[r.PetitionID] += sign
		perCountry[r] += sign
	}
	for id, n := range perPetition {
		c := PetitionCounter{PetitionID: id, Confirmed: n, UpdatedAt: now}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "petition_id"}},
			DoUpdates: clause.Assignments(map[string]any{"confirmed": gorm.Expr("petition_counters.confirmed + excluded.confirmed"), "updated_at": now})}).
			Create(&c).Error; err != nil {
			return err
		}
	}
	cs := make([]PetitionCountryCount, 0, len(perCountry))
	for k, n := range perCountry {
		cs = append(cs, PetitionCountryCount{PetitionID: k.PetitionID, Country: k.Country, Confirmed: n})
	}
	return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "petition_id"}, {Name: "country"}},
		DoUpdates: clause.Assignments(map[string]any{"confirmed": gorm.Expr("petition_country_counts.confirmed + excluded.confirmed")})}).
		CreateInBatches(cs, 500).Error
}

// CountDrift is a petition whose counter disagreed with its signatures.
type CountDrift struct {
	PetitionID string
	Counter    int64
	Actual     int64
}

// RecountSignatures recomputes every counter from the signatures table (the
// truth) and corrects those that drifted, returning them. It counts only
// signatures the count job has already added, and on PostgreSQL holds each
// counter row locked while it counts, so it never races the count job into
// losing or doubling a batch.
func RecountSignatures(ctx context.Context, db *gorm.DB, now time.Time) ([]CountDrift, error) {
	var ids []string
	if err := db.WithContext(ctx).Model(&PetitionCounter{}).Order("petition_id").Pluck("petition_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("models: recount: %w", err)
	}
	var drift []CountDrift
	for _, id := range ids {
		err := Transaction(ctx, db, func(tx *gorm.DB) error {
			var c PetitionCounter
			q := tx
			if tx.Dialector.Name() == "postgres" {
				q = q.Clauses(clause.Locking{Strength: "UPDATE"})
			}
			if err := q.First(&c, "petition_id = ?", id).Error; err != nil {
				return err
			}
			var byCountry []struct {
				Country string
				N       int64
			}
			if err := tx.Table("signatures").Select("country, COUNT(*) AS n").
				Where("petition_id = ? AND state = 'confirmed' AND counted_at IS NOT NULL", id).Group("country").Scan(&byCountry).Error; err != nil {
				return err
			}
			var actual int64
			for _, r := range byCountry {
				actual += r.N
			}
			if actual == c.Confirmed {
				return nil
			}
			drift = append(drift, CountDrift{PetitionID: id, Counter: c.Confirmed, Actual: actual})
			if err := tx.Model(&PetitionCounter{}).Where("petition_id = ?", id).Updates(map[string]any{"confirmed": actual, "updated_at": now}).Error; err != nil {
				return err
			}
			if err := tx.Where("petition_id = ?", id).Delete(&PetitionCountryCount{}).Error; err != nil {
				return err
			}
			cs := make([]PetitionCountryCount, 0, len(byCountry))
			for _, r := range byCountry {
				cs = append(cs, PetitionCountryCount{PetitionID: id, Country: r.Country, Confirmed: r.N})
			}
			if len(cs) == 0 {
				return nil
			}
			return tx.CreateInBatches(cs, 500).Error
		})
		if err != nil {
			return drift, fmt.Errorf("models: recount %s: %w", id, err)
		}
	}
	return drift, nil
}

// PetitionCount is what the public counter shows.
type PetitionCount struct {
	Confirmed int64
	ByCountry map[string]int64
}

// PetitionCountOf reads a petition's counter rows (never the signatures).
func PetitionCountOf(ctx context.Context, db *gorm.DB, petitionID string) (PetitionCount, error) {
	out := PetitionCount{ByCountry: map[string]int64{}}
	var c PetitionCounter
	if err := db.WithContext(ctx).Where("petition_id = ?", petitionID).Limit(1).Find(&c).Error; err != nil {
		return out, fmt.Errorf("models: petition count: %w", err)
	}
	out.Confirmed = c.Confirmed
	var cs []PetitionCountryCount
	if err := db.WithContext(ctx).Where("petition_id = ? AND confirmed > 0", petitionID).Find(&cs).Error; err != nil {
		return out, fmt.Errorf("models: petition count: %w", err)
	}
	for _, r := range cs {
		out.ByCountry[r.Country] = r.Confirmed
	}
	return out, nil
}
