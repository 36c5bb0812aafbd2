package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// statementLog records the SQL and arguments of every statement GORM runs.
type statementLog struct {
	mu    sync.Mutex
	stmts []loggedStatement
}

type loggedStatement struct {
	sql  string
	vars []any
}

func (l *statementLog) attach(t *testing.T, db *gorm.DB) {
	t.Helper()
	rec := func(tx *gorm.DB) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.stmts = append(l.stmts, loggedStatement{sql: tx.Statement.SQL.String(), vars: append([]any(nil), tx.Statement.Vars...)})
	}
	cb := db.Callback()
	for _, err := range []error{cb.Query().After("gorm:query").Register("test:log_query", rec),
		cb.Row().After("gorm:row").Register("test:log_row", rec), cb.Raw().After("gorm:raw").Register("test:log_raw", rec)} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (l *statementLog) take() []loggedStatement {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.stmts
	l.stmts = nil
	return out
}

// seqScans walks an EXPLAIN (FORMAT JSON) plan for sequential scans of the
// tables named.
func seqScans(node map[string]any, tables []string, out *[]string) {
	if node["Node Type"] == "Seq Scan" {
		if rel, _ := node["Relation Name"].(string); slices.Contains(tables, rel) {
			*out = append(*out, rel)
		}
	}
	plans, _ := node["Plans"].([]any)
	for _, p := range plans {
		if m, ok := p.(map[string]any); ok {
			seqScans(m, tables, out)
		}
	}
}

