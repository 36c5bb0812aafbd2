package models

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// CSPReport is one Content-Security-Policy violation a browser reported. The
// policy blocks inline script everywhere; a report says a page broke it (a bug
// in a template, a browser extension, or an injection attempt worth a look).
type CSPReport struct {
	ID                int64 `gorm:"primaryKey"`
	At                time.Time
	DocumentURI       string
	ViolatedDirective string
	BlockedURI        string
	UserAgent         string
}

// Limits on what one report request may store: browsers batch reports, but a
// page cannot violate the policy in more than a handful of ways at once, and
// anyone may post here.
const (
	MaxCSPReportsPerRequest = 20
	maxCSPField             = 1024
)

// ErrBadCSPReport is returned for a body that is not a CSP report in either
// format browsers send.
var ErrBadCSPReport = errors.New("not a Content-Security-Policy report")

// legacyCSPReport is the report-uri format (application/csp-report).
type legacyCSPReport struct {
	Report struct {
		DocumentURI        string `json:"document-uri"`
		ViolatedDirective  string `json:"violated-directive"`
		EffectiveDirective string `json:"effective-directive"`
		BlockedURI         string `json:"blocked-uri"`
	} `json:"csp-report"`
}

// reportingAPIReport is one entry of the Reporting API format
// (application/reports+json, used with report-to).
type reportingAPIReport struct {
	Type      string `json:"type"`
	URL       string `json:"url"`
	UserAgent string `json:"user_agent"`
	Body      struct {
		DocumentURL        string `json:"documentURL"`
		EffectiveDirective string `json:"effectiveDirective"`
		ViolatedDirective  string `json:"violatedDirective"`
		BlockedURL         string `json:"blockedURL"`
	} `json:"body"`
}

// ParseCSPReports reads a report body in either format: application/csp-report
// (one object under "csp-report") or application/reports+json (an array of
// reports, of which only "csp-violation" ones are kept). userAgent is the
// request's, used when a report does not name its own. Fields are cut to a
// bounded length, made valid UTF-8 and stripped of NUL bytes, so whatever a
// client sends can be stored on either database. At most
// MaxCSPReportsPerRequest reports are returned.
func ParseCSPReports(body []byte, userAgent string) ([]CSPReport, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, ErrBadCSPReport
	}
	var out []CSPReport
	switch body[0] {
	case '{':
		var r legacyCSPReport
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadCSPReport, err)
		}
		directive := r.Report.ViolatedDirective
		if directive == "" {
			directive = r.Report.EffectiveDirective
		}
		if r.Report.DocumentURI == "" && directive == "" && r.Report.BlockedURI == "" {
			return nil, ErrBadCSPReport
		}
		out = append(out, newCSPReport(r.Report.DocumentURI, directive, r.Report.BlockedURI, userAgent))
	case '[':
		var rs []reportingAPIReport
		if err := json.Unmarshal(body, &rs); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadCSPReport, err)
		}
		for _, r := range rs {
			if r.Type != "csp-violation" {
				continue
			}
			doc, directive, ua := r.Body.DocumentURL, r.Body.EffectiveDirective, r.UserAgent
			if doc == "" {
				doc = r.URL
			}
			if directive == "" {
				directive = r.Body.ViolatedDirective
			}
			if ua == "" {
				ua = userAgent
			}
			out = append(out, newCSPReport(doc, directive, r.Body.BlockedURL, ua))
			if len(out) == MaxCSPReportsPerRequest {
				break
			}
		}
		if len(out) == 0 {
			return nil, ErrBadCSPReport
		}
	default:
		return nil, ErrBadCSPReport
	}
	return out, nil
}

func newCSPReport(doc, directive, blocked, ua string) CSPReport {
	return CSPReport{DocumentURI: cleanCSPField(doc), ViolatedDirective: cleanCSPField(directive),
		BlockedURI: cleanCSPField(blocked), UserAgent: cleanCSPField(ua)}
}

// cleanCSPField makes a client's string storable: no NUL, valid UTF-8, at
// most maxCSPField bytes (cut at a character boundary).
func cleanCSPField(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if len(s) > maxCSPField {
		cut := maxCSPField
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return strings.TrimSpace(s)
}

// StoreCSPReports stores reports received at now.
func StoreCSPReports(ctx context.Context, db *gorm.DB, reports []CSPReport, now time.Time) error {
	if len(reports) == 0 {
		return nil
	}
	for i := range reports {
		reports[i].ID = 0
		reports[i].At = now
	}
	if err := db.WithContext(ctx).Create(&reports).Error; err != nil {
		return fmt.Errorf("models: store csp reports: %w", err)
	}
	return nil
}

// CSPReports lists the latest reports, newest first, before beforeID when it
// is set (keyset pages).
func CSPReports(ctx context.Context, db *gorm.DB, beforeID int64, limit int) ([]CSPReport, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := db.WithContext(ctx).Order("id DESC").Limit(limit)
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	var rs []CSPReport
	if err := q.Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("models: csp reports: %w", err)
	}
	return rs, nil
}

// TableName pins the table the migration creates.
func (CSPReport) TableName() string { return "csp_reports" }
