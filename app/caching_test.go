package app_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

// TestStaffResponsesAreNeverStored checks that nothing a signed-in person sees
// (admin pages, staff API answers, CSV exports) nor the bounce to the login page
// may be kept by a browser or shared cache.
func TestStaffResponsesAreNeverStored(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		admin := env.login(models.RoleAdmin)
		for _, path := range []string{"/admin", "/admin/releases", "/admin/media", "/admin/media/export.csv", "/admin/supporters/export.csv"} {
			r := admin.get(path)
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s = %d", path, r.Status)
			}
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("GET %s: Cache-Control = %q, want no-store", path, cc)
			}
		}
		tok := env.token(models.RoleViewer)
		for _, path := range []string{"/api/v1/me", "/api/v1/releases", "/api/v1/sends"} {
			r := env.api(http.MethodGet, path, tok, "")
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s = %d %s", path, r.Status, r.Body)
			}
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("GET %s: Cache-Control = %q, want no-store", path, cc)
			}
		}
		// Refusals are private too: the login bounce and the API's 401.
		if r := env.browser().get("/admin/releases"); r.Status != http.StatusSeeOther || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("signed-out /admin/releases = %d, Cache-Control %q", r.Status, r.Header.Get("Cache-Control"))
		}
		if r := env.api(http.MethodGet, "/api/v1/releases", "", ""); r.Status != http.StatusUnauthorized || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("tokenless /api/v1/releases = %d, Cache-Control %q", r.Status, r.Header.Get("Cache-Control"))
		}
	})
}

// TestNewsroomSetsNoCookie checks that the cacheable public surfaces never hand
// out a CSRF cookie: a shared cache storing one would give every visitor the
// same token. Pages with forms still get theirs.
func TestNewsroomSetsNoCookie(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		d := env.publish(t, "Cookie-free newsroom", "Body.", nil, nil)
		for _, path := range []string{"/news", "/news/" + *d.Slug, "/news/search?q=newsroom", "/news/feed.atom", "/sitemap.xml", "/sitemap/releases.xml", "/robots.txt", "/"} {
			r := env.browser().get(path)
			if r.Status >= 400 {
				t.Fatalf("GET %s = %d", path, r.Status)
			}
			if ck := r.Header.Values("Set-Cookie"); len(ck) > 0 {
				t.Errorf("GET %s sets cookies %q", path, ck)
			}
			if cc := r.Header.Get("Cache-Control"); path != "/" && path != "/robots.txt" && !strings.HasPrefix(cc, "public") {
				t.Errorf("GET %s: Cache-Control = %q, want public", path, cc)
			}
		}
		r := env.browser().get("/login")
		if !strings.Contains(strings.Join(r.Header.Values("Set-Cookie"), ";"), "pressroom_csrf=") {
			t.Errorf("the login form gets no CSRF cookie: %q", r.Header.Values("Set-Cookie"))
		}
	})
}

// TestPublic404sAreNeverStored checks that a release page asked for before its
// embargo lifts (and any other public 404) cannot be cached: a stored 404 would
// hide the release after the lift.
func TestPublic404sAreNeverStored(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		lift := env.clock.Now().Add(5 * time.Minute)
		d := env.publish(t, "Not yet", "Embargoed text.", &lift, nil)
		env.publish(t, "Already out", "Public text.", nil, nil)
		for _, c := range []struct {
			path string
			api  bool
		}{
			{"/news/" + *d.Slug, false},
			{"/api/v1/public/releases/" + *d.Slug, true},
			{"/news/no-such-release", false},
			{"/no/such/page", false},
			{"/api/v1/public/releases/no-such-release", true},
		} {
			var r response
			if c.api {
				r = env.api(http.MethodGet, c.path, "", "")
			} else {
				r = env.browser().get(c.path)
			}
			if r.Status != http.StatusNotFound {
				t.Fatalf("GET %s = %d, want 404", c.path, r.Status)
			}
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("GET %s (404): Cache-Control = %q, want no-store", c.path, cc)
			}
			if et := r.Header.Get("ETag"); et != "" {
				t.Errorf("GET %s (404) carries ETag %s", c.path, et)
			}
		}
	})
}

