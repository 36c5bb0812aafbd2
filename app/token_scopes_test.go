package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"pressroom/app"
	"pressroom/models"
)

func (e *testEnv) scopedToken(role models.Role, scopes string, ttl time.Duration) (*models.APIToken, string) {
	e.t.Helper()
	t, secret, err := models.IssueAPIToken(context.Background(), e.db.Gorm, models.NewTokenInput{UserID: e.users[role].ID, Name: scopes, Scopes: scopes, TTL: ttl, Now: e.clock.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	return t, secret
}

// TestTokenScopesTable walks every staff API route: each is in an area of the
// one table (APIArea), a read token gets 403 on every change, and a token
// limited to an area gets 403 outside it and passes its scopes inside it.
func TestTokenScopesTable(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		_, read := env.scopedToken(models.RoleAdmin, "read", 0)
		limited := map[string]string{}
		for _, a := range models.TokenAreas {
			_, limited[a] = env.scopedToken(models.RoleAdmin, "write "+a, 0)
		}
		scopeRefusal := func(r response) bool {
			return r.Status == http.StatusForbidden && strings.Contains(r.Body, "this token")
		}
		for _, rt := range env.server.RouteTable() {
			if !rt.API || rt.Access.IsPublic() {
				continue
			}
			area := app.APIArea(rt.Path)
			if area == "unmapped" {
				t.Errorf("%s %s is in no token area: add its prefix to apiAreas", rt.Method, rt.Path)
				continue
			}
			path := concretePath(rt.Path)
			write := rt.Method != http.MethodGet
			if r := env.api(rt.Method, path, read, "{}"); scopeRefusal(r) != write {
				t.Errorf("%s %s with a read token = %d %s", rt.Method, rt.Path, r.Status, r.Body)
			}
			for a, tok := range limited {
				inside := area == "" || area == a
				if r := env.api(rt.Method, path, tok, "{}"); scopeRefusal(r) == inside {
					t.Errorf("%s %s (area %q) with a %s token = %d %s", rt.Method, rt.Path, area, a, r.Status, r.Body)
				}
			}
		}
	})
}

