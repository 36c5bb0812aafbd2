package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// BenchmarkAdminPages measures the server time of the main admin pages with
// realistic data: 10,000 releases (with revisions) and 100,000 media contacts
// and 100,000 supporters. Target: every page under 100 ms. PostgreSQL only
// (skipped without TEST_DATABASE_URL); the data is generated set-based.
//
//	TEST_DATABASE_URL=… go test ./app -run '^$' -bench AdminPages -benchtime 1x
func BenchmarkAdminPages(b *testing.B) {
	if os.Getenv(dbtest.EnvURL) == "" {
		b.Skip("needs TEST_DATABASE_URL (PostgreSQL)")
	}
	db := envDB(b, models.Postgres)
	env := newEnv(b, db, envOptions{})
	author := env.users[models.RolePressOfficer].ID
	started := time.Now()
	stmts := []string{
		fmt.Sprintf(`INSERT INTO documents (id, kind, language, series_id, workflow_id, author_id, status, current_revision, approved_revision,
			index_number, index_year, index_serial, slug, published_at, countries, themes, created_at, updated_at)
		SELECT 'doc' || g, 'press_release', 'en', (SELECT id FROM index_series WHERE code = 'PRE 01'), (SELECT id FROM workflows LIMIT 1), '%s',
			CASE WHEN g %% 10 = 0 THEN 'in_review' WHEN g %% 10 = 1 THEN 'draft' ELSE 'published' END, 1,
			CASE WHEN g %% 10 < 2 THEN 0 ELSE 1 END,
			CASE WHEN g %% 10 < 2 THEN NULL ELSE 'PRE 01/' || lpad(g::text, 5, '0') || '/2026' END,
			CASE WHEN g %% 10 < 2 THEN NULL ELSE 2026 END, CASE WHEN g %% 10 < 2 THEN NULL ELSE g END,
			CASE WHEN g %% 10 < 2 THEN NULL ELSE 'release-' || g END,
			CASE WHEN g %% 10 < 2 THEN NULL ELSE now() - g * interval '1 hour' END,
			'Freedonia', 'Arms control', now() - g * interval '1 hour', now() - g * interval '1 hour'
		FROM generate_series(1, 10000) g`, author),
		fmt.Sprintf(`INSERT INTO revisions (id, document_id, number, headline, standfirst, body, content_hash, editor_id, created_at)
		SELECT 'rev' || g, 'doc' || g, 1, 'Release number ' || g || ' on arms transfers', 'Standfirst ' || g,
			repeat('Governments must halt arms transfers to Freedonia. ', 40), md5(g::text), '%s', now()
		FROM generate_series(1, 10000) g`, author),
		`INSERT INTO media_contacts (id, email, email_hash, name, outlet, role, beats, countries, languages, created_at, updated_at)
		SELECT 'mc' || g, 'journalist' || g || '@example.net', md5('j' || g), 'Journalist ' || g, 'Outlet ' || (g % 500), 'Reporter',
			'arms,conflict', 'FR,GB', 'en', now(), now()
		FROM generate_series(1, 100000) g`,
		`INSERT INTO supporters (id, email, email_hash, name, country, language, status, created_at, updated_at)
		SELECT 'sp' || g, 'supporter' || g || '@example.org', md5('s' || g), 'Supporter ' || g, 'GB', 'en',
			CASE WHEN g % 7 = 0 THEN 'pending' ELSE 'subscribed' END, now(), now()
		FROM generate_series(1, 100000) g`,
		`ANALYZE`,
	}
	for _, s := range stmts {
		if err := db.Gorm.Exec(s).Error; err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	if _, err := models.ReindexSearch(context.Background(), db.Gorm); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("seeded 10,000 releases, 100,000 contacts, 100,000 supporters in %v\n", time.Since(started).Round(time.Millisecond))

	br := env.login(models.RoleAdmin)
	cookies := br.client.Jar.Cookies(mustURL(env.http.URL))
	// The review queue is measured as an approver of the press desk: 1,000
	// releases wait in review.
	approverCookies := env.login(models.RoleApprover).client.Jar.Cookies(mustURL(env.http.URL))
	pages := []string{"/admin", "/admin/releases", "/admin/releases?q=arms", "/admin/releases?status=published", "/admin/releases/doc5000",
		"/admin/review", "/admin/media", "/admin/media?q=journalist4242", "/admin/supporters", "/admin/supporters?q=supporter777", "/admin/supporters?status=pending", "/admin/sends", "/admin/audit", "/news", "/news/release-5002", "/news/search?q=arms"}
	h := env.server.Handler()
	b.ResetTimer()
	for _, p := range pages {
		var times []time.Duration
		for i := 0; i < 20; i++ {
			req := httptest.NewRequest(http.MethodGet, p, nil)
			jar := cookies
			if p == "/admin/review" {
				jar = approverCookies
			}
			for _, c := range jar {
				req.AddCookie(c)
			}
			w := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(w, req)
			times = append(times, time.Since(start))
			if w.Code != http.StatusOK {
				b.Fatalf("%s: %d %s", p, w.Code, strings.TrimSpace(w.Body.String()[:min(200, w.Body.Len())]))
			}
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		p50, p95 := times[len(times)/2], times[len(times)*95/100]
		flag := ""
		if p95 > 100*time.Millisecond {
			flag = "  ← over the 100 ms target"
		}
		fmt.Printf("%-36s p50 %6.1f ms  p95 %6.1f ms%s\n", p, float64(p50.Microseconds())/1000, float64(p95.Microseconds())/1000, flag)
	}
}