// TestListingLifetimeRevealsNoEmbargo checks that a listing's cache lifetime is
// the same whether or not an embargo lifts within the minute: a shorter
// max-age would tell anyone that something is about to come out.
func TestListingLifetimeRevealsNoEmbargo(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		env.publish(t, "Out already", "Body.", nil, nil)
		anon := env.browser()
		paths := []string{"/news", "/news/feed.atom", "/sitemap.xml", "/news/search?q=already"}
		before := map[string]string{}
		for _, p := range paths {
			before[p] = anon.get(p).Header.Get("Cache-Control")
			if !strings.Contains(before[p], "stale-while-revalidate=") {
				t.Errorf("%s: Cache-Control = %q, want a stale-while-revalidate window", p, before[p])
			}
		}
		soon := env.clock.Now().Add(20 * time.Second)
		env.publish(t, "Lifts in twenty seconds", "Body.", &soon, nil)
		for _, p := range paths {
			if cc := anon.get(p).Header.Get("Cache-Control"); cc != before[p] {
				t.Errorf("%s: Cache-Control with an embargo 20 s away = %q, without = %q", p, cc, before[p])
			}
		}
		if r := env.api(http.MethodGet, "/api/v1/public/releases", "", ""); r.Header.Get("Cache-Control") != before["/news"] {
			t.Errorf("public API list: Cache-Control = %q, want %q", r.Header.Get("Cache-Control"), before["/news"])
		}
	})
}

// TestETagIgnoresQueryOrderAndJunk checks that the query string is normalised
// before it enters the ETag: parameter order, unknown parameters (tracking
// tags) and empty ones do not fragment caches, while a different search does.
func TestETagIgnoresQueryOrderAndJunk(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		env.publish(t, "Arms embargo", "Arms.", nil, nil)
		anon := env.browser()
		etag := func(path string) string {
			t.Helper()
			var r response
			if strings.HasPrefix(path, "/api/") {
				r = env.api(http.MethodGet, path, "", "")
			} else {
				r = anon.get(path)
			}
			if r.Status != http.StatusOK || r.Header.Get("ETag") == "" {
				t.Fatalf("GET %s = %d, ETag %q", path, r.Status, r.Header.Get("ETag"))
			}
			return r.Header.Get("ETag")
		}
		for _, set := range [][]string{
			{"/news/search?q=arms&lang=en", "/news/search?lang=en&q=arms", "/news/search?utm_source=x&q=arms&lang=en&page=", "/news/search?q=arms&lang=en&q=ignored"},
			{"/api/v1/public/releases?q=arms&limit=5", "/api/v1/public/releases?limit=5&q=arms", "/api/v1/public/releases?limit=5&fbclid=abc&q=arms&lang="},
		} {
			want := etag(set[0])
			for _, p := range set[1:] {
				if got := etag(p); got != want {
					t.Errorf("ETag of %s = %s, of %s = %s: want the same", p, got, set[0], want)
				}
			}
			// A client holding that ETag revalidates any spelling with a 304.
			r := anon.do(http.MethodGet, set[len(set)-1], nil, map[string]string{"If-None-Match": want})
			if r.Status != http.StatusNotModified {
				t.Errorf("revalidating %s with %s = %d, want 304", set[len(set)-1], want, r.Status)
			}
		}
		if etag("/news/search?q=arms") == etag("/news/search?q=embargo") {
			t.Error("two different searches share an ETag")
		}
		if etag("/api/v1/public/releases?limit=5") == etag("/api/v1/public/releases?limit=6") {
			t.Error("two different API pages share an ETag")
		}
	})
}

// TestCacheablePagesLeaveTheFlash checks that a pending flash message (which
// may hold a freshly made preview link) is not rendered into, nor cleared by, a
// newsroom response a shared cache may store; the next private page shows it.
func TestCacheablePagesLeaveTheFlash(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		d := env.publish(t, "Flash-free", "Body.", nil, nil)
		const secret = "Preview link: /preview/secret-token-123"
		flash := base64.RawURLEncoding.EncodeToString([]byte(`{"k":"success","m":"` + secret + `"}`))
		for _, path := range []string{"/news", "/news/" + *d.Slug, "/news/search?q=flash"} {
			r := env.browser().do(http.MethodGet, path, nil, map[string]string{"Cookie": "pressroom_flash=" + flash})
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s = %d", path, r.Status)
			}
			if strings.Contains(r.Body, "secret-token-123") || len(r.Header.Values("Set-Cookie")) > 0 {
				t.Errorf("GET %s (public, cacheable) rendered or cleared the flash: cookies %q", path, r.Header.Values("Set-Cookie"))
			}
		}
		r := env.browser().do(http.MethodGet, "/login", nil, map[string]string{"Cookie": "pressroom_flash=" + flash})
		if !strings.Contains(r.Body, "secret-token-123") {
			t.Error("the flash is lost: /login does not show it")
		}
	})
}
