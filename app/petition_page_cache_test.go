package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"pressroom/app"
	"pressroom/models"
)

// TestPetitionPageSameBytesForEveryone: with the production cache on, the
// petition page is the same bytes for every visitor who sent the same
// Accept-Language, whatever cookies they carry (no per-visitor CSRF field, no
// cookie set); the default country picked from the language is the only
// variant, one country selected per page.
func TestPetitionPageSameBytesForEveryone(t *testing.T) {
	run(t, envOptions{versionTTL: app.DefaultNewsroomVersionTTL}, func(t *testing.T, env *testEnv) {
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Shared page","target":"T","demand":"D."}`)
		path := "/p/" + p.Slug
		// One visitor already holds the staff forms' CSRF cookie, the other
		// nothing at all.
		withCookie, fresh := env.browser(), env.browser()
		withCookie.csrf("/login")
		gbLang, frLang := map[string]string{"Accept-Language": "en-GB,en;q=0.9"}, map[string]string{"Accept-Language": "fr-FR"}
		var first string
		for i := range 3 {
			a, b := withCookie.do(http.MethodGet, path, nil, gbLang), fresh.do(http.MethodGet, path, nil, gbLang)
			if a.Status != http.StatusOK || b.Status != http.StatusOK {
				t.Fatalf("pages = %d, %d", a.Status, b.Status)
			}
			if a.Body != b.Body || a.Header.Get("ETag") == "" || a.Header.Get("ETag") != b.Header.Get("ETag") {
				t.Fatalf("two visitors with different cookies got different pages (ETag %q, %q)", a.Header.Get("ETag"), b.Header.Get("ETag"))
			}
			if i == 0 {
				first = a.Body
			} else if a.Body != first {
				t.Errorf("request %d got other bytes than the first", i+1)
			}
			for name, r := range map[string]response{"with cookie": a, "fresh": b} {
				if sc := r.Header.Values("Set-Cookie"); len(sc) != 0 {
					t.Errorf("%s: the page set cookies %q", name, sc)
				}
				if strings.Contains(r.Body, "csrf_token") {
					t.Errorf("%s: the page carries a CSRF field", name)
				}
				if cc := r.Header.Get("Cache-Control"); cc != "public, no-cache" || !strings.Contains(r.Header.Get("Vary"), "Accept-Language") {
					t.Errorf("%s: Cache-Control %q, Vary %q", name, cc, r.Header.Get("Vary"))
				}
			}
		}
		if !strings.Contains(first, `<option value="GB" selected>`) || strings.Count(first, " selected>") != 1 {
			t.Errorf("the GB page does not default to the United Kingdom alone")
		}
		fr := fresh.do(http.MethodGet, path, nil, frLang)
		if !strings.Contains(fr.Body, `<option value="FR" selected>`) || strings.Count(fr.Body, " selected>") != 1 || fr.Header.Get("ETag") == first {
			t.Errorf("the FR page does not default to France alone")
		}
		// A visitor without Accept-Language gets no country chosen for them.
		if r := env.browser().get(path); strings.Contains(r.Body, " selected>") {
			t.Error("a visitor without a language got a default country")
		}
	})
}

