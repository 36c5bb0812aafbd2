package models_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

const corpus = "../testdata/csv"

type wantReject struct {
	row    int
	reason string // substring
}

func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpus, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestImportCorpus imports every file of testdata/csv and checks the counts, the
// rejected rows and the stored values, on each database.
func TestImportCorpus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file              string
		audience          models.Audience
		unreadable        string // substring of the file-level error; nothing imported
		imported, updated int
		rejects           []wantReject
		check             func(t *testing.T, db *models.DB)
	}{
		{file: "supporters_utf8_bom_crlf.csv", audience: models.AudienceSupporters, imported: 3, check: func(t *testing.T, db *models.DB) {
			ana := supporter(t, db, "ana@example.org")
			if ana.Status != models.StatusSubscribed || ana.Country != "BR" || ana.Language != "pt" || ana.Tags != "climate,arms" || ana.Name != "Ana Lima" {
				t.Errorf("ana = %+v", ana)
			}
			if ben := supporter(t, db, "ben@example.org"); ben.Status != models.StatusPending {
				t.Errorf("ben without consent_at = %s, want pending", ben.Status)
			}
			cara := supporter(t, db, "cara@example.org")
			if cara.Name != "Cara Ní Bhriain" || cara.Status != models.StatusSubscribed {
				t.Errorf("cara = %+v", cara)
			}
			rs, _ := models.ConsentRecords(context.Background(), db.Gorm, cara.ID)
			if len(rs) != 1 || rs[0].Action != models.ConsentImported || rs[0].Source != "event" || !rs[0].At.Equal(time.Date(2026, 5, 2, 10, 0, 0, 0, time.UTC)) {
				t.Errorf("cara's consent = %+v", rs)
			}
		}},
		{file: "supporters_windows1252_semicolon.csv", audience: models.AudienceSupporters, imported: 2, check: func(t *testing.T, db *models.DB) {
			if s := supporter(t, db, "zoe@example.org"); s.Name != "Zoë Müller" || s.Tags != "café" {
				t.Errorf("zoe = %q %q", s.Name, s.Tags)
			}
			if s := supporter(t, db, "francois@example.org"); s.Name != "François Léger" || s.Tags != "€uro" {
				t.Errorf("francois = %q %q", s.Name, s.Tags)
			}
		}},
		{file: "supporters_tab.csv", audience: models.AudienceSupporters, imported: 2, check: func(t *testing.T, db *models.DB) {
			if s := supporter(t, db, "t2@example.org"); s.Name != "Tab Two" || s.Country != "FR" || s.Language != "fr" {
				t.Errorf("t2 = %+v", s)
			}
		}},
		{file: "supporters_quoted_multiline.csv", audience: models.AudienceSupporters, imported: 3, check: func(t *testing.T, db *models.DB) {
			if s := supporter(t, db, "q1@example.org"); s.Name != `Quoted, "Q" One` || s.Status != models.StatusSubscribed {
				t.Errorf("q1 = %q %s", s.Name, s.Status)
			}
			if s := supporter(t, db, "q2@example.org"); s.Name != `Mary "Molly" Two` || s.Status != models.StatusPending {
				t.Errorf("q2 = %q %s", s.Name, s.Status)
			}
			if s := supporter(t, db, "q3@example.org"); s.Name != "Multi\nLine\nName" || s.Status != models.StatusSubscribed {
				t.Errorf("q3 = %q %s", s.Name, s.Status)
			}
		}},
		{file: "supporters_duplicates_invalid.csv", audience: models.AudienceSupporters, imported: 3, updated: 1,
			rejects: []wantReject{{5, "invalid email"}, {6, "missing email"}, {7, "invalid email"}, {9, "invalid email"}},
			check: func(t *testing.T, db *models.DB) {
				if s := supporter(t, db, "dup@example.org"); s.Name != "First Dup" || s.Country != "ES" {
					t.Errorf("merged duplicate = %q %q, want First Dup ES", s.Name, s.Country)
				}
				if s := supporter(t, db, "fine@example.org"); s.Country != "GB" {
					t.Errorf("fine = %+v", s)
				}
			}},
		// Old Mac exports end lines with a lone CR: each is a line end (and a CR
		// inside a quoted cell a line break), so rows and line numbers come out
		// as with LF or CRLF.
		{file: "supporters_mac_cr.csv", audience: models.AudienceSupporters, imported: 3,
			rejects: []wantReject{{5, "invalid email"}},
			check: func(t *testing.T, db *models.DB) {
				if s := supporter(t, db, "mac1@example.org"); s.Name != "Mac One" || s.Country != "GB" || s.Status != models.StatusSubscribed {
					t.Errorf("mac1 = %+v", s)
				}
				if s := supporter(t, db, "mac2@example.org"); s.Name != "Two\nLines" || s.Country != "FR" || s.Status != models.StatusPending {
					t.Errorf("mac2 = %q %q %s", s.Name, s.Country, s.Status)
				}
				if s := supporter(t, db, "mac3@example.org"); s.Name != "Mac Three" || s.Country != "DE" {
					t.Errorf("mac3 = %+v", s)
				}
			}},
		{file: "supporters_consent_dates.csv", audience: models.AudienceSupporters, imported: 1,
			rejects: []wantReject{{3, "not a date"}, {4, "future"}}},
		// One broken quote loses only its own line: the rows around it import,
		// and the report names the line and the problem in words.
		{file: "supporters_unreadable_quote.csv", audience: models.AudienceSupporters, imported: 2,
			rejects: []wantReject{{3, `line 3: a quote (") opens a cell but does not close it`}}},
		{file: "supporters_header_only.csv", audience: models.AudienceSupporters, unreadable: "header row but no rows"},
		{file: "supporters_no_email_column.csv", audience: models.AudienceSupporters, unreadable: "email"},
		{file: "supporters_empty.csv", audience: models.AudienceSupporters, unreadable: "empty"},
		{file: "media_semicolon_crlf.csv", audience: models.AudienceMedia, imported: 2, updated: 1,
			rejects: []wantReject{{4, "missing email"}},
			check: func(t *testing.T, db *models.DB) {
				cs, err := models.Contacts(context.Background(), db.Gorm, models.MediaFilter{Q: "reporter@news"}, 10, "")
				if err != nil || len(cs) != 1 {
					t.Fatalf("contacts = %v, %v", cs, err)
				}
				c := cs[0]
				if c.Email != "reporter@news.example" || c.Name != "Rita Reporter" || c.Outlet != "The Daily" || c.Role != "Senior Correspondent" ||
					c.Beats != "climate,arms trade" || c.Countries != "GB" || c.Languages != "en" || c.Phone != "+44 20 0000" || c.EmailHash != models.EmailHash("REPORTER@news.example") {
					t.Errorf("reporter = %+v", c)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(strings.TrimSuffix(tc.file, ".csv"), func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, db *models.DB) {
				ctx := context.Background()
				res, err := importFile(t, db, tc.audience, readCorpus(t, tc.file))
				if tc.unreadable != "" {
					var ve *models.ValidationError
					if !errors.As(err, &ve) || !strings.Contains(ve.Fields["file"], tc.unreadable) {
						t.Fatalf("err = %v, want unreadable file mentioning %q", err, tc.unreadable)
					}
					n1, _ := models.CountSupporters(ctx, db.Gorm, models.SupporterFilter{})
					n2, _ := models.CountContacts(ctx, db.Gorm, models.MediaFilter{})
					if n1+n2 != 0 {
						t.Fatalf("unreadable file imported %d rows", n1+n2)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if res.Imported != tc.imported || res.Updated != tc.updated {
					t.Errorf("imported %d updated %d, want %d %d", res.Imported, res.Updated, tc.imported, tc.updated)
				}
				if len(res.Rejected) != len(tc.rejects) {
					t.Fatalf("rejected %+v, want %+v", res.Rejected, tc.rejects)
				}
				for i, w := range tc.rejects {
					if r := res.Rejected[i]; r.Row != w.row || !strings.Contains(r.Reason, w.reason) {
						t.Errorf("reject %d = %d %q, want %d %q", i, r.Row, r.Reason, w.row, w.reason)
					}
				}
				var stored int64
				if tc.audience == models.AudienceSupporters {
					stored, _ = models.CountSupporters(ctx, db.Gorm, models.SupporterFilter{})
				} else {
					stored, _ = models.CountContacts(ctx, db.Gorm, models.MediaFilter{})
				}
				if int(stored) != tc.imported {
					t.Errorf("%d rows stored, want %d", stored, tc.imported)
				}
				if tc.check != nil {
					tc.check(t, db)
				}
			})
		})
	}
}

func importFile(t *testing.T, db *models.DB, a models.Audience, data []byte) (*models.ImportResult, error) {
	t.Helper()
	ctx := context.Background()
	tbl, err := models.ParseCSV(data)
	if err != nil {
		return nil, err
	}
	if a == models.AudienceMedia {
		l, err := models.CreateMediaList(ctx, db.Gorm, "Imported "+models.NewID(), "")
		if err != nil {
			t.Fatal(err)
		}
		return models.ImportContacts(ctx, db.Gorm, l.ID, tbl, models.AutoMapping(a, tbl.Header))
	}
	l, err := models.CreateSupporterList(ctx, db.Gorm, "Imported "+models.NewID(), "")
	if err != nil {
		t.Fatal(err)
	}
	return models.ImportSupporters(ctx, db.Gorm, l.ID, tbl, models.AutoMapping(a, tbl.Header), nil)
}

func supporter(t *testing.T, db *models.DB, email string) *models.Supporter {
	t.Helper()
	s, err := models.SupporterByEmail(context.Background(), db.Gorm, email)
	if err != nil {
		t.Fatalf("supporter %s: %v", email, err)
	}
	return s
}

// TestReimportUpdatesWithoutOverridingStatus imports a file twice, then again
// after an unsubscribe: the second run updates, and an unsubscribed supporter is
// not resubscribed by an import.
func TestReimportUpdatesWithoutOverridingStatus(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		data := readCorpus(t, "supporters_utf8_bom_crlf.csv")
		if _, err := importFile(t, db, models.AudienceSupporters, data); err != nil {
			t.Fatal(err)
		}
		ana := supporter(t, db, "ana@example.org")
		if err := models.Unsubscribe(ctx, db.Gorm, ana.ID, "test", ""); err != nil {
			t.Fatal(err)
		}
		res, err := importFile(t, db, models.AudienceSupporters, data)
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 0 || res.Updated != 3 {
			t.Errorf("second import = %+v, want 0 imported 3 updated", res)
		}
		if s := supporter(t, db, "ana@example.org"); s.Status != models.StatusUnsubscribed {
			t.Errorf("re-import resubscribed ana: %s", s.Status)
		}
		n, _ := models.CountSupporters(ctx, db.Gorm, models.SupporterFilter{Sendable: true})
		if n != 1 { // cara only: ana unsubscribed, ben pending
			t.Errorf("sendable = %d, want 1", n)
		}
	})
}

