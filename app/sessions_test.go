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

const (
	firefoxLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	safariIPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

// loginWithUA signs a new browser in as email, sending userAgent on every
// request of the sign-in.
func (e *testEnv) loginWithUA(email, userAgent string) *browser {
	e.t.Helper()
	b := e.browser()
	b.client.Transport = uaTransport(userAgent)
	r := b.post("/login", "/login", url.Values{"email": {email}, "password": {testPassword}})
	if r.Status != http.StatusSeeOther {
		e.t.Fatalf("login as %s: %d", email, r.Status)
	}
	return b
}

type uaTransport string

func (ua uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", string(ua))
	return http.DefaultTransport.RoundTrip(r)
}

func TestSessionsExpireAtIdleAndAbsoluteLimits(t *testing.T) {
	run(t, envOptions{env: map[string]string{"SESSION_IDLE_TIMEOUT": "1h", "SESSION_MAX_AGE": "3h"}}, func(t *testing.T, env *testEnv) {
		signedIn := func(b *browser) bool {
			r := b.get("/admin")
			return r.Status == http.StatusOK
		}
		// Idle: used every 50 minutes it lives; left alone for an hour it ends.
		idle := env.login(models.RoleViewer)
		busy := env.login(models.RoleCampaigner)
		for range 3 {
			env.clock.Advance(50 * time.Minute)
			if !signedIn(busy) {
				t.Fatalf("a session used every 50 minutes ended before its maximum age")
			}
		}
		if signedIn(idle) {
			t.Fatal("a session unused for 2.5 h (idle limit 1 h) still works")
		}
		// Absolute: however busy, it ends 3 h after sign-in.
		env.clock.Advance(29 * time.Minute) // 2 h 59 min after sign-in
		if !signedIn(busy) {
			t.Fatal("busy session ended before its maximum age")
		}
		env.clock.Advance(time.Minute)
		if r := busy.get("/admin"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
			t.Fatalf("a session 3 h old (maximum 3 h) still works: %d", r.Status)
		}
	})
}

func TestSessionLifetimeConfig(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		if env.cfg.Sessions.Idle != 8*time.Hour || env.cfg.Sessions.MaxAge != 7*24*time.Hour {
			t.Fatalf("default lifetimes: %+v", env.cfg.Sessions)
		}
	})
	for vars, want := range map[[2]string]string{
		{"soon", ""}:  `SESSION_IDLE_TIMEOUT must be a duration of at least a minute, such as 8h, 90m or 7d (got "soon")`,
		{"", "10s"}:   `SESSION_MAX_AGE must be a duration`,
		{"9h", "8h"}:  "SESSION_IDLE_TIMEOUT (9h0m0s) is longer than SESSION_MAX_AGE (8h0m0s)",
		{"30m", "2d"}: "",
	} {
		cfg, err := app.LoadConfig(func(k string) string {
			return map[string]string{"SESSION_IDLE_TIMEOUT": vars[0], "SESSION_MAX_AGE": vars[1]}[k]
		}, app.ModeDev)
		switch {
		case want == "" && (err != nil || cfg.Sessions.Idle != 30*time.Minute || cfg.Sessions.MaxAge != 48*time.Hour):
			t.Errorf("%v: %v %+v", vars, err, cfg)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%v: error %v, want %q", vars, err, want)
		}
	}
}

func TestSignOutEverywhereElse(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		u := env.users[models.RoleCampaigner]
		phone := env.loginWithUA(u.Email, safariIPhone)
		laptop := env.loginWithUA(u.Email, firefoxLinux)
		page := laptop.get("/admin/account")
		if !strings.Contains(page.Body, "Safari on iPhone") || !strings.Contains(page.Body, "Firefox on Linux") || !strings.Contains(page.Body, "127.0.0.1") {
			t.Fatalf("sessions list lacks devices or address: %s", page.Body)
		}
		if r := laptop.post("/admin/account", "/admin/account/sessions/revoke-others", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("sign out everywhere else: %d", r.Status)
		}
		if r := phone.get("/admin"); r.Status != http.StatusSeeOther {
			t.Fatalf("the other session survived: %d", r.Status)
		}
		if r := laptop.get("/admin"); r.Status != http.StatusOK {
			t.Fatalf("this session ended too: %d", r.Status)
		}
		if auditCount(t, env, "sessions_revoked_others", u.ID) != 1 {
			t.Fatal("not audited")
		}
	})
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		other := env.login(models.RoleViewer)
		b := env.login(models.RoleViewer)
		r := b.post("/admin/account", "/admin/account/password", url.Values{"current_password": {testPassword},
			"new_password": {"plum orchard thunder 42"}, "confirm_password": {"plum orchard thunder 42"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("change password: %d %s", r.Status, r.Body)
		}
		if r := other.get("/admin"); r.Status != http.StatusSeeOther {
			t.Fatalf("other session survived a password change: %d", r.Status)
		}
		if r := b.get("/admin"); r.Status != http.StatusOK {
			t.Fatalf("the changing session ended: %d", r.Status)
		}
	})
}

func TestNewDeviceSignInEmailsTheUser(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		u := env.users[models.RolePressOfficer]
		env.loginWithUA(u.Email, firefoxLinux)       // the first sign-in ever: nothing to compare with
		env.loginWithUA(u.Email, firefoxLinux)       // the same device again
		env.loginWithUA(u.Email, safariIPhone+"<b>") // a new one
		ms := waitOutbox(t, env, u.Email, 1)
		time.Sleep(500 * time.Millisecond) // let any further mail arrive
		ms = waitOutbox(t, env, u.Email, 1)
		if len(ms) != 1 {
			t.Fatalf("%d new-device mails, want 1 (for the iPhone only)", len(ms))
		}
		m := ms[0]
		if m.Subject != "New sign-in to your Pressroom account" || !strings.Contains(m.TextBody, "Safari on iPhone") || !strings.Contains(m.TextBody, "127.0.0.1") {
			t.Fatalf("new-device mail: %q %q", m.Subject, m.TextBody)
		}
		if strings.Contains(m.HTML, "<b>") {
			t.Fatal("the mail's HTML carries markup from the User-Agent")
		}
	})
}