func TestTokenScopesExpiryAndRevocation(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		body := `{"kind":"press_release","headline":"Scoped","body":"Text."}`
		countDocs := func() int64 {
			var n int64
			env.db.Gorm.Model(&models.Document{}).Count(&n)
			return n
		}
		_, read := env.scopedToken(models.RolePressOfficer, "read", 0)
		if r := env.api(http.MethodGet, "/api/v1/releases", read, ""); r.Status != http.StatusOK {
			t.Fatalf("read token reading: %d", r.Status)
		}
		before := countDocs()
		if r := env.api(http.MethodPost, "/api/v1/releases", read, body); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "read-only") {
			t.Fatalf("read token writing: %d %s", r.Status, r.Body)
		}
		if countDocs() != before {
			t.Fatal("a read token's refused write stored a release")
		}
		_, sendsOnly := env.scopedToken(models.RolePressOfficer, "write,sends", 0)
		if r := env.api(http.MethodPost, "/api/v1/releases", sendsOnly, body); r.Status != http.StatusForbidden {
			t.Fatalf("sends token creating a release: %d", r.Status)
		}
		_, releases := env.scopedToken(models.RolePressOfficer, "write releases", 0)
		if r := env.api(http.MethodPost, "/api/v1/releases", releases, body); r.Status != http.StatusCreated {
			t.Fatalf("releases token creating a release: %d %s", r.Status, r.Body)
		}
		if r := env.api(http.MethodGet, "/api/v1/me", sendsOnly, ""); r.Status != http.StatusOK {
			t.Fatalf("/me with an area-limited token: %d", r.Status)
		}

		// Expiry by the injected clock.
		_, expiring := env.scopedToken(models.RolePressOfficer, "write", time.Hour)
		if r := env.api(http.MethodGet, "/api/v1/me", expiring, ""); r.Status != http.StatusOK {
			t.Fatalf("token before expiry: %d", r.Status)
		}
		env.clock.Advance(time.Hour)
		if r := env.api(http.MethodGet, "/api/v1/me", expiring, ""); r.Status != http.StatusUnauthorized {
			t.Fatalf("expired token: %d", r.Status)
		}

		// Revoked from the account page: 401 at once.
		b := env.login(models.RolePressOfficer)
		r := b.post("/admin/account", "/admin/account/tokens", url.Values{"name": {"mine"}, "scope": {"write"}, "area": {"releases"}, "expires": {"30d"}})
		secret := regexp1(t, `id="new-token">(prs_[^<]+)<`, r.Body)
		if r.Status != http.StatusCreated || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("create own token: %d %q", r.Status, r.Header.Get("Cache-Control"))
		}
		if r := env.api(http.MethodGet, "/api/v1/releases", secret, ""); r.Status != http.StatusOK {
			t.Fatalf("own token: %d", r.Status)
		}
		var tok models.APIToken
		env.db.Gorm.First(&tok, "token_hash = ?", models.HashSecret(secret))
		if tok.Scopes != "write releases" || tok.ExpiresAt == nil || tok.LastUsedIP != "127.0.0.1" {
			t.Fatalf("own token stored as %+v", tok)
		}
		page := b.get("/admin/account")
		if strings.Contains(page.Body, secret) || !strings.Contains(page.Body, "write releases") || !strings.Contains(page.Body, "from 127.0.0.1") {
			t.Fatal("the account page shows the secret again, or not the scopes and last use")
		}
		if r := b.post("/admin/account", "/admin/account/tokens", url.Values{"scope": {"write"}, "expires": {"tomorrow"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "is not a duration") {
			t.Fatalf("bad expiry: %d", r.Status)
		}
		if r := b.post("/admin/account", "/admin/account/tokens/"+tok.ID+"/revoke", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("revoke: %d", r.Status)
		}
		if r := env.api(http.MethodGet, "/api/v1/me", secret, ""); r.Status != http.StatusUnauthorized {
			t.Fatalf("revoked token: %d", r.Status)
		}

		// Admins list everyone's tokens and revoke any; others cannot.
		other, otherSecret := env.scopedToken(models.RoleCampaigner, "read", 0)
		admin := env.login(models.RoleAdmin)
		if list := admin.get("/admin/tokens"); !strings.Contains(list.Body, other.Prefix) || !strings.Contains(list.Body, "Test Campaigner") {
			t.Fatal("the admin token list lacks another user's token")
		}
		if r := b.post("/admin/account", "/admin/account/tokens/"+other.ID+"/revoke", nil); r.Status == http.StatusSeeOther {
			t.Fatal("a press officer revoked someone else's token from their account page")
		}
		if r := admin.post("/admin/tokens", "/admin/tokens/"+other.ID+"/revoke", url.Values{"user_id": {other.UserID}}); r.Status != http.StatusSeeOther {
			t.Fatalf("admin revoke: %d", r.Status)
		}
		if r := env.api(http.MethodGet, "/api/v1/me", otherSecret, ""); r.Status != http.StatusUnauthorized {
			t.Fatalf("token revoked by an admin: %d", r.Status)
		}
		_ = ctx
	})
}

// TestRequestLogHasNoAuthorization checks that no request log line holds a
// bearer token, whatever the answer.
func TestRequestLogHasNoAuthorization(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		var logs bytes.Buffer
		s, err := app.New(app.Deps{Config: env.cfg, DB: env.db, Jobs: env.jobs, Clock: env.clock, Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s.Handler())
		defer ts.Close()
		_, read := env.scopedToken(models.RoleAdmin, "read", 0)
		good := env.token(models.RoleAdmin)
		for _, c := range []struct{ method, path, token string }{
			{http.MethodGet, "/api/v1/me", good},
			{http.MethodGet, "/api/v1/releases/nope", good},
			{http.MethodPost, "/api/v1/releases", read},
			{http.MethodGet, "/api/v1/me", "prs_not-a-real-token-at-all"},
			{http.MethodGet, "/api/v1/nowhere", good},
		} {
			req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader("{}"))
			req.Header.Set("Authorization", "Bearer "+c.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		out := logs.String()
		if !strings.Contains(out, `"route":"/api/v1/me"`) {
			t.Fatalf("the request log did not record the requests: %s", out)
		}
		for _, secret := range []string{good, read, "prs_not-a-real-token-at-all", "Bearer", "Authorization", "prs_"} {
			if strings.Contains(out, secret) {
				t.Fatalf("the request log holds %q:\n%s", secret, out)
			}
		}
	})
}

func regexp1(t *testing.T, pattern, s string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in the page", pattern)
	}
	return m[1]
}
