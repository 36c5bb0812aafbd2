package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
				return fmt.Sprintf("%0*d", serialWidth(m[2]), serial)
			}
			return strconv.Itoa(serial)
		}
	})
}

// maxSerialWidth bounds the zero-padding of {serial:0N}: no series needs more,
// and a format cannot make a number (or the memory it takes) grow without end.
const maxSerialWidth = 9

// serialWidth reads N of {serial:0N}, capped at maxSerialWidth.
func serialWidth(spec string) int {
	width, err := strconv.Atoi(spec[1:])
	if err != nil || width > maxSerialWidth {
		return maxSerialWidth
	}
	return width
}

// ParseIndex reads an index number back into its serial and year by the
// series' format and code: the inverse of FormatIndex for every format that
// Validate accepts, serials from 1 and years 2000–2099 when the format has only
// {yy} (years 1000–9999 with {year}). ok is false when number does not have
// the format's shape, or its parts disagree ({year} and {yy} both present).
func ParseIndex(format, code, number string) (serial, year int, ok bool) {
	var pattern strings.Builder
	var parts []string // the placeholder of each capture group, in order
	pattern.WriteString("^")
	last := 0
	for _, loc := range placeholder.FindAllStringSubmatchIndex(format, -1) {
		pattern.WriteString(regexp.QuoteMeta(format[last:loc[0]]))
		last = loc[1]
		name := format[loc[2]:loc[3]]
		switch name {
		case "code":
			pattern.WriteString(regexp.QuoteMeta(code))
			continue
		case "year":
			pattern.WriteString(`(\d{4})`)
		case "yy":
			pattern.WriteString(`(\d{2})`)
		default:
			pattern.WriteString(`(\d+)`)
		}
		parts = append(parts, name)
	}
	pattern.WriteString(regexp.QuoteMeta(format[last:]) + "$")
	re, err := regexp.Compile(pattern.String())
	if err != nil {
		return 0, 0, false
	}
	m := re.FindStringSubmatch(number)
	if m == nil {
		return 0, 0, false
	}
	serial, year, yy := -1, -1, -1
	for i, name := range parts {
		n, err := strconv.Atoi(m[i+1])
		if err != nil {
			return 0, 0, false
		}
		var into *int
		switch name {
		case "year":
			into = &year
		case "yy":
			into = &yy
		default:
			into = &serial
		}
		if *into >= 0 && *into != n {
			return 0, 0, false // the same placeholder twice, with different values
		}
		*into = n
	}
	switch {
	case year >= 0 && yy >= 0 && year%100 != yy:
		return 0, 0, false
	case year < 0 && yy >= 0:
		year = 2000 + yy
	}
	if serial < 1 || year < 0 {
		return 0, 0, false
	}
	return serial, year, true
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
	} else if !printableText(in.Code) {
		v.Add("code", "must be plain text (no control characters or broken encoding)")
	}
	if in.Name == "" {
		v.Add("name", "is required")
	}
	if !printableText(in.Format) {
		v.Add("format", "must be plain text (no control characters or broken encoding)")
	}
	if !strings.Contains(in.Format, "{serial") {
		v.Add("format", "must contain {serial} (or {serial:03} for a zero-padded serial)")
	} else if strings.Count(in.Format, "{serial") > 1 {
		v.Add("format", "must contain {serial} only once, or the number cannot be read back")
	}
	for _, m := range placeholder.FindAllStringSubmatch(in.Format, -1) {
		if m[1] == "serial" && m[2] != "" && (len(m[2]) > 3 || serialWidth(m[2]) > maxSerialWidth) {
			v.Add("format", fmt.Sprintf("pads the serial to at most %d digits ({serial:03} pads to 3)", maxSerialWidth))
		}
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

// printableText reports whether s is valid UTF-8 without control characters:
// what an index number, shown on pages and in URLs, may be made of.
func printableText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
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