// TestPublicQueriesUseIndexes: at 100,000 published releases on PostgreSQL,
// no public query — listing pages (first and by key, with each filter), the
// feed and API list, a release by slug and by index number, its translations,
// the sitemap, search for a common and a rare word, and the caching
// fingerprint — scans documents or revisions sequentially, and a search for a
// rare word (a number, a name, a word found nowhere) does not read the search
// rows sequentially either: it is looked up in the GIN index. (A word most
// releases hold may be read in storage order: the first rows read fill the
// bounded candidate set, which is the planner's right call.)
// The statements are the ones the models actually run, captured as they run.
func TestPublicQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("needs PostgreSQL (TEST_DATABASE_URL)")
	}
	db := dbtest.New(t, models.Postgres)
	ctx := context.Background()
	o := newOrg(t, db)
	now := time.Date(2026, 7, 9, 12, 0, 0, 0, time.UTC)
	start := time.Now()
	if err := dbtest.BulkNewsroom(ctx, db, 100_000, now.Add(-time.Hour), t.Logf); err != nil {
		t.Fatal(err)
	}
	t.Logf("100,000 releases written and analysed in %s", time.Since(start).Round(time.Millisecond))

	var log statementLog
	log.attach(t, o.db)
	mid := now.Add(-time.Hour - 50_000*time.Minute)
	queries := []struct {
		name string
		run  func() error
	}{
		{"fingerprint", func() error { _, err := models.Newsroom(ctx, o.db); return err }},
		{"listing page 1", func() error { _, _, err := models.PublicReleases(ctx, o.db, models.PublicFilter{Now: now}); return err }},
		{"listing by key", func() error {
			_, _, err := models.PublicReleases(ctx, o.db, models.PublicFilter{Now: now, After: &models.PublicKey{PublishedAt: mid, ID: "bulk50000"}})
			return err
		}},
		{"feed and API list", func() error {
			_, _, err := models.PublicReleases(ctx, o.db, models.PublicFilter{Now: now, Limit: 50})
			return err
		}},
		{"language", func() error {
			_, _, err := models.PublicReleases(ctx, o.db, models.PublicFilter{Now: now, Language: "fr", After: &models.PublicKey{PublishedAt: mid, ID: "bulk50000"}})
			return err
		}},
		{"campaign", func() error {
			_, _, err := models.PublicReleases(ctx, o.db, models.PublicFilter{Now: now, CampaignID: "bulkcamp3"})
			return err
		}},
		{"country", func() error {
			_, _, err := models.PublicReleases(ctx, o.db, models.PublicFilter{Now: now, Country: "Freedonia"})
			return err
		}},
		{"theme", func() error {
			_, _, err := models.PublicReleases(ctx, o.db, models.PublicFilter{Now: now, Theme: "arms"})
			return err
		}},
		{"kind", func() error {
			_, _, err := models.PublicReleases(ctx, o.db, models.PublicFilter{Now: now, Kind: models.KindPressRelease})
			return err
		}},
		{"by slug", func() error { _, err := models.PublicReleaseBySlug(ctx, o.db, "bulk-4242", now); return err }},
		{"by index number", func() error {
			_, err := models.PublicReleaseByIndex(ctx, o.db, "PRE-01-4241-2025", "fr", now)
			return err
		}},
		{"translations", func() error {
			d, err := models.DocumentByID(ctx, o.db, "bulk4241")
			if err != nil {
				return err
			}
			_, err = models.PublicTranslations(ctx, o.db, d, now)
			return err
		}},
		{"sitemap index", func() error {
			_, err := models.SitemapPageStarts(ctx, o.db, now, 0)
			return err
		}},
		{"sitemap page by key", func() error {
			_, err := models.SitemapPage(ctx, o.db, now, &models.PublicKey{PublishedAt: mid, ID: "bulk50000"}, 0)
			return err
		}},
		{"search, common word", func() error {
			_, _, err := models.SearchPublic(ctx, o.db, "government", models.SearchOptions{Limit: 20, Now: now})
			return err
		}},
		{"search, rare number (exact, then prefix)", func() error {
			_, _, err := models.SearchPublic(ctx, o.db, "4242", models.SearchOptions{Limit: 20, Now: now})
			return err
		}},
		{"search, word found nowhere", func() error {
			_, _, err := models.SearchPublic(ctx, o.db, "zanzibarite", models.SearchOptions{Limit: 20, Now: now})
			return err
		}},
		{"search, rare word in one headline", func() error {
			_, _, err := models.SearchPublic(ctx, o.db, "Release 4242", models.SearchOptions{Limit: 20, Now: now})
			return err
		}},
	}
	for _, q := range queries {
		log.take()
		if err := q.run(); err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		stmts := log.take()
		if len(stmts) == 0 {
			t.Fatalf("%s ran no statement", q.name)
		}
		for _, s := range stmts {
			if !strings.HasPrefix(strings.TrimSpace(strings.ToUpper(s.sql)), "SELECT") && !strings.HasPrefix(strings.TrimSpace(strings.ToUpper(s.sql)), "WITH") {
				continue
			}
			var plan string
			if err := db.SQL.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+s.sql, s.vars...).Scan(&plan); err != nil {
				t.Fatalf("%s: explain: %v\n%s", q.name, err, s.sql)
			}
			var root []map[string]any
			if err := json.Unmarshal([]byte(plan), &root); err != nil || len(root) == 0 {
				t.Fatalf("%s: plan: %v", q.name, err)
			}
			var seqs []string
			tables := []string{"documents", "revisions"}
			// A search for a rare word must not read search_entries whole.
			if strings.HasPrefix(q.name, "search, rare") || strings.HasPrefix(q.name, "search, word found nowhere") {
				tables = append(tables, "search_entries")
			}
			seqScans(root[0]["Plan"].(map[string]any), tables, &seqs)
			if len(seqs) > 0 {
				var text strings.Builder
				rows, err := db.SQL.QueryContext(ctx, "EXPLAIN "+s.sql, s.vars...)
				if err == nil {
					for rows.Next() {
						var line string
						_ = rows.Scan(&line)
						fmt.Fprintln(&text, line)
					}
					rows.Close()
				}
				t.Errorf("%s: sequential scan of %v\n%s\n%s", q.name, seqs, s.sql, text.String())
			}
		}
	}
}
