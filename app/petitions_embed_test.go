package app_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

var embedTokenField = regexp.MustCompile(`name="embed_token" value="([^"]+)"`)

// TestPetitionEmbedFraming: the widget is the one route that may be framed,
// by this site and PUBLIC_ALLOWED_ORIGINS only, and sets no cookie; every
// other route, public or staff, keeps frame-ancestors 'none' and DENY.
func TestPetitionEmbedFraming(t *testing.T) {
	run(t, envOptions{env: map[string]string{"PUBLIC_ALLOWED_ORIGINS": "https://www.example.org, https://act.example.org"}}, func(t *testing.T, env *testEnv) {
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Framed","target":"T","demand":"Do it now.","goal":50}`)
		anon := env.browser()
		r := anon.get("/p/" + p.Slug + "/embed")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `action="/p/`+p.Slug+`/embed"`) || !strings.Contains(r.Body, "<strong>Do it now.</strong>") ||
			!embedTokenField.MatchString(r.Body) || strings.Contains(r.Body, "csrf_token") {
			t.Fatalf("embed = %d %s", r.Status, r.Body)
		}
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'self' https://www.example.org https://act.example.org") || strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("embed CSP %q", csp)
		}
		if xfo := r.Header.Get("X-Frame-Options"); xfo != "" {
			t.Errorf("embed X-Frame-Options %q", xfo)
		}
		if ck := r.Header.Values("Set-Cookie"); len(ck) != 0 {
			t.Errorf("embed sets cookies %v", ck)
		}
		camp := env.login(models.RoleCampaigner)
		for name, resp := range map[string]response{
			"petition page": anon.get("/p/" + p.Slug), "count": anon.get("/p/" + p.Slug + "/count.json"), "newsroom": anon.get("/news"),
			"admin page": camp.get("/admin/petitions/" + p.ID), "missing embed": anon.get("/p/no-such/embed/x"),
		} {
			if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || resp.Header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s (%d) is framable: CSP %q, X-Frame-Options %q", name, resp.Status, resp.Header.Get("Content-Security-Policy"), resp.Header.Get("X-Frame-Options"))
			}
		}
	})
}

// TestPetitionEmbedSigning: the widget's form signs without the CSRF cookie
// (a cross-site frame never has it) when it comes from this site or an
// allowed origin with a fresh signed token; a post from any other origin, with
// a forged or expired token, stores nothing. The page's own form still needs
// its CSRF token.
func TestPetitionEmbedSigning(t *testing.T) {
	run(t, envOptions{work: true, env: map[string]string{"PUBLIC_ALLOWED_ORIGINS": "https://www.example.org"}}, func(t *testing.T, env *testEnv) {
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Widget","target":"T","demand":"D."}`)
		embed := "/p/" + p.Slug + "/embed"
		own := strings.TrimRight(env.cfg.BaseURL.String(), "/")
		token := func() string {
			m := embedTokenField.FindStringSubmatch(env.browser().get(embed).Body)
			if m == nil {
				t.Fatal("no embed token")
			}
			return html.UnescapeString(m[1])
		}
		post := func(form url.Values, header map[string]string) response {
			return env.browser().do(http.MethodPost, embed, form, header) // a fresh client: no cookie at all
		}
		form := func(email, tok string) url.Values {
			return url.Values{"name": {"Framed Signer"}, "email": {email}, "country": {"GB"}, "embed_token": {tok}, "source": {"embed"}}
		}

		r := post(form("framed@example.org", token()), map[string]string{"Origin": own})
		if r.Status != http.StatusSeeOther || r.Location != embed+"/thanks" {
			t.Fatalf("embed sign = %d %q %s", r.Status, r.Location, r.Body)
		}
		if m := waitOutbox(t, env, "framed@example.org", 1)[0]; !strings.HasPrefix(m.Subject, "Please confirm your signature") {
			t.Errorf("subject %q", m.Subject)
		}
		if th := env.browser().get(embed + "/thanks"); th.Status != http.StatusOK || !strings.Contains(th.Body, "Check your email") || th.Header.Get("X-Frame-Options") != "" {
			t.Errorf("thanks = %d", th.Status)
		}
		// No Origin, a Referer from an allowed site: accepted too.
		if r := post(form("referred@example.org", token()), map[string]string{"Referer": "https://www.example.org/campaigns/widget"}); r.Status != http.StatusSeeOther {
			t.Errorf("allowed referer = %d", r.Status)
		}

		refused := map[string]struct {
			form   url.Values
			header map[string]string
			want   int
		}{
			"foreign origin":  {form("evil1@example.org", token()), map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
			"foreign referer": {form("evil2@example.org", token()), map[string]string{"Referer": "https://evil.example/page"}, http.StatusForbidden},
			"no origin":       {form("evil3@example.org", token()), nil, http.StatusForbidden},
			"null origin":     {form("evil4@example.org", token()), map[string]string{"Origin": "null"}, http.StatusForbidden},
			"forged token":    {form("evil5@example.org", "1783591200.bm90IGEgbWFj"), map[string]string{"Origin": own}, http.StatusForbidden},
			"no token":        {form("evil6@example.org", ""), map[string]string{"Origin": own}, http.StatusForbidden},
		}
		for name, c := range refused {
			if r := post(c.form, c.header); r.Status != c.want {
				t.Errorf("%s = %d, want %d", name, r.Status, c.want)
			}
		}
		// An expired form is shown again with what was typed and a fresh token.
		old := token()
		env.clock.Advance(13 * time.Hour)
		r = post(form("late@example.org", old), map[string]string{"Origin": own})
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, `value="late@example.org"`) || !strings.Contains(r.Body, "open for too long") || !embedTokenField.MatchString(r.Body) {
			t.Errorf("expired token = %d %s", r.Status, r.Body)
		}
		// The page's own form takes no widget token, and refuses a post from a
		// foreign site as the widget does (TestPetitionFormCrossOrigin).
		if r := env.browser().do(http.MethodPost, "/p/"+p.Slug, form("main@example.org", ""), map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}); r.Status != http.StatusForbidden {
			t.Errorf("page form from a foreign site = %d", r.Status)
		}
		got := map[string]bool{}
		for _, s := range signatureRows(t, env, p.ID) {
			got[s.Address()] = true
			if s.Source != "embed" {
				t.Errorf("%s: source %q", s.Address(), s.Source)
			}
		}
		if len(got) != 2 || !got["framed@example.org"] || !got["referred@example.org"] {
			t.Errorf("stored %v, want only the two accepted posts", got)
		}
	})
}

// TestPetitionEmbedSnippet: the petition's admin page offers the copy-paste
// iframe of its widget.
func TestPetitionEmbedSnippet(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Snip & share","target":"T","demand":"D."}`)
		r := env.login(models.RoleCampaigner).get("/admin/petitions/" + p.ID)
		want := `<iframe src="` + env.cfg.URL("/p/"+p.Slug+"/embed") + `" title="Sign the petition: Snip &amp; share"`
		body := html.UnescapeString(r.Body)
		if r.Status != http.StatusOK || !strings.Contains(body, want) || !strings.Contains(body, `loading="lazy"></iframe>`) {
			t.Fatalf("admin page = %d, no snippet %q in %s", r.Status, want, r.Body)
		}
	})
}
