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

	"pressroom/internal/benchkit"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// BenchmarkAdminPages measures the server time of the main admin pages with
// realistic data: 10,000 releases (with revisions) and 100,000 media contacts
// and 100,000 supporters, built by benchkit.BuildAdminData, the same data
// cmd/bench's admin rows measure over HTTP. Target: every page under 100 ms.
// PostgreSQL only (skipped without TEST_DATABASE_URL).
//
//	TEST_DATABASE_URL=… go test ./app -run '^$' -bench AdminPages -benchtime 1x
func BenchmarkAdminPages(b *testing.B) {
	if os.Getenv(dbtest.EnvURL) == "" {
		b.Skip("needs TEST_DATABASE_URL (PostgreSQL)")
	}
	db := envDB(b, models.Postgres)
	env := newEnv(b, db, envOptions{})
	started := time.Now()
	data, err := benchkit.BuildAdminData(context.Background(), db, env.users[models.RolePressOfficer], env.users[models.RoleAdmin])
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("seeded 10,000 releases, 100,000 contacts, 100,000 supporters, a send, in %v\n", time.Since(started).Round(time.Millisecond))

	cookies := map[models.Role][]*http.Cookie{}
	for _, p := range benchkit.AdminPages(data) {
		if cookies[p.Role] == nil {
			cookies[p.Role] = env.login(p.Role).client.Jar.Cookies(mustURL(env.http.URL))
		}
	}
	pages := append(benchkit.AdminPages(data), benchkit.AdminPage{Path: "/news"}, benchkit.AdminPage{Path: "/news/release-5002"}, benchkit.AdminPage{Path: "/news/search?q=arms"})
	h := env.server.Handler()
	b.ResetTimer()
	for _, pg := range pages {
		p := pg.Path
		var times []time.Duration
		for i := 0; i < 20; i++ {
			req := httptest.NewRequest(http.MethodGet, p, nil)
			for _, c := range cookies[pg.Role] {
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
