package app_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"pressroom/app"
	"pressroom/models"
)

// countQueries counts every statement the application sends through GORM
// from now on.
func countQueries(t *testing.T, db *gorm.DB) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	inc := func(*gorm.DB) { n.Add(1) }
	cb := db.Callback()
	for name, err := range map[string]error{
		"query": cb.Query().Before("gorm:query").Register("test:count_query", inc),
		"row":   cb.Row().Before("gorm:row").Register("test:count_row", inc),
		"raw":   cb.Raw().Before("gorm:raw").Register("test:count_raw", inc),
	} {
		if err != nil {
			t.Fatalf("register %s counter: %v", name, err)
		}
	}
	return &n
}

// TestViralReleaseCostsNoQuery: once a release page is rendered, the same page
// is served from memory — no query at all while the process trusts its
// newsroom version (NewsroomVersionTTL) — and a revalidation with its ETag is a
// 304 without a body. The cache never outlives a change by more than that TTL:
// a withdrawal shows on the page, and a release whose embargo lifts shows on a
// cached /news, once the TTL has passed (in production one second, on top of
// the lift job's own lateness).
func TestViralReleaseCostsNoQuery(t *testing.T) {
	run(t, envOptions{versionTTL: app.DefaultNewsroomVersionTTL}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		d := env.publish(t, "Viral release zqviral", "The government must act.", nil, nil)
		lift := env.clock.Now().Add(10 * time.Minute)
		later := env.publish(t, "Embargoed follow-up zqlater", "Words.", &lift, nil)
		b := env.browser()
		page := "/news/" + *d.Slug
		first := b.get(page)
		list := b.get("/news")
		if first.Status != http.StatusOK || !strings.Contains(first.Body, "zqviral") || list.Status != http.StatusOK || strings.Contains(list.Body, "zqlater") {
			t.Fatalf("first views: page %d, list %d (embargoed release listed: %v)", first.Status, list.Status, strings.Contains(list.Body, "zqlater"))
		}

		queries := countQueries(t, env.db.Gorm)
		for range 50 {
			r := b.get(page)
			if r.Status != http.StatusOK || r.Body != first.Body {
				t.Fatalf("cached view: %d, same body %v", r.Status, r.Body == first.Body)
			}
		}
		r := b.do(http.MethodGet, page, nil, map[string]string{"If-None-Match": first.Header.Get("ETag")})
		if r.Status != http.StatusNotModified || r.Body != "" {
			t.Errorf("revalidation with the ETag: %d, %d bytes; want 304 without a body", r.Status, len(r.Body))
		}
		r = b.do(http.MethodGet, page, nil, map[string]string{"If-Modified-Since": first.Header.Get("Last-Modified")})
		if r.Status != http.StatusNotModified {
			t.Errorf("revalidation with Last-Modified: %d; want 304", r.Status)
		}
		if n := queries.Load(); n != 0 {
			t.Errorf("50 views and 2 revalidations of a cached release ran %d queries; want none", n)
		}

		// A withdrawal reaches the page once the process rereads the version.
		if _, err := models.WithdrawDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], d.ID, "Withdrawn: a figure was wrong.", env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		env.clock.Advance(app.DefaultNewsroomVersionTTL)
		r = b.get(page)
		if r.Status != http.StatusOK || strings.Contains(r.Body, "The government must act.") || !strings.Contains(r.Body, "a figure was wrong") {
			t.Errorf("release page a second after its withdrawal still shows its text (or no notice): %d", r.Status)
		}
		if r.Header.Get("ETag") == first.Header.Get("ETag") {
			t.Error("the withdrawal did not change the ETag")
		}

		// The embargo lift reaches a cached /news within the TTL.
		env.clock.Set(lift)
		if ids, err := models.PublishDue(ctx, env.db.Gorm, env.clock.Now()); err != nil || len(ids) != 1 || ids[0] != later.ID {
			t.Fatalf("PublishDue = %v, %v", ids, err)
		}
		env.clock.Advance(app.DefaultNewsroomVersionTTL)
		if r := b.get("/news"); !strings.Contains(r.Body, "zqlater") {
			t.Errorf("/news a second after the lift does not list the lifted release (%d)", r.Status)
		}
		if r := b.get("/news/feed.atom"); !strings.Contains(r.Body, "zqlater") {
			t.Errorf("the feed a second after the lift does not hold the lifted release (%d)", r.Status)
		}
	})
}

// TestNewsroomPagesByKey: the listing pages by key with "Older releases"
// links, every release on exactly one page, in publication order, without a
// total; a key the newsroom never issued is a 404, not a database error.
func TestNewsroomPagesByKey(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		const n = 45
		for i := range n {
			env.publish(t, "Keyed release zqk"+string(rune('a'+i/26))+string(rune('a'+i%26)), "Words.", nil, nil)
			env.clock.Advance(time.Minute)
		}
		b := env.browser()
		seen := map[string]bool{}
		var order []string
		path := "/news"
		for pages := 0; path != ""; pages++ {
			if pages > 5 {
				t.Fatal("the listing never ends")
			}
			r := b.get(path)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d", path, r.Status)
			}
			for _, part := range strings.Split(r.Body, `">Keyed release zqk`)[1:] {
				key := part[:2]
				if seen[key] {
					t.Errorf("%s lists zqk%s again", path, key)
				}
				seen[key] = true
				order = append(order, key)
			}
			path = ""
			if i := strings.Index(r.Body, `rel="next"`); i >= 0 {
				start := strings.LastIndex(r.Body[:i], `href="`) + len(`href="`)
				path = strings.ReplaceAll(r.Body[start:strings.Index(r.Body[start:], `"`)+start], "&amp;", "&")
			}
			if pages > 0 && !strings.Contains(r.Body, "Latest releases") {
				t.Errorf("%s has no way back to the latest releases", path)
			}
		}
		if len(seen) != n {
			t.Errorf("pages by key showed %d releases, want %d", len(seen), n)
		}
		for i := 1; i < len(order); i++ {
			if order[i] > order[i-1] {
				t.Errorf("zqk%s listed after zqk%s: not latest first", order[i], order[i-1])
				break
			}
		}
		if r := b.get("/news?after=bm90LWEta2V5"); r.Status != http.StatusNotFound {
			t.Errorf("a key the newsroom never issued: %d, want 404", r.Status)
		}
	})
}

