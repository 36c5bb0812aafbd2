package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"pressroom/app"
	"pressroom/models"
)

var (
	totpSecretOnPage   = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
	recoveryCodeOnPage = regexp.MustCompile(`<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code></li>`)
)

// totpCode is the code an authenticator app shows for secret at t.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enrol sets up TOTP for the browser's user through the account pages and
// returns the secret and the recovery codes shown.
func enrol(t *testing.T, env *testEnv, b *browser) (string, []string) {
	t.Helper()
	r := b.get("/admin/account/two-factor")
	m := totpSecretOnPage.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("enrolment page: %d %s", r.Status, r.Body)
	}
	secret := m[1]
	if qr := b.get("/admin/account/two-factor/qr.png"); qr.Status != http.StatusOK || qr.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(qr.Body, "\x89PNG") {
		t.Fatalf("QR code: %d %s", qr.Status, qr.Header.Get("Content-Type"))
	}
	// A wrong first code enrols nothing.
	r = b.post("/admin/account/two-factor", "/admin/account/two-factor/confirm", url.Values{"code": {"000000"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "is not the code your app shows") {
		t.Fatalf("wrong first code: %d", r.Status)
	}
	r = b.post("/admin/account/two-factor", "/admin/account/two-factor/confirm", url.Values{"code": {totpCode(t, secret, env.clock.Now())}})
	codes := recoveryCodeOnPage.FindAllStringSubmatch(r.Body, -1)
	if r.Status != http.StatusOK || len(codes) != models.RecoveryCodeCount {
		t.Fatalf("confirm: %d, %d recovery codes", r.Status, len(codes))
	}
	var out []string
	for _, c := range codes {
		out = append(out, c[1])
	}
	return secret, out
}

// signInWithCode posts email and password and, when asked for one, the code; it
// returns the last response.
func signInWithCode(t *testing.T, b *browser, email, code string) response {
	t.Helper()
	r := b.post("/login", "/login", url.Values{"email": {email}, "password": {testPassword}})
	if r.Status != http.StatusSeeOther || r.Location != "/login/code" {
		return r
	}
	return b.post("/login/code", "/login/code", url.Values{"code": {code}})
}

func auditCount(t *testing.T, env *testEnv, action, subjectID string) int64 {
	t.Helper()
	var n int64
	if err := env.db.Gorm.Model(&models.AuditEvent{}).Where("action = ? AND subject_id = ?", action, subjectID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTwoFactorEnrolAndSignIn(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		u := env.users[models.RolePressOfficer]
		other := env.login(models.RolePressOfficer) // another browser, to be signed out by enrolment
		b := env.login(models.RolePressOfficer)
		secret, _ := enrol(t, env, b)
		if auditCount(t, env, app.ActionTwoFactorEnrolled, u.ID) != 1 {
			t.Fatal("enrolment not audited")
		}
		if r := other.get("/admin"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
			t.Fatalf("enrolling a second factor left another session signed in: %d %s", r.Status, r.Location)
		}
		if r := b.get("/admin"); r.Status != http.StatusOK {
			t.Fatalf("the enrolling browser was signed out: %d", r.Status)
		}
		// The secret is never shown again, and is not stored in clear.
		if r := b.get("/admin/account/two-factor"); r.Status != http.StatusSeeOther {
			t.Fatalf("enrolment page after enrolling: %d", r.Status)
		}
		if r := b.get("/admin/account/two-factor/qr.png"); r.Status != http.StatusNotFound {
			t.Fatalf("QR code after enrolling: %d", r.Status)
		}
		if r := b.get("/admin/account"); strings.Contains(r.Body, secret) {
			t.Fatal("the account page shows the secret")
		}
		var f models.SecondFactor
		env.db.Gorm.First(&f, "user_id = ?", u.ID)
		if f.SecretEnc == "" || strings.Contains(f.SecretEnc, secret) {
			t.Fatalf("secret stored in clear: %q", f.SecretEnc)
		}

		// Sign out, then sign in: the password alone reaches nothing.
		b.post("/admin", "/logout", nil)
		r := b.post("/login", "/login", url.Values{"email": {u.Email}, "password": {testPassword}, "next": {"/admin/releases"}})
		if r.Status != http.StatusSeeOther || r.Location != "/login/code" {
			t.Fatalf("password step: %d %s", r.Status, r.Location)
		}
		for _, p := range []string{"/admin", "/admin/account", "/admin/releases"} {
			if r := b.get(p); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
				t.Fatalf("half-signed-in browser reached %s: %d", p, r.Status)
			}
		}
		// A wrong code is refused.
		r = b.post("/login/code", "/login/code", url.Values{"code": {"123456"}})
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "That code is not right") {
			t.Fatalf("wrong code: %d", r.Status)
		}
		if auditCount(t, env, app.ActionLoginCodeFailed, u.ID) != 1 {
			t.Fatal("wrong code not audited")
		}
		env.clock.Advance(30 * time.Second)
		code := totpCode(t, secret, env.clock.Now())
		r = b.post("/login/code", "/login/code", url.Values{"code": {code}})
		if r.Status != http.StatusSeeOther || r.Location != "/admin/releases" {
			t.Fatalf("right code: %d %s", r.Status, r.Location)
		}
		if r := b.get("/admin"); r.Status != http.StatusOK {
			t.Fatalf("signed in with password and code, /admin: %d", r.Status)
		}

		// The same code, replayed within its window, is refused.
		b2 := env.browser()
		if r := signInWithCode(t, b2, u.Email, code); r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "already used") {
			t.Fatalf("replayed code: %d", r.Status)
		}
		env.clock.Advance(30 * time.Second)
		if r := b2.post("/login/code", "/login/code", url.Values{"code": {totpCode(t, secret, env.clock.Now())}}); r.Status != http.StatusSeeOther {
			t.Fatalf("next code: %d", r.Status)
		}
		// The challenge cookie is spent: it cannot start a second session.
		if r := b2.get("/login/code"); r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "Sign in with your password first") {
			t.Fatalf("spent challenge: %d %s", r.Status, r.Location)
		}
	})
}

