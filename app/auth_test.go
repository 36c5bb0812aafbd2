package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"pressroom/app"
	"pressroom/models"
)

func TestLoginLogoutAndRevocation(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		b := env.browser()
		// Wrong password: 401, the form again, no session.
		r := b.post("/login", "/login", url.Values{"email": {"press_officer@example.org"}, "password": {"wrong password!"}})
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "do not match an active account") {
			t.Fatalf("wrong password: %d", r.Status)
		}
		if r := b.get("/admin"); r.Status != http.StatusSeeOther {
			t.Fatalf("after failed login /admin = %d, want redirect", r.Status)
		}

		b = env.login(models.RolePressOfficer)
		r = b.get("/admin")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "Test Press officer") {
			t.Fatalf("dashboard after login: %d", r.Status)
		}
		// The session cookie is HttpOnly and SameSite.
		var sessions []models.Session
		env.db.Gorm.Find(&sessions)
		if len(sessions) != 1 {
			t.Fatalf("sessions stored = %d, want 1", len(sessions))
		}

		// Revocation from another browser (the account page) ends the first.
		other := env.login(models.RolePressOfficer)
		r = other.get("/admin/account")
		var firstID string
		env.db.Gorm.Model(&models.Session{}).Order("created_at").Limit(1).Pluck("id", &firstID)
		env.db.Gorm.Model(&models.Session{}).Where("id <> ?", firstID).Update("created_at", env.clock.Now().Add(time.Second))
		r = other.post("/admin/account", "/admin/account/sessions/"+firstID+"/revoke", nil)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		if r := b.get("/admin"); r.Status != http.StatusSeeOther {
			t.Fatalf("revoked session still works: %d", r.Status)
		}

		// Logout ends the session server-side: replaying the old cookie fails.
		cookies := other.client.Jar.Cookies(mustURL(env.http.URL))
		r = other.post("/admin", "/logout", nil)
		if r.Status != http.StatusSeeOther || r.Location != "/login" {
			t.Fatalf("logout: %d %s", r.Status, r.Location)
		}
		replay := env.browser()
		replay.client.Jar.SetCookies(mustURL(env.http.URL), cookies)
		if r := replay.get("/admin"); r.Status != http.StatusSeeOther {
			t.Fatalf("cookie replayed after logout: %d", r.Status)
		}

		// Both logins and the logout are in the audit log.
		var n int64
		env.db.Gorm.Model(&models.AuditEvent{}).Where("action IN ?", []string{"login", "logout", "login_failed"}).Count(&n)
		if n != 4 {
			t.Fatalf("audit events for login/logout = %d, want 4", n)
		}
	})
}

func TestLoginSessionIsRotated(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		b := env.login(models.RoleViewer)
		before := b.client.Jar.Cookies(mustURL(env.http.URL))
		r := b.post("/admin", "/login", url.Values{"email": {"viewer@example.org"}, "password": {testPassword}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("second login: %d", r.Status)
		}
		after := b.client.Jar.Cookies(mustURL(env.http.URL))
		if cookie(before, "pressroom_session") == cookie(after, "pressroom_session") {
			t.Fatal("session cookie not rotated at login")
		}
		var active int64
		env.db.Gorm.Model(&models.Session{}).Where("revoked_at IS NULL").Count(&active)
		if active != 1 {
			t.Fatalf("active sessions after re-login = %d, want 1 (old one revoked)", active)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		b := env.browser()
		var last response
		for i := 0; i <= app.LoginFailuresPerPair; i++ {
			last = b.post("/login", "/login", url.Values{"email": {"admin@example.org"}, "password": {"guess number " + string(rune('a'+i))}})
		}
		if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
			t.Fatalf("attempt %d: %d (Retry-After %q), want 429", app.LoginFailuresPerPair+1, last.Status, last.Header.Get("Retry-After"))
		}
		// Even the right password is refused until the window passes.
		r := b.post("/login", "/login", url.Values{"email": {"admin@example.org"}, "password": {testPassword}})
		if r.Status != http.StatusTooManyRequests {
			t.Fatalf("right password while limited: %d", r.Status)
		}
		env.clock.Advance(app.LoginPairWindow + time.Minute)
		r = b.post("/login", "/login", url.Values{"email": {"admin@example.org"}, "password": {testPassword}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("after the window: %d", r.Status)
		}
	})
}

