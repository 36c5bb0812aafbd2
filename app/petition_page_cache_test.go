package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"pressroom/app"
	"pressroom/models"
)

// TestPetitionPageSharedButPersonal: with the production cache on, two
// visitors of one petition page each get their own CSRF field (it works for
// them, not for the other) and their own default country, however often the
// page is served from the shared render.
func TestPetitionPageSharedButPersonal(t *testing.T) {
	run(t, envOptions{versionTTL: app.DefaultNewsroomVersionTTL}, func(t *testing.T, env *testEnv) {
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Shared page","target":"T","demand":"D."}`)
		path := "/p/" + p.Slug
		gb, fr := env.browser(), env.browser()
		gbLang, frLang := map[string]string{"Accept-Language": "en-GB,en;q=0.9"}, map[string]string{"Accept-Language": "fr-FR"}
		var gbToken, frToken string
		for range 3 {
			a, b := gb.do(http.MethodGet, path, nil, gbLang), fr.do(http.MethodGet, path, nil, frLang)
			for name, r := range map[string]response{"GB visitor": a, "FR visitor": b} {
				if r.Status != http.StatusOK || strings.Count(r.Body, `name="csrf_token"`) != 1 || strings.Contains(r.Body, "<!--csrf-") {
					t.Fatalf("%s: %d, %d CSRF fields, placeholder left: %t", name, r.Status, strings.Count(r.Body, `name="csrf_token"`), strings.Contains(r.Body, "<!--csrf-"))
				}
			}
			if !strings.Contains(a.Body, `<option value="GB" selected>`) || strings.Contains(a.Body, `<option value="FR" selected>`) {
				t.Errorf("the GB visitor's page does not default to the United Kingdom alone")
			}
			if !strings.Contains(b.Body, `<option value="FR" selected>`) || strings.Contains(b.Body, `<option value="GB" selected>`) {
				t.Errorf("the FR visitor's page does not default to France alone")
			}
			if strings.Count(a.Body, " selected>") != 1 || strings.Count(b.Body, " selected>") != 1 {
				t.Errorf("selected options: GB page %d, FR page %d, want 1 each", strings.Count(a.Body, " selected>"), strings.Count(b.Body, " selected>"))
			}
			gbToken, frToken = csrfField.FindStringSubmatch(a.Body)[1], csrfField.FindStringSubmatch(b.Body)[1]
		}
		// A visitor without Accept-Language gets no country chosen for them.
		if r := env.browser().get(path); strings.Contains(r.Body, " selected>") {
			t.Error("a visitor without a language got a default country")
		}
		sign := func(br *browser, token, email string) int {
			form := url.Values{"csrf_token": {token}, "name": {"N"}, "email": {email}, "country": {"GB"}}
			return br.do(http.MethodPost, path, form, nil).Status
		}
		// Each token works for its own visitor only.
		if st := sign(gb, frToken, "cross@example.org"); st != http.StatusForbidden {
			t.Errorf("the FR visitor's token posted by the GB visitor = %d, want 403", st)
		}
		if st := sign(gb, gbToken, "gb@example.org"); st != http.StatusSeeOther {
			t.Errorf("the GB visitor signing with their own page's token = %d, want 303", st)
		}
		if st := sign(fr, frToken, "fr@example.org"); st != http.StatusSeeOther {
			t.Errorf("the FR visitor signing with their own page's token = %d, want 303", st)
		}
		if n := len(signatureRows(t, env, p.ID)); n != 2 {
			t.Errorf("%d signatures stored, want 2", n)
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