// TestPetitionPageRevalidates: a browser or cache that sends the page's ETag
// back gets 304 without a body while the page is unchanged, and the page
// again once it changed.
func TestPetitionPageRevalidates(t *testing.T) {
	run(t, envOptions{versionTTL: app.DefaultNewsroomVersionTTL}, func(t *testing.T, env *testEnv) {
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Revalidated page","target":"T","demand":"D."}`)
		path := "/p/" + p.Slug
		b := env.browser()
		r := b.get(path)
		etag := r.Header.Get("ETag")
		if r.Status != http.StatusOK || etag == "" {
			t.Fatalf("page = %d, ETag %q", r.Status, etag)
		}
		for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag} {
			if r := b.do(http.MethodGet, path, nil, map[string]string{"If-None-Match": inm}); r.Status != http.StatusNotModified || r.Body != "" || r.Header.Get("ETag") != etag {
				t.Errorf("If-None-Match %s = %d (%d bytes), want 304 and no body", inm, r.Status, len(r.Body))
			}
		}
		if r := b.do(http.MethodGet, path, nil, map[string]string{"If-None-Match": `"stale"`}); r.Status != http.StatusOK || !strings.Contains(r.Body, "Revalidated page") {
			t.Errorf("a stale validator = %d, want 200 and the page", r.Status)
		}
		// Another default country is another page, with its own validator.
		if r := b.do(http.MethodGet, path, nil, map[string]string{"If-None-Match": etag, "Accept-Language": "de-DE"}); r.Status != http.StatusOK {
			t.Errorf("the German page revalidated with the page of no country = %d, want 200", r.Status)
		}
	})
}

// TestPetitionFormCrossOrigin: the signing form carries no token; a post a
// browser marks as cross-site, or whose Origin is a foreign site, is refused
// with a page that says why and stores nothing, while a post from the page
// itself, from one of PUBLIC_ALLOWED_ORIGINS, or from a client that is not a
// browser (no Sec-Fetch-Site, no Origin) signs.
func TestPetitionFormCrossOrigin(t *testing.T) {
	run(t, envOptions{versionTTL: app.DefaultNewsroomVersionTTL, env: map[string]string{"PUBLIC_ALLOWED_ORIGINS": "https://www.example.org"}}, func(t *testing.T, env *testEnv) {
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Forged posts","target":"T","demand":"D."}`)
		path := "/p/" + p.Slug
		form := func(email string) url.Values {
			return url.Values{"name": {"N"}, "email": {email}, "country": {"GB"}}
		}
		refused := map[string]map[string]string{
			"cross-site":              {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
			"same-site (a subdomain)": {"Sec-Fetch-Site": "same-site", "Origin": "https://blog.example.com"},
			"foreign Origin only":     {"Origin": "https://evil.example"},
			"opaque Origin":           {"Sec-Fetch-Site": "cross-site", "Origin": "null"},
		}
		for name, h := range refused {
			r := env.browser().do(http.MethodPost, path, form("forged@example.org"), h)
			if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "This form cannot be sent from here") || r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s post = %d, Cache-Control %q, want 403 with the explanation", name, r.Status, r.Header.Get("Cache-Control"))
			}
		}
		if n := len(signatureRows(t, env, p.ID)); n != 0 {
			t.Fatalf("%d signatures stored from refused posts, want 0", n)
		}
		signed := map[string]map[string]string{
			"same-origin@example.org": {"Sec-Fetch-Site": "same-origin", "Origin": env.http.URL},
			"origin-only@example.org": {"Origin": env.http.URL},
			"allowed@example.org":     {"Sec-Fetch-Site": "cross-site", "Origin": "https://www.example.org"},
			"no-browser@example.org":  nil,
		}
		for email, h := range signed {
			if r := env.browser().do(http.MethodPost, path, form(email), h); r.Status != http.StatusSeeOther || r.Location != path+"/thanks" {
				t.Errorf("%s: post without a token = %d %q, want 303 to the thanks page", email, r.Status, r.Location)
			}
		}
		if n := len(signatureRows(t, env, p.ID)); n != len(signed) {
			t.Errorf("%d signatures stored, want %d", n, len(signed))
		}
	})
}

