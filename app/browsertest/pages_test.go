package browsertest

import (
	"context"
	"net/http"
	"testing"

	"pressroom/models"
)

// TestMainPages opens every main page as a signed-in user would see it, runs
// axe-core on it (serious and critical violations fail), checks that it does
// not scroll sideways on a phone, and saves desktop and phone screenshots.
func TestMainPages(t *testing.T) {
	tb := newTab(t)
	axe := axeSource(t)
	shots := newShots(t)
	check := func(name, wantPath string) {
		t.Helper()
		tb.expectPath(wantPath)
		tb.checkA11y(axe)
		shots.capture(tb, name)
	}

	if status := tb.open("/login"); status != http.StatusOK {
		tb.failf("login page: status %d", status)
	}
	check("login", "/login")
	tb.fill("Email", "admin@example.org")
	tb.fill("Password", "wrong password")
	tb.submit("Sign in")
	check("login-failed", "/login")

	tb.login("admin@example.org")
	check("dashboard", "/admin")

	// Mail for the outbox pages; queued now, read at the end.
	tb.click("Alex Admin (Admin)")
	tb.submit("Send me a test email")
	check("account", "/admin/account")

	tb.click("Settings")
	tb.click("Users")
	check("users", "/admin/users")
	tb.click("New user")
	check("user-new", "/admin/users/new")
	tb.submit("Create account") // everything blank: every field error at once
	check("user-new-errors", "/admin/users")

	tb.click("Settings")
	tb.click("Groups")
	check("groups", "/admin/groups")

	tb.click("Settings")
	tb.click("API tokens")
	check("tokens", "/admin/tokens")
	tb.fill("Label", "screenshot")
	tb.submit("Create token")
	check("token-created", "/admin/tokens")

	tb.click("Audit log")
	check("audit", "/admin/audit")

	eventually(t, "the test email in the outbox", func() (bool, error) {
		ms, err := models.OutboxMessages(context.Background(), tb.srv.DB.Gorm, "admin@example.org", 1)
		return len(ms) > 0, err
	})
	tb.click("Outbox")
	check("outbox", "/admin/outbox")
	tb.click("Pressroom test email")
	tb.frameText("/html") // screenshot with the preview loaded
	check("outbox-message", tb.path())

	tb.click("Sign out")
	tb.login("viewer@example.org")
	if status := tb.open("/admin/users/new"); status != http.StatusForbidden {
		tb.failf("viewer on /admin/users/new: status %d, want 403", status)
	}
	check("forbidden", "/admin/users/new")
	if status := tb.open("/admin/no-such-page"); status != http.StatusNotFound {
		tb.failf("unknown page: status %d, want 404", status)
	}
	check("not-found", "/admin/no-such-page")
}
