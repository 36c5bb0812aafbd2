package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

func TestHealthReadyMetricsAndHeaders(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		b := env.browser()
		if r := b.get("/healthz"); r.Status != http.StatusOK {
			t.Fatalf("/healthz = %d", r.Status)
		}
		if r := b.get("/readyz"); r.Status != http.StatusOK || !strings.Contains(r.Body, "ready") {
			t.Fatalf("/readyz = %d %s", r.Status, r.Body)
		}
		// Without METRICS_TOKEN or METRICS_ADDR the public listener has no
		// metrics (TestMetricsAccess covers both).
		if r := b.get("/metrics"); r.Status != http.StatusNotFound {
			t.Fatalf("unconfigured /metrics = %d, want 404", r.Status)
		}
		r := b.get("/login")
		for h, want := range map[string]string{
			"Content-Security-Policy": "frame-ancestors 'none'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "strict-origin-when-cross-origin",
		} {
			if !strings.Contains(r.Header.Get(h), want) {
				t.Errorf("%s = %q, want %q", h, r.Header.Get(h), want)
			}
		}
		if strings.Contains(r.Header.Get("Content-Security-Policy"), "unsafe-inline") {
			t.Error("CSP allows inline script or style")
		}
		if r.Header.Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id")
		}
	})
}

// TestReadyzReportsSchemaBehind drops the newest migration record: /readyz must
// say the schema is behind.
func TestReadyzReportsSchemaBehind(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		if err := env.db.Gorm.Exec("DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)").Error; err != nil {
			t.Fatal(err)
		}
		r := env.browser().get("/readyz")
		if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "schema behind") {
			t.Fatalf("/readyz = %d %s", r.Status, r.Body)
		}
	})
}

func TestTestEmailReachesOutbox(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		b := env.login(models.RoleCampaigner)
		r := b.post("/admin/account", "/admin/account/test-email", nil)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("test email: %d", r.Status)
		}
		var msgs []models.OutboxMessage
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && len(msgs) == 0 {
			msgs, _ = models.OutboxMessages(context.Background(), env.db.Gorm, "campaigner@example.org", 10)
			time.Sleep(50 * time.Millisecond)
		}
		if len(msgs) != 1 || !strings.Contains(msgs[0].TextBody, "Hello Test Campaigner") {
			t.Fatalf("outbox = %+v", msgs)
		}
		// The outbox page lists it and shows it with its headers.
		page := b.get("/admin/outbox")
		if !strings.Contains(page.Body, "Pressroom test email") {
			t.Fatal("outbox page does not list the message")
		}
		html := b.get("/admin/outbox/" + itoa(msgs[0].ID) + "/html")
		if !strings.Contains(html.Body, "Hello Test Campaigner") || !strings.Contains(html.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("html preview: %d %q", html.Status, html.Header.Get("Content-Security-Policy"))
		}
	})
}

func TestAdminCreatesUserWithValidation(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		b := env.login(models.RoleAdmin)
		// Invalid: every problem is reported next to its field and the input kept.
		r := b.post("/admin/users/new", "/admin/users", url.Values{"email": {"not-an-email"}, "name": {"Nadia Newcomer"}, "role": {"overlord"}, "password": {"short"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("invalid user: %d", r.Status)
		}
		for _, want := range []string{"Enter an email address like name@example.org.", "Role must be one of", "at least 12 characters", `value="Nadia Newcomer"`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("form lacks %q", want)
			}
		}
		// Valid, with a read-only field smuggled in: it is ignored.
		r = b.post("/admin/users/new", "/admin/users", url.Values{"email": {"Nadia@Example.org"}, "name": {"Nadia Newcomer"}, "role": {"approver"},
			"groups": {"Legal"}, "id": {"chosen-id"}, "password_hash": {"x"}, "created_at": {"2001-01-01"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("create user: %d %s", r.Status, r.Body)
		}
		u, err := models.UserByEmail(context.Background(), env.db.Gorm, "nadia@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if u.ID == "chosen-id" || u.PasswordHash == "x" || u.CreatedAt.Year() == 2001 || u.Role != models.RoleApprover || len(u.Groups) != 1 || u.Groups[0].Name != "Legal" {
			t.Fatalf("stored user = %+v", u)
		}
		// The generated password was shown once and works.
		flash := b.get("/admin/users").Body
		i := strings.Index(flash, "Their password is ")
		if i < 0 {
			t.Fatal("generated password not shown")
		}
		pw := strings.Fields(flash[i+len("Their password is "):])[0]
		if _, err := models.Authenticate(context.Background(), env.db.Gorm, "nadia@example.org", pw); err != nil {
			t.Fatalf("generated password %q does not work", pw)
		}
		// A duplicate address is refused with a message, case-insensitively.
		r = b.post("/admin/users/new", "/admin/users", url.Values{"email": {"NADIA@example.org"}, "name": {"Other"}, "role": {"viewer"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "already belongs to an account") {
			t.Fatalf("duplicate: %d", r.Status)
		}
		// Disabling an account signs it out at once.
		// (The new user first replaces the generated password with their own.)
		nb := env.browser()
		if r := nb.post("/login", "/login", url.Values{"email": {"nadia@example.org"}, "password": {pw}}); r.Location != "/admin/account/password" {
			t.Fatalf("new user's first sign-in: %d to %q, want the change-password page", r.Status, r.Location)
		}
		nb.post("/admin/account/password", "/admin/account/password", url.Values{"current_password": {pw}, "new_password": {"nadia's own words"}, "confirm_password": {"nadia's own words"}})
		if r := nb.get("/admin"); r.Status != http.StatusOK {
			t.Fatalf("new user cannot sign in: %d", r.Status)
		}
		r = b.post("/admin/users/"+u.ID, "/admin/users/"+u.ID, url.Values{"name": {"Nadia Newcomer"}, "role": {"approver"}, "disabled": {"on"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("disable: %d %s", r.Status, r.Body)
		}
		if r := nb.get("/admin"); r.Status != http.StatusSeeOther {
			t.Fatalf("disabled user still signed in: %d", r.Status)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