func TestCSRFRequired(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		b := env.login(models.RoleAdmin)
		// No token at all.
		r := b.do(http.MethodPost, "/admin/groups", url.Values{"name": {"Sneaky"}}, nil)
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "form has expired") {
			t.Fatalf("POST without CSRF token: %d", r.Status)
		}
		// A token from another browser's session.
		stranger := env.browser().csrf("/login")
		r = b.do(http.MethodPost, "/admin/groups", url.Values{"name": {"Sneaky"}, "csrf_token": {stranger}}, nil)
		if r.Status != http.StatusForbidden {
			t.Fatalf("POST with a foreign token: %d", r.Status)
		}
		// A cross-site Origin.
		tok := b.csrf("/admin/groups")
		r = b.do(http.MethodPost, "/admin/groups", url.Values{"name": {"Sneaky"}, "csrf_token": {tok}}, map[string]string{"Origin": "https://evil.example"})
		if r.Status != http.StatusForbidden {
			t.Fatalf("POST from another origin: %d", r.Status)
		}
		if _, err := models.GroupByName(context.Background(), env.db.Gorm, "Sneaky"); err == nil {
			t.Fatal("a refused form still created the group")
		}
		// The same form with its token works.
		r = b.post("/admin/groups", "/admin/groups", url.Values{"name": {"Comms"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("POST with token: %d %s", r.Status, r.Body)
		}
	})
}

func TestAPITokenAuth(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		tok := env.token(models.RoleApprover)
		r := env.api(http.MethodGet, "/api/v1/me", tok, "")
		if r.Status != http.StatusOK {
			t.Fatalf("/me: %d %s", r.Status, r.Body)
		}
		var me struct {
			ID, Email, Name, Role string
			Groups                []string
		}
		if err := json.Unmarshal([]byte(r.Body), &me); err != nil {
			t.Fatal(err)
		}
		if me.ID != env.users[models.RoleApprover].ID || me.Role != "approver" || len(me.Groups) != 1 || me.Groups[0] != "Press desk" {
			t.Fatalf("/me = %+v", me)
		}
		for name, token := range map[string]string{"none": "", "garbage": "nonsense", "unknown": models.TokenPrefix + "abcdefabcdefabcdef"} {
			r := env.api(http.MethodGet, "/api/v1/me", token, "")
			if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, `"code":"unauthorized"`) {
				t.Errorf("%s token: %d %s", name, r.Status, r.Body)
			}
		}
		// Tokens are stored hashed, and a revoked token stops working.
		var stored models.APIToken
		env.db.Gorm.First(&stored, "user_id = ?", env.users[models.RoleApprover].ID)
		if stored.TokenHash == tok || strings.Contains(stored.TokenHash, tok[len(models.TokenPrefix):]) {
			t.Fatal("token stored in clear")
		}
		if err := models.RevokeAPIToken(context.Background(), env.db.Gorm, stored.UserID, stored.ID, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if r := env.api(http.MethodGet, "/api/v1/me", tok, ""); r.Status != http.StatusUnauthorized {
			t.Fatalf("revoked token: %d", r.Status)
		}
		// Unknown API paths answer JSON.
		if r := env.api(http.MethodGet, "/api/v1/nothing-here", "", ""); r.Status != http.StatusNotFound || !strings.Contains(r.Body, `"not_found"`) {
			t.Fatalf("unknown API path: %d %s", r.Status, r.Body)
		}
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func cookie(cs []*http.Cookie, name string) string {
	for _, c := range cs {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// TestLoginNextStaysOnSite: the page to return to after sign-in, from the query
// (already signed in) or the form, never leads off the site.
func TestLoginNextStaysOnSite(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		nasty := []string{"/%09/evil.example", "//evil.example", "/%5Cevil.example", "https://evil.example", "javascript:alert(1)", "/%0A/evil.example", "/%5C/evil.example"}
		b := env.login(models.RoleApprover)
		for _, next := range nasty {
			r := b.get("/login?next=" + next)
			if r.Status != http.StatusSeeOther || r.Location != "/admin" {
				t.Errorf("signed in, GET /login?next=%s: %d to %q, want 303 to /admin", next, r.Status, r.Location)
			}
		}
		if r := b.get("/login?next=%2Fadmin%2Freleases%3Fstatus%3Ddraft"); r.Location != "/admin/releases?status=draft" {
			t.Errorf("a page on the site is not returned to: %q", r.Location)
		}
		for _, next := range append(nasty, "/\t/evil.example", "/\\evil.example") {
			if strings.Contains(next, "%") {
				next, _ = url.PathUnescape(next)
			}
			r := env.browser().post("/login", "/login", url.Values{"email": {"viewer@example.org"}, "password": {testPassword}, "next": {next}})
			if r.Status != http.StatusSeeOther || r.Location != "/admin" {
				t.Errorf("POST /login with next %q: %d to %q, want 303 to /admin", next, r.Status, r.Location)
			}
		}
	})
}
