package app_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"pressroom/models"
)

// longPassword is 80 bytes: more than bcrypt reads.
var longPassword = strings.Repeat("a long passphrase ", 5)[:80]

// TestPasswordRulesOnEveryForm: too long and too guessable passwords are
// refused with a reason on the admin user form (new and edit) and the account
// page, and nothing is stored.
func TestPasswordRulesOnEveryForm(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		admin := env.login(models.RoleAdmin)
		newUser := func(password string) response {
			return admin.post("/admin/users/new", "/admin/users", url.Values{"email": {"nadia@example.org"}, "name": {"Nadia Newcomer"},
				"role": {"approver"}, "password": {password}})
		}
		for password, want := range map[string]string{
			longPassword:          "is too long: at most 72 bytes (80 here",
			"xxxxxxxxxxxx":        "is too easy to guess: repeated characters",
			"Password2026!":       "is too easy to guess: it is one of the most common passwords",
			"Nadia Newcomer 2026": "is too easy to guess: it is built on the account&#39;s name or email",
			models.DemoPassword:   "is too easy to guess: it is one of the most common passwords",
		} {
			r := newUser(password)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, want) {
				t.Errorf("new user with password %q: %d, want 422 saying %q", password, r.Status, want)
			}
		}
		if _, err := models.UserByEmail(context.Background(), env.db.Gorm, "nadia@example.org"); err == nil {
			t.Fatal("a refused form created the account")
		}

		viewer := env.users[models.RoleViewer]
		for _, password := range []string{longPassword, "xxxxxxxxxxxx"} {
			r := admin.post("/admin/users/"+viewer.ID, "/admin/users/"+viewer.ID, url.Values{"name": {viewer.Name}, "role": {"viewer"}, "password": {password}})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "too") {
				t.Errorf("admin sets password %q: %d, want 422", password, r.Status)
			}
		}

		b := env.login(models.RolePressOfficer)
		for password, want := range map[string]string{longPassword: "at most 72 bytes", "xxxxxxxxxxxx": "too easy to guess"} {
			r := b.post("/admin/account", "/admin/account/password", url.Values{"current_password": {testPassword}, "new_password": {password}, "confirm_password": {password}})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, want) {
				t.Errorf("account page, new password %q: %d, want 422 saying %q", password, r.Status, want)
			}
		}
		// Nothing changed: the old password still signs in.
		env.login(models.RolePressOfficer)
		env.login(models.RoleViewer)
	})
}

var givenPassword = regexp.MustCompile(`Their password is (\S+)`)

// TestStaffChooseTheirOwnPasswordAtFirstSignIn: an account an admin creates
// (or whose password an admin sets) must choose its own password before any
// admin page opens.
func TestStaffChooseTheirOwnPasswordAtFirstSignIn(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		admin := env.login(models.RoleAdmin)
		r := admin.post("/admin/users/new", "/admin/users", url.Values{"email": {"nadia@example.org"}, "name": {"Nadia Newcomer"}, "role": {"press_officer"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("create user: %d %s", r.Status, r.Body)
		}
		page := admin.get("/admin/users")
		m := givenPassword.FindStringSubmatch(html.UnescapeString(page.Body))
		if m == nil || !strings.Contains(page.Body, "choose their own at first sign-in") {
			t.Fatalf("the flash does not give the password and say it is temporary: %s", page.Body)
		}
		given := m[1]

		nadia := env.browser()
		r = nadia.post("/login", "/login", url.Values{"email": {"nadia@example.org"}, "password": {given}, "next": {"/admin/releases"}})
		if r.Status != http.StatusSeeOther || r.Location != "/admin/account/password" {
			t.Fatalf("first sign-in: %d to %q, want 303 to /admin/account/password", r.Status, r.Location)
		}
		for _, path := range []string{"/admin", "/admin/releases", "/admin/account"} {
			if r := nadia.get(path); r.Status != http.StatusSeeOther || r.Location != "/admin/account/password" {
				t.Errorf("GET %s before choosing a password: %d to %q, want 303 to /admin/account/password", path, r.Status, r.Location)
			}
		}
		if r := nadia.do(http.MethodGet, "/admin/releases", nil, map[string]string{"HX-Request": "true"}); r.Header.Get("HX-Redirect") != "/admin/account/password" {
			t.Errorf("htmx request before choosing a password: %d, HX-Redirect %q", r.Status, r.Header.Get("HX-Redirect"))
		}
		if r := nadia.post("/admin/account/password", "/admin/account/test-email", nil); r.Status != http.StatusSeeOther || r.Location != "/admin/account/password" {
			t.Errorf("POST before choosing a password: %d to %q", r.Status, r.Location)
		}
		r = nadia.get("/admin/account/password")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "Choose your own password") {
			t.Fatalf("change-password page: %d", r.Status)
		}
		change := func(current, next string) response {
			return nadia.post("/admin/account/password", "/admin/account/password", url.Values{"current_password": {current}, "new_password": {next}, "confirm_password": {next}})
		}
		if r := change(given, given); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "choose one of your own") {
			t.Errorf("keeping the given password: %d, want 422", r.Status)
		}
		if r := change(given, "xxxxxxxxxxxx"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Choose your own password") {
			t.Errorf("a weak password: %d, want 422 on the same page", r.Status)
		}
		r = change(given, "tangerine orbit lantern")
		if r.Status != http.StatusSeeOther || r.Location != "/admin" {
			t.Fatalf("choosing a password: %d to %q, want 303 to /admin", r.Status, r.Location)
		}
		if r := nadia.get("/admin/releases"); r.Status != http.StatusOK {
			t.Fatalf("after choosing a password: %d", r.Status)
		}
		u, _ := models.UserByEmail(ctx, env.db.Gorm, "nadia@example.org")
		if u.MustChangePassword {
			t.Fatal("the flag is still set after the user chose a password")
		}

		// An admin setting it again (a forgotten password) starts over.
		r = admin.post("/admin/users/"+u.ID, "/admin/users/"+u.ID, url.Values{"name": {u.Name}, "role": {"press_officer"}, "password": {"fresh temporary words 81"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("admin sets a password: %d %s", r.Status, r.Body)
		}
		u, _ = models.UserByEmail(ctx, env.db.Gorm, "nadia@example.org")
		if !u.MustChangePassword {
			t.Fatal("a password set by an admin does not have to be changed")
		}
		again := env.browser()
		if r := again.post("/login", "/login", url.Values{"email": {"nadia@example.org"}, "password": {"fresh temporary words 81"}}); r.Location != "/admin/account/password" {
			t.Fatalf("sign-in after an admin reset: to %q", r.Location)
		}

		// An admin setting their own password on the user form chose it themselves.
		me := env.users[models.RoleAdmin]
		r = admin.post("/admin/users/"+me.ID, "/admin/users/"+me.ID, url.Values{"name": {me.Name}, "role": {"admin"}, "password": {"admins own fresh words"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("admin sets their own password: %d %s", r.Status, r.Body)
		}
		if u, _ := models.UserByID(ctx, env.db.Gorm, me.ID); u.MustChangePassword {
			t.Fatal("an admin's own password on the user form counts as someone else's")
		}
	})
}
