package models

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"gorm.io/gorm"
)

// PublicTags are the countries and themes the public releases of one kind
// are tagged with: the choices of the newsroom's filters, so a journalist
// picks a value that finds something instead of guessing a spelling.
type PublicTags struct {
	Countries []string
	Themes    []string
}

// PublicTagValues reads the distinct countries and themes of the public
// documents of a kind, each once whatever its case ("Syria" and "syria" are
// one filter, as tagMatch matches case-insensitively), in alphabetical order.
// It reads the tag columns of every public document, so callers keep the
// answer for the newsroom version it was read at (the version moves whenever
// anything turns public or is withdrawn) rather than asking per request.
func PublicTagValues(ctx context.Context, db *gorm.DB, kind Kind, now time.Time) (*PublicTags, error) {
	var rows []struct {
		Countries string
		Themes    string
	}
	visible, args := visibleSQL("documents", originalsAlias, now)
	err := db.WithContext(ctx).Table("documents").
		Joins("LEFT JOIN documents "+originalsAlias+" ON "+originalsAlias+".id = documents.original_id").
		Where(visible, args...).Where("documents.kind = ?", kind).
		Where("(documents.countries <> '' OR documents.themes <> '')").
		Distinct("documents.countries", "documents.themes").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: newsroom filter values: %w", err)
	}
	countries, themes := map[string]string{}, map[string]string{}
	for _, r := range rows {
		for _, t := range Tags(r.Countries) {
			keepFirst(countries, t)
		}
		for _, t := range Tags(r.Themes) {
			keepFirst(themes, t)
		}
	}
	return &PublicTags{Countries: sortedValues(countries), Themes: sortedValues(themes)}, nil
}

// keepFirst records a tag under its lower-cased form; of two spellings the
// one that sorts first wins, so the label does not depend on row order.
func keepFirst(m map[string]string, tag string) {
	k := strings.ToLower(tag)
	if old, ok := m[k]; !ok || tag < old {
		m[k] = tag
	}
}

func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	collate.New(language.Und, collate.IgnoreCase).SortStrings(out)
	return out
}