func TestTwoFactorCodesAreRateLimited(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		u := env.users[models.RoleViewer]
		secret, _ := enrol(t, env, env.login(models.RoleViewer))
		env.clock.Advance(time.Minute)
		// The limit is per account: wrong codes from several browsers add up.
		for i := range app.CodeFailuresPerAccount {
			b := env.browser()
			if r := signInWithCode(t, b, u.Email, "99999"+string(rune('0'+i))); r.Status != http.StatusUnauthorized {
				t.Fatalf("wrong code %d: %d", i+1, r.Status)
			}
		}
		b := env.browser()
		r := signInWithCode(t, b, u.Email, totpCode(t, secret, env.clock.Now()))
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, "Too many wrong codes") {
			t.Fatalf("after %d wrong codes, the right one: %d", app.CodeFailuresPerAccount, r.Status)
		}
		env.clock.Advance(app.CodeFailureWindow)
		if r := signInWithCode(t, env.browser(), u.Email, totpCode(t, secret, env.clock.Now())); r.Status != http.StatusSeeOther {
			t.Fatalf("after the window: %d %s", r.Status, r.Body)
		}
	})
}

func TestRecoveryCodeWorksOnce(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		u := env.users[models.RoleCampaigner]
		_, codes := enrol(t, env, env.login(models.RoleCampaigner))
		b := env.browser()
		if r := signInWithCode(t, b, u.Email, strings.ToUpper(codes[3])); r.Status != http.StatusSeeOther || r.Location != "/admin" {
			t.Fatalf("recovery code: %d %s", r.Status, r.Location)
		}
		if r := b.get("/admin"); r.Status != http.StatusOK || !strings.Contains(r.Body, "You have 9 left") {
			t.Fatalf("after a recovery code: %d", r.Status)
		}
		if auditCount(t, env, app.ActionRecoveryCodeUsed, u.ID) != 1 {
			t.Fatal("recovery code use not audited")
		}
		if r := signInWithCode(t, env.browser(), u.Email, codes[3]); r.Status != http.StatusUnauthorized {
			t.Fatalf("recovery code used twice: %d", r.Status)
		}
		// Another user's code is no code for this account.
		_, theirs := enrol(t, env, env.login(models.RoleViewer))
		if r := signInWithCode(t, env.browser(), u.Email, theirs[0]); r.Status != http.StatusUnauthorized {
			t.Fatalf("someone else's recovery code: %d", r.Status)
		}
	})
}

