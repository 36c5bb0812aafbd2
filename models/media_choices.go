package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// MaxMediaChoices bounds what an editor offers of one kind: the newest items
// (a press officer picks what they just uploaded) plus the ones already
// chosen, however old.
const MaxMediaChoices = 100

// MediaChoices lists the library items a release editor offers for one kind:
// first the chosen ones that are of that kind, in the order given, then the
// newest others, up to MaxMediaChoices in all. Variants are not loaded: the
// editor shows titles and sizes, and thumbnails through the staff route.
func MediaChoices(ctx context.Context, db *gorm.DB, kind MediaKind, chosen []string) ([]Medium, error) {
	cols := []string{"id", "kind", "title", "credit", "content_type", "bytes", "width", "height", "uploaded_at"}
	var picked []Medium
	if len(chosen) > 0 {
		if err := db.WithContext(ctx).Select(cols).Where("kind = ? AND id IN ?", kind, chosen).Find(&picked).Error; err != nil {
			return nil, fmt.Errorf("models: media choices: %w", err)
		}
	}
	byID := map[string]Medium{}
	for _, m := range picked {
		byID[m.ID] = m
	}
	out := make([]Medium, 0, MaxMediaChoices)
	seen := map[string]bool{}
	for _, id := range chosen {
		if m, ok := byID[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, m)
		}
	}
	var newest []Medium
	if err := db.WithContext(ctx).Select(cols).Where("kind = ?", kind).Order("uploaded_at DESC, id").Limit(MaxMediaChoices).Find(&newest).Error; err != nil {
		return nil, fmt.Errorf("models: media choices: %w", err)
	}
	for _, m := range newest {
		if len(out) >= MaxMediaChoices {
			break
		}
		if !seen[m.ID] {
			out = append(out, m)
		}
	}
	return out, nil
}