// TestPetitionFormErrorIsNotShared: a form sent back with a validation error
// shows what the visitor typed, is never stored by a cache, and never reaches
// the shared page another visitor gets.
func TestPetitionFormErrorIsNotShared(t *testing.T) {
	run(t, envOptions{versionTTL: app.DefaultNewsroomVersionTTL}, func(t *testing.T, env *testEnv) {
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Typed values","target":"T","demand":"D."}`)
		path := "/p/" + p.Slug
		other := env.browser()
		before := other.get(path)
		r := env.browser().sameOrigin(path, url.Values{"name": {"Private Person"}, "email": {"private@"}, "country": {"GB"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `value="Private Person"`) || r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("ETag") != "" {
			t.Fatalf("form error = %d, Cache-Control %q, ETag %q", r.Status, r.Header.Get("Cache-Control"), r.Header.Get("ETag"))
		}
		after := other.get(path)
		if strings.Contains(after.Body, "Private Person") || strings.Contains(after.Body, "private@") || after.Body != before.Body {
			t.Error("another visitor's page holds what the first typed")
		}
	})
}

// TestPetitionCountETag: count.json carries a validator, and a poller that
// sends it back while the count is unchanged gets 304 without a body.
func TestPetitionCountETag(t *testing.T) {
	run(t, envOptions{versionTTL: app.DefaultNewsroomVersionTTL}, func(t *testing.T, env *testEnv) {
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Count validator","target":"T","demand":"D."}`)
		b := env.browser()
		r := b.get("/p/" + p.Slug + "/count.json")
		etag := r.Header.Get("ETag")
		if r.Status != http.StatusOK || etag == "" || !strings.Contains(r.Body, `"confirmed":0`) {
			t.Fatalf("count.json = %d %q %s", r.Status, etag, r.Body)
		}
		if r := b.do(http.MethodGet, "/p/"+p.Slug+"/count.json", nil, map[string]string{"If-None-Match": etag}); r.Status != http.StatusNotModified || r.Body != "" {
			t.Errorf("revalidation = %d %q, want 304 and no body", r.Status, r.Body)
		}
		if r := b.do(http.MethodGet, "/p/"+p.Slug+"/count.json", nil, map[string]string{"If-None-Match": `"stale"`}); r.Status != http.StatusOK || !strings.Contains(r.Body, `"confirmed":0`) {
			t.Errorf("a stale validator = %d %s, want 200 and the count", r.Status, r.Body)
		}
	})
}

// TestPetitionWidgetSharedAndRevalidated: the widget is one render for every
// visitor of a default country within the cache's second (its form token
// names the petition and the time only), sets no cookie and answers 304 to
// its own validator.
func TestPetitionWidgetSharedAndRevalidated(t *testing.T) {
	run(t, envOptions{versionTTL: app.DefaultNewsroomVersionTTL}, func(t *testing.T, env *testEnv) {
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Shared widget","target":"T","demand":"D."}`)
		path := "/p/" + p.Slug + "/embed"
		withCookie := env.browser()
		withCookie.csrf("/login")
		lang := map[string]string{"Accept-Language": "en-GB"}
		fresh := env.browser()
		// The two fetches may straddle a rebuild (a new second, a new
		// token): the bytes must match within one build.
		var a, b response
		for range 5 {
			a, b = withCookie.do(http.MethodGet, path, nil, lang), fresh.do(http.MethodGet, path, nil, lang)
			if a.Header.Get("ETag") == b.Header.Get("ETag") {
				break
			}
		}
		etag := a.Header.Get("ETag")
		if a.Status != http.StatusOK || etag == "" || a.Body != b.Body || etag != b.Header.Get("ETag") || len(a.Header.Values("Set-Cookie")) != 0 {
			t.Fatalf("widgets = %d/%d, ETag %q/%q, same bytes %t, cookies %q", a.Status, b.Status, etag, b.Header.Get("ETag"), a.Body == b.Body, a.Header.Values("Set-Cookie"))
		}
		if !strings.Contains(a.Body, `<option value="GB" selected>`) || !strings.HasPrefix(a.Header.Get("Cache-Control"), "public, max-age=") {
			t.Errorf("widget: no GB default, or Cache-Control %q", a.Header.Get("Cache-Control"))
		}
		if r := fresh.do(http.MethodGet, path, nil, map[string]string{"Accept-Language": "en-GB", "If-None-Match": etag}); r.Status != http.StatusNotModified && r.Header.Get("ETag") == etag {
			t.Errorf("revalidating the widget = %d, want 304", r.Status)
		}
	})
}