func TestForcedEnrolmentBlocksEveryPage(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		admin := env.login(models.RoleAdmin)
		if r := admin.post("/admin/settings", "/admin/settings/two-factor", url.Values{"two_factor_required": {"sometimes"}}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad setting: %d", r.Status)
		}
		if r := env.login(models.RoleViewer).post("/admin/settings", "/admin/settings/two-factor", url.Values{"two_factor_required": {models.TwoFactorOptional}}); r.Status != http.StatusForbidden {
			t.Fatalf("a viewer changed the setting: %d", r.Status)
		}
		if r := admin.post("/admin/settings", "/admin/settings/two-factor", url.Values{"two_factor_required": {models.TwoFactorPrivileged}}); r.Status != http.StatusSeeOther {
			t.Fatalf("setting: %d", r.Status)
		}
		if auditCount(t, env, app.ActionSettingsChanged, models.SettingTwoFactorRequired) != 1 {
			t.Fatal("setting change not audited")
		}
		// Every admin page sends the admin (and an approver) to enrol, however
		// they arrive; a press officer is not covered.
		approver := env.login(models.RoleApprover)
		for _, rt := range env.server.RouteTable() {
			if rt.Method != http.MethodGet || rt.API || rt.Access.IsPublic() || strings.Contains(rt.Path, ":") || strings.Contains(rt.Path, "*") {
				continue
			}
			want := "/admin/account/two-factor"
			if strings.HasPrefix(rt.Path, want) {
				continue
			}
			for _, b := range []*browser{admin, approver} {
				if r := b.get(rt.Path); r.Status != http.StatusSeeOther || r.Location != want {
					t.Fatalf("%s before enrolling: %d %s", rt.Path, r.Status, r.Location)
				}
			}
		}
		if r := admin.post("/admin/account/two-factor", "/admin/users", url.Values{"email": {"x@example.org"}}); r.Status != http.StatusSeeOther || r.Location != "/admin/account/two-factor" {
			t.Fatalf("a POST before enrolling: %d %s", r.Status, r.Location)
		}
		if r := env.login(models.RolePressOfficer).get("/admin"); r.Status != http.StatusOK {
			t.Fatalf("press officer with 'admins and approvers': %d", r.Status)
		}
		// Signing in afresh does not skip it either.
		fresh := env.login(models.RoleAdmin)
		if r := fresh.get("/admin/releases"); r.Location != "/admin/account/two-factor" {
			t.Fatalf("fresh sign-in: %d %s", r.Status, r.Location)
		}
		if r := fresh.get("/admin/account/two-factor"); r.Status != http.StatusOK || !strings.Contains(r.Body, "requires two-factor sign-in") {
			t.Fatalf("enrolment page: %d", r.Status)
		}
		enrol(t, env, fresh)
		if r := fresh.get("/admin/releases"); r.Status != http.StatusOK {
			t.Fatalf("after enrolling: %d", r.Status)
		}
		// "Everyone" covers the press officer too.
		models.SetTwoFactorRequirement(context.Background(), env.db.Gorm, models.TwoFactorEveryone, env.users[models.RoleAdmin].ID, env.clock.Now())
		if r := env.login(models.RolePressOfficer).get("/admin"); r.Location != "/admin/account/two-factor" {
			t.Fatalf("press officer with 'everyone': %d %s", r.Status, r.Location)
		}
	})
}

func TestAdminResetsSecondFactor(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		u := env.users[models.RolePressOfficer]
		b := env.login(models.RolePressOfficer)
		enrol(t, env, b)
		if r := env.login(models.RoleViewer).post("/admin", "/admin/users/"+u.ID+"/two-factor/reset", nil); r.Status != http.StatusForbidden {
			t.Fatalf("a viewer reset a second factor: %d", r.Status)
		}
		admin := env.login(models.RoleAdmin)
		if r := admin.post("/admin/users/"+u.ID, "/admin/users/"+u.ID+"/two-factor/reset", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("reset: %d", r.Status)
		}
		if auditCount(t, env, app.ActionTwoFactorReset, u.ID) != 1 {
			t.Fatal("reset not audited")
		}
		if r := b.get("/admin"); r.Status != http.StatusSeeOther {
			t.Fatalf("the user's session survived the reset: %d", r.Status)
		}
		ms := waitOutbox(t, env, u.Email, 1)
		if !strings.Contains(ms[0].Subject, "two-factor sign-in was reset") || !strings.Contains(ms[0].TextBody, "Test Admin (an admin) reset") {
			t.Fatalf("reset mail: %q %q", ms[0].Subject, ms[0].TextBody)
		}
		if r := signInWithCode(t, env.browser(), u.Email, ""); r.Status != http.StatusSeeOther || r.Location != "/admin" {
			t.Fatalf("password-only sign-in after reset: %d %s", r.Status, r.Location)
		}
	})
}

func TestRemovingSecondFactorNeedsACode(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		u := env.users[models.RoleViewer]
		b := env.login(models.RoleViewer)
		secret, _ := enrol(t, env, b)
		if r := b.post("/admin/account", "/admin/account/two-factor/remove", url.Values{"code": {"000000"}}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("remove with a wrong code: %d", r.Status)
		}
		env.clock.Advance(30 * time.Second)
		if r := b.post("/admin/account", "/admin/account/two-factor/remove", url.Values{"code": {totpCode(t, secret, env.clock.Now())}}); r.Status != http.StatusSeeOther {
			t.Fatalf("remove: %d", r.Status)
		}
		if has, _ := models.HasSecondFactor(context.Background(), env.db.Gorm, u.ID); has || auditCount(t, env, app.ActionTwoFactorRemoved, u.ID) != 1 {
			t.Fatal("second factor not removed, or not audited")
		}
	})
}