// FuzzImportCSV feeds arbitrary bytes through the parser and row validation:
// it must never panic, and every row (and every line too broken to be a row) is
// either a record or a reject.
func FuzzImportCSV(f *testing.F) {
	entries, err := os.ReadDir(corpus)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add(readCorpus(f, e.Name()))
	}
	now := time.Date(2026, 7, 9, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		tbl, err := models.ParseCSV(data)
		if err != nil {
			var ve *models.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("parse error is not a validation error: %v", err)
			}
			return
		}
		for _, a := range []models.Audience{models.AudienceMedia, models.AudienceSupporters} {
			recs, rejects, err := tbl.Records(a, models.AutoMapping(a, tbl.Header), now)
			if err != nil {
				continue
			}
			merged := 0
			for _, r := range recs {
				merged += r.Merged
				if !models.ValidEmail(r.Email) || r.Email != models.NormalizeEmail(r.Email) {
					t.Fatalf("record with bad email %q", r.Email)
				}
			}
			if len(recs)+merged+len(rejects) != len(tbl.Rows)+len(tbl.Broken) {
				t.Fatalf("%d records + %d merged + %d rejects != %d rows + %d broken lines", len(recs), merged, len(rejects), len(tbl.Rows), len(tbl.Broken))
			}
		}
	})
}
