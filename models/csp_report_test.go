package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestCSPReportsStoredAndListed stores reports on both databases, NUL-free
// and cut to length, and lists them newest first in pages.
func TestCSPReportsStoredAndListed(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
		body := `{"csp-report":{"document-uri":"https://press.example/news/x\u0000","violated-directive":"script-src","blocked-uri":"` + strings.Repeat("b", 3000) + `"}}`
		rs, err := models.ParseCSPReports([]byte(body), "UA\x00 test")
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := models.StoreCSPReports(ctx, db.Gorm, rs, now.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := models.CSPReports(ctx, db.Gorm, 0, 2)
		if err != nil || len(got) != 2 {
			t.Fatalf("first page: %d, %v", len(got), err)
		}
		if !got[0].At.Equal(now.Add(2*time.Minute)) || got[0].DocumentURI != "https://press.example/news/x" || got[0].UserAgent != "UA test" || len(got[0].BlockedURI) != 1024 {
			t.Fatalf("stored %+v", got[0])
		}
		older, err := models.CSPReports(ctx, db.Gorm, got[1].ID, 2)
		if err != nil || len(older) != 1 || older[0].ID >= got[1].ID {
			t.Fatalf("second page: %+v, %v", older, err)
		}
	})
}

// FuzzParseCSPReports: any body either is refused as not a report or gives
// between one and MaxCSPReportsPerRequest reports whose every field can be
// stored (valid UTF-8, no NUL, bounded).
func FuzzParseCSPReports(f *testing.F) {
	f.Add([]byte(`{"csp-report":{"document-uri":"https://press.example/","violated-directive":"script-src-elem","blocked-uri":"inline"}}`), "Mozilla/5.0")
	f.Add([]byte(`[{"type":"csp-violation","url":"https://press.example/","user_agent":"UA","body":{"documentURL":"https://press.example/","effectiveDirective":"img-src","blockedURL":"https://x.example/\u0000"}}]`), "")
	f.Add([]byte(`[{"type":"deprecation"},{"type":"csp-violation","body":{}}]`), "\xff")
	f.Fuzz(func(t *testing.T, body []byte, ua string) {
		rs, err := models.ParseCSPReports(body, ua)
		if err != nil {
			if !errors.Is(err, models.ErrBadCSPReport) {
				t.Fatalf("error %v is not ErrBadCSPReport", err)
			}
			return
		}
		if len(rs) == 0 || len(rs) > models.MaxCSPReportsPerRequest {
			t.Fatalf("%d reports", len(rs))
		}
		for _, r := range rs {
			for _, s := range []string{r.DocumentURI, r.ViolatedDirective, r.BlockedURI, r.UserAgent} {
				if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 || len(s) > 1024 {
					t.Fatalf("unstorable field %q", s)
				}
			}
		}
	})
}
