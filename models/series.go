package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// IndexSeries is one of the organisation's document-index styles: a code such as
// "PRE 01" or "MDE 24" and a format that turns a serial and a year into the public
// index number, e.g. "{code}/{serial:03}/{year}" → "PRE 01/348/2026".
type IndexSeries struct {
	ID        string `gorm:"primaryKey"`
	Code      string
	Name      string
	Format    string
	Kind      string // the document kind this series is the default for, or ""
	CreatedAt time.Time
}

// TableName keeps GORM from pluralising "series" into "series_s".
func (IndexSeries) TableName() string { return "index_series" }

var placeholder = regexp.MustCompile(`\{(code|year|yy|serial)(?::(0\d+))?\}`)

// FormatIndex renders a format with a code, serial and year.
func FormatIndex(format, code string, serial, year int) string {
	return placeholder.ReplaceAllStringFunc(format, func(p string) string {
		m := placeholder.FindStringSubmatch(p)
		switch m[1] {
		case "code":
			return code
		case "year":
			return strconv.Itoa(year)
		case "yy":
			return fmt.Sprintf("%02d", year%100)
		default: // serial
			if m[2] != "" {
				width, _ := strconv.Atoi(m[2][1:])
				return fmt.Sprintf("%0*d", width, serial)
			}
			return strconv.Itoa(serial)
		}
	})
}

// Example shows what the series' numbers look like.
func (s *IndexSeries) Example(year int) string { return FormatIndex(s.Format, s.Code, 48, year) }

// SeriesInput creates or edits a series.
type SeriesInput struct {
	Code   string
	Name   string
	Format string
	Kind   string
}

// Validate checks a series definition: a format must contain a serial, or numbers
// could repeat.
func (in *SeriesInput) Validate() error {
	var v ValidationError
	in.Code = strings.TrimSpace(in.Code)
	in.Name = strings.TrimSpace(in.Name)
	in.Format = strings.TrimSpace(in.Format)
	if in.Code == "" {
		v.Add("code", "is required")
	}
	if in.Name == "" {
		v.Add("name", "is required")
	}
	if !strings.Contains(in.Format, "{serial") {
		v.Add("format", "must contain {serial} (or {serial:03} for a zero-padded serial)")
	}
	if !strings.Contains(in.Format, "{year}") && !strings.Contains(in.Format, "{yy}") {
		v.Add("format", "must contain {year} or {yy}: serials restart every year")
	}
	if rest := placeholder.ReplaceAllString(in.Format, ""); strings.ContainsAny(rest, "{}") {
		v.Add("format", "has an unknown placeholder; use {code}, {serial}, {serial:03}, {year}, {yy}")
	}
	if in.Kind != "" && in.Kind != string(KindPressRelease) && in.Kind != string(KindActionAlert) {
		v.Add("kind", "must be press_release, action_alert or empty")
	}
	return v.Err()
}

// CreateSeries stores a new series. A series that is the default for a kind takes
// that role from any other.
func CreateSeries(ctx context.Context, db *gorm.DB, in SeriesInput) (*IndexSeries, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	s := &IndexSeries{ID: NewID(), Code: in.Code, Name: in.Name, Format: in.Format, Kind: in.Kind}
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		if in.Kind != "" {
			if err := tx.Model(&IndexSeries{}).Where("kind = ?", in.Kind).Update("kind", "").Error; err != nil {
				return err
			}
		}
		return translate(tx.Create(s).Error)
	})
	if errors.Is(err, ErrConflict) {
		return nil, &ValidationError{Fields: map[string]string{"code": "is already used by another series"}}
	}
	if err != nil {
		return nil, fmt.Errorf("models: create series: %w", err)
	}
	return s, nil
}

// AllSeries lists the series by code.
func AllSeries(ctx context.Context, db *gorm.DB) ([]IndexSeries, error) {
	var ss []IndexSeries
	if err := db.WithContext(ctx).Order("code").Find(&ss).Error; err != nil {
		return nil, fmt.Errorf("models: series: %w", err)
	}
	return ss, nil
}

// SeriesByCode finds a series by its code, e.g. "PRE 01".
func SeriesByCode(ctx context.Context, db *gorm.DB, code string) (*IndexSeries, error) {
	var s IndexSeries
	if err := db.WithContext(ctx).First(&s, "code = ?", strings.TrimSpace(code)).Error; err != nil {
		return nil, fmt.Errorf("models: series %q: %w", code, translate(err))
	}
	return &s, nil
}

// DefaultSeries is the series new documents of a kind use when none is named.
func DefaultSeries(ctx context.Context, db *gorm.DB, kind Kind) (*IndexSeries, error) {
	var s IndexSeries
	if err := db.WithContext(ctx).First(&s, "kind = ?", string(kind)).Error; err != nil {
		return nil, fmt.Errorf("models: default series for %s: %w", kind, translate(err))
	}
	return &s, nil
}

// nextSerial issues the next serial of a series for a year. It must run inside
// the approving transaction: the upsert locks the counter row until commit, so
// concurrent approvals queue on it, and a rollback gives the number back; serials
// are therefore unique and gapless per series and year on both engines.
func nextSerial(tx *gorm.DB, seriesID string, year int) (int, error) {
	var serial int
	err := tx.Raw(`INSERT INTO index_counters (series_id, year, last_serial) VALUES (?, ?, 1)
		ON CONFLICT (series_id, year) DO UPDATE SET last_serial = index_counters.last_serial + 1
		RETURNING last_serial`, seriesID, year).Scan(&serial).Error
	if err != nil {
		return 0, fmt.Errorf("models: next serial: %w", err)
	}
	return serial, nil
}

// IndexKey reduces an index number or its URL form to letters and digits, so
// "PRE 01/348/2026", "PRE-01-348-2026" and "pre01 348 2026" all match.
func IndexKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// IndexPath is an index number as it appears in a URL: "PRE 01/348/2026" →
// "PRE-01-348-2026".
func IndexPath(n string) string {
	return strings.NewReplacer(" ", "-", "/", "-").Replace(n)
}

// indexKeySQL is the SQL expression of IndexKey over documents.index_number.
const indexKeySQL = "UPPER(REPLACE(REPLACE(REPLACE(documents.index_number, ' ', ''), '/', ''), '-', ''))"
