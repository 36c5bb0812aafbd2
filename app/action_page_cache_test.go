package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"pressroom/app"
	"pressroom/models"
)

// TestViralActionPageCostsNoQuery: with the production cache on, the action
// page /a/{slug} is the same bytes for every visitor who sent the same
// Accept-Language, whatever cookies they carry (no CSRF field, no cookie
// set); once rendered it is served from memory with no query at all, and a
// revalidation with its ETag is a 304 without a body. The appeal deadline
// ends the shared page at once: the first view after it says appeals have
// closed and shows no composer.
func TestViralActionPageCostsNoQuery(t *testing.T) {
	run(t, envOptions{versionTTL: app.DefaultNewsroomVersionTTL}, func(t *testing.T, env *testEnv) {
		ua := publishUA(t, env, "2026-07-20T23:59:00+03:00")
		path := "/a/" + ua.action.Slug
		withCookie, fresh := env.browser(), env.browser()
		withCookie.csrf("/login")
		gb := map[string]string{"Accept-Language": "en-GB,en;q=0.9"}
		first := fresh.do(http.MethodGet, path, nil, gb)
		etag := first.Header.Get("ETag")
		if first.Status != http.StatusOK || etag == "" || !strings.Contains(first.Body, "Write your letter") || !strings.Contains(first.Body, `<option value="GB" selected>`) {
			t.Fatalf("action page = %d, ETag %q", first.Status, etag)
		}
		queries := countQueries(t, env.db.Gorm)
		for range 20 {
			for name, b := range map[string]*browser{"with cookie": withCookie, "fresh": fresh} {
				r := b.do(http.MethodGet, path, nil, gb)
				if r.Status != http.StatusOK || r.Body != first.Body || r.Header.Get("ETag") != etag {
					t.Fatalf("%s: %d, same body %v, ETag %q", name, r.Status, r.Body == first.Body, r.Header.Get("ETag"))
				}
				if sc := r.Header.Values("Set-Cookie"); len(sc) != 0 {
					t.Fatalf("%s: the page set cookies %q", name, sc)
				}
				if cc := r.Header.Get("Cache-Control"); cc != "public, no-cache" || !strings.Contains(r.Header.Get("Vary"), "Accept-Language") {
					t.Fatalf("%s: Cache-Control %q, Vary %q", name, cc, r.Header.Get("Vary"))
				}
			}
		}
		if strings.Contains(first.Body, "csrf_token") {
			t.Error("the shared page carries a CSRF field")
		}
		for _, inm := range []string{etag, `"other", ` + etag} {
			if r := fresh.do(http.MethodGet, path, nil, map[string]string{"If-None-Match": inm, "Accept-Language": "en-GB,en;q=0.9"}); r.Status != http.StatusNotModified || r.Body != "" {
				t.Errorf("If-None-Match %s = %d (%d bytes), want 304 and no body", inm, r.Status, len(r.Body))
			}
		}
		if n := queries.Load(); n != 0 {
			t.Errorf("40 views and 2 revalidations of a cached action page ran %d queries; want none", n)
		}
		if r := fresh.do(http.MethodGet, path, nil, map[string]string{"Accept-Language": "fr-FR"}); !strings.Contains(r.Body, `<option value="FR" selected>`) || r.Header.Get("ETag") == etag {
			t.Error("the French visitor's page does not default to France, or shares the British page's validator")
		}

		env.clock.Set(time.Date(2026, 7, 21, 0, 0, 0, 0, time.UTC))
		r := fresh.do(http.MethodGet, path, nil, gb)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "Appeals have closed") || strings.Contains(r.Body, `name="body"`) || r.Header.Get("ETag") == etag {
			t.Errorf("the cached page just after the deadline = %d, still open or same ETag", r.Status)
		}
	})
}

// TestActionFormsCrossOrigin: the action page's forms (the letter, its
// printable copy, "I posted it") carry no token; a post a browser marks as
// cross-site, or from a foreign Origin, is refused with a page that says why
// and stores nothing; a post from the page itself or from a client that is
// not a browser goes through. A letter's answer shows what was typed and is
// never stored by a cache.
func TestActionFormsCrossOrigin(t *testing.T) {
	run(t, envOptions{versionTTL: app.DefaultNewsroomVersionTTL}, func(t *testing.T, env *testEnv) {
		ua := publishUA(t, env, "2026-08-01T00:00:00Z")
		path := "/a/" + ua.action.Slug
		letter := url.Values{"name": {"Ana Lima"}, "email": {"ana@example.org"}, "country": {"BR"}, "subject": {"S"}, "body": {"In my own words."}, "target_ids": {ua.minister.ID}}
		posted := url.Values{"target_ids": {ua.minister.ID}, "country": {"BR"}}
		forged := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
		for p, form := range map[string]url.Values{path: letter, path + "/print": letter, path + "/posted": posted} {
			r := env.browser().do(http.MethodPost, p, form, forged)
			if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "This form cannot be sent from here") || !strings.Contains(r.Body, "action") {
				t.Errorf("cross-site post to %s = %d, want 403 with the explanation", p, r.Status)
			}
		}
		var letters int64
		env.db.Gorm.Model(&models.Letter{}).Count(&letters)
		counts := decode[models.LetterCounts](t, env.api("GET", "/api/v1/releases/"+ua.action.ID+"/letters", ua.camp, "").Body)
		if letters != 0 || counts.Posted != 0 {
			t.Fatalf("refused posts stored %d letters and %d posted", letters, counts.Posted)
		}
		if r := env.browser().sameOrigin(path, letter); r.Status != http.StatusSeeOther {
			t.Errorf("the page's own letter = %d, want 303", r.Status)
		}
		if r := env.browser().do(http.MethodPost, path+"/posted", posted, nil); r.Status != http.StatusOK || !strings.Contains(r.Body, "Thank you for posting") {
			t.Errorf("a non-browser client's 'I posted it' = %d", r.Status)
		}
		bad := url.Values{"name": {"Private Person"}, "email": {"private@"}, "country": {"BR"}, "subject": {"S"}, "body": {"Private words."}}
		r := env.browser().sameOrigin(path, bad)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Private words.") || r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("ETag") != "" {
			t.Errorf("letter with errors = %d, Cache-Control %q, ETag %q", r.Status, r.Header.Get("Cache-Control"), r.Header.Get("ETag"))
		}
		if p := env.browser().get(path); strings.Contains(p.Body, "Private") {
			t.Error("another visitor's page holds what the first typed")
		}
	})
}