// TestConcurrentMissesRenderOnce: a spike on a page that is not cached yet (a
// search everyone runs right after a release) renders it once; the requests
// that arrive while it renders get the same page, not a search each.
func TestConcurrentMissesRenderOnce(t *testing.T) {
	run(t, envOptions{versionTTL: app.DefaultNewsroomVersionTTL}, func(t *testing.T, env *testEnv) {
		env.publish(t, "Spike release zqspike", "The government must act on zqspike.", nil, nil)
		env.publish(t, "Quiet release zqquiet", "The government must act on zqquiet.", nil, nil)
		var searches atomic.Int64
		var slow atomic.Bool
		err := env.db.Gorm.Callback().Row().After("gorm:row").Register("test:count_search", func(db *gorm.DB) {
			if strings.Contains(db.Statement.SQL.String(), "search_entries") {
				searches.Add(1)
				// Hold the render up, so every client is waiting on it.
				if slow.Load() {
					time.Sleep(time.Second)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		// What one render of a search costs, alone, once the languages in use
		// have been read for this version (by the first search).
		if r := env.browser().get("/news/search?q=zqfirst"); r.Status != http.StatusOK {
			t.Fatalf("first search: %d", r.Status)
		}
		searches.Store(0)
		if r := env.browser().get("/news/search?q=zqquiet"); r.Status != http.StatusOK || !strings.Contains(r.Body, "zqquiet") {
			t.Fatalf("search alone: %d", r.Status)
		}
		one := searches.Swap(0)
		if one == 0 {
			t.Fatal("a search ran no statement on search_entries: the counter counts nothing")
		}
		slow.Store(true)
		const clients = 16
		bodies := make([]string, clients)
		var wg sync.WaitGroup
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := env.browser().get("/news/search?q=zqspike")
				if r.Status != http.StatusOK {
					t.Errorf("client %d: %d", i, r.Status)
				}
				bodies[i] = r.Body
			}()
		}
		wg.Wait()
		for i, b := range bodies {
			if !strings.Contains(b, "zqspike") || b != bodies[0] {
				t.Fatalf("client %d got a different page from client 0 (or no result)", i)
			}
		}
		if n := searches.Load(); n != one {
			t.Errorf("%d concurrent requests of one uncached search ran %d search statements; one render runs %d", clients, n, one)
		}
	})
}

// TestSearchConfigsPerVersion: an uncached public search is one statement on
// PostgreSQL, the languages in use being kept per newsroom version, and a
// release published in a language the archive did not have yet is found by
// the very next search (its publication moved the version). "which" is an
// English stop word, so only a parse in the new release's own configuration
// ('simple', for Japanese) finds it. Languages kept longer than a minute
// are read again even at the same version.
func TestSearchConfigsPerVersion(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		env.publish(t, "Government release zqcfg", "The government must act.", nil, nil)
		b := env.browser()
		if r := b.get("/news/search?q=zqcfg"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Government release") {
			t.Fatalf("first search: %d", r.Status)
		}
		var searches atomic.Int64
		err := env.db.Gorm.Callback().Row().After("gorm:row").Register("test:count_search_entries", func(db *gorm.DB) {
			if strings.Contains(db.Statement.SQL.String(), "search_entries") {
				searches.Add(1)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if r := b.get("/news/search?q=zqcfg+government"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Government release") {
			t.Fatalf("second search: %d", r.Status)
		}
		if n := searches.Load(); env.db.Dialect == models.Postgres && n != 1 {
			t.Errorf("an uncached search ran %d statements on search_entries, want 1", n)
		}
		// Past their age the languages are read again, version or not.
		env.clock.Advance(2 * time.Minute)
		searches.Store(0)
		if r := b.get("/news/search?q=zqcfg+act"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Government release") {
			t.Fatalf("search a while later: %d", r.Status)
		}
		if n := searches.Load(); env.db.Dialect == models.Postgres && n != 2 {
			t.Errorf("a search two minutes later ran %d statements on search_entries, want 2 (the languages read again)", n)
		}
		if r := b.get("/news/search?q=which"); strings.Contains(r.Body, "Which way") {
			t.Fatal("found before it was published")
		}
		env.publish(t, "Which way zqsimple", "Words.", nil, func(in *models.DocumentInput) { ja := "ja"; in.Language = &ja })
		if r := b.get("/news/search?q=which"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Which way") {
			t.Errorf("a release in a language new to the archive is not found after its publication: %d", r.Status)
		}
		if r := b.get("/api/v1/public/releases?q=which"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Which way") {
			t.Errorf("nor through the public API: %d %s", r.Status, r.Body)
		}
	})
}
