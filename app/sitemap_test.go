package app_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"pressroom/models/dbtest"
)

// TestSitemapIndexListsEveryReleaseOnce: with more public releases than one
// sitemap page holds, /sitemap.xml is a sitemap index whose pages, followed
// in order, list the newsroom and every public release exactly once, none
// more than a page's worth, and nothing embargoed.
func TestSitemapIndexListsEveryReleaseOnce(t *testing.T) {
	run(t, envOptions{sitemapPageSize: 10}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		if err := dbtest.BulkNewsroom(ctx, env.db, 25, env.clock.Now().Add(-time.Hour), nil); err != nil {
			t.Fatal(err)
		}
		embargo := env.clock.Now().Add(24 * time.Hour)
		env.publish(t, "Embargoed sitemap release", "Body.", &embargo, nil)

		b := env.browser()
		idx := b.get("/sitemap.xml")
		if idx.Status != http.StatusOK || !strings.Contains(idx.Header.Get("Content-Type"), "xml") {
			t.Fatalf("GET /sitemap.xml = %d %s", idx.Status, idx.Header.Get("Content-Type"))
		}
		var index struct {
			XMLName  xml.Name `xml:"sitemapindex"`
			Sitemaps []struct {
				Loc string `xml:"loc"`
			} `xml:"sitemap"`
		}
		if err := xml.Unmarshal([]byte(idx.Body), &index); err != nil {
			t.Fatalf("sitemap index: %v\n%s", err, idx.Body)
		}
		if len(index.Sitemaps) != 3 {
			t.Fatalf("25 releases at 10 a page: %d sitemaps, want 3\n%s", len(index.Sitemaps), idx.Body)
		}
		seen := map[string]int{}
		for i, sm := range index.Sitemaps {
			path := strings.TrimPrefix(sm.Loc, env.cfg.URL(""))
			page := b.get(path)
			if page.Status != http.StatusOK {
				t.Fatalf("GET %s = %d", path, page.Status)
			}
			var set struct {
				URLs []struct {
					Loc string `xml:"loc"`
				} `xml:"url"`
			}
			if err := xml.Unmarshal([]byte(page.Body), &set); err != nil {
				t.Fatalf("sitemap page %d: %v", i, err)
			}
			releases := 0
			for _, u := range set.URLs {
				seen[u.Loc]++
				if strings.Contains(u.Loc, "/news/") {
					releases++
				}
			}
			if releases > 10 {
				t.Errorf("page %d lists %d releases; a page holds 10", i, releases)
			}
		}
		for i := 1; i <= 25; i++ {
			if u := env.cfg.URL(fmt.Sprintf("/news/bulk-%d", i)); seen[u] != 1 {
				t.Errorf("%s listed %d times; want once", u, seen[u])
			}
		}
		if seen[env.cfg.URL("/news")] != 1 {
			t.Errorf("the newsroom listed %d times", seen[env.cfg.URL("/news")])
		}
		if len(seen) != 26 {
			t.Errorf("%d URLs listed; want the newsroom and 25 releases (nothing embargoed)", len(seen))
		}
		if r := b.get("/sitemap/releases.xml?after=not-a-key"); r.Status != http.StatusNotFound {
			t.Errorf("a page after a key this newsroom never issued = %d; want 404", r.Status)
		}
	})
}
