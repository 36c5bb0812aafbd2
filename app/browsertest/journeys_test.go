package browsertest

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"pressroom/models"
)

// TestAdminJourneys walks an administrator through a working session in one
// tab: sign in, read the dashboard, add a colleague, make an approver a
// backup, issue an API token, check the audit log and sign out.
func TestAdminJourneys(t *testing.T) {
	eachDialect(t, adminJourneys)
}

func adminJourneys(tb *tab) {

	tb.journey("admin-sign-in", func() {
		tb.open("/admin")
		tb.expectPath("/login?next=%2Fadmin")
		// A mistyped password first: the form says so and keeps the email.
		tb.fill("Email", "admin@example.org")
		tb.fill("Password", "not the password")
		if status := tb.submit("Sign in"); status != http.StatusUnauthorized {
			tb.failf("wrong password: status %d, want 401", status)
		}
		tb.expectText("That email and password do not match an active account.")
		if got := run(tb, "email kept", chromedp.Value(chromedp.CSS("#email"))); got != "admin@example.org" {
			tb.failf("email field holds %q after a failed sign-in", got)
		}
		tb.login("admin@example.org")
		tb.expectPath("/admin")
		tb.expectText("Dashboard", "Alex Admin")
		// The demo organisation: seven staff, five journalists, five supporters
		// who gave consent (a sixth is pending), one person (us) signed in.
		for stat, want := range map[string]string{
			`a.stat[href="/admin/users"] strong`:                        "7",
			`a.stat[href="/admin/media"] strong`:                        "5",
			`a.stat[href="/admin/supporters?status=subscribed"] strong`: "5",
		} {
			if got := tb.textOf(stat); got != want {
				tb.failf("dashboard %s shows %q, want %q", stat, got, want)
			}
		}
		tb.expectText("active staff accounts", "media contacts", "subscribed supporters", "1\npeople signed in")
	})

	tb.journey("admin-create-user", func() {
		tb.click("Settings")
		tb.click("Users")
		tb.click("New user")
		tb.expectPath("/admin/users/new")
		tb.fill("Email", "nadia.example.org") // the @ forgotten
		tb.fill("Name", "Nadia Newcomer")
		tb.choose("Role", "Approver")
		tb.check("Press desk")
		tb.check("Legal")
		if status := tb.submit("Create account"); status != http.StatusUnprocessableEntity {
			tb.failf("invalid email: status %d, want 422", status)
		}
		// The message sits right under the email field and is tied to it for
		// screen readers; the rest of the form is kept.
		if got := tb.textOf("#email-error"); got != "Enter an email address like name@example.org." {
			tb.failf("email error reads %q", got)
		}
		next := run(tb, "error placement", chromedp.Evaluate[bool](`(() => {
  const input = document.getElementById("email"), err = document.getElementById("email-error");
  const a = input.getBoundingClientRect(), b = err.getBoundingClientRect();
  return input.getAttribute("aria-invalid") === "true" && input.getAttribute("aria-describedby") === "email-error" &&
    b.top >= a.bottom - 1 && b.top - a.bottom < 40 && Math.abs(b.left - a.left) < 40;
})()`))
		if !next {
			tb.failf("the email error is not shown next to the email field")
		}
		if tb.count(`input[name="groups"]:checked`) != 2 || run(tb, "role kept", chromedp.Value(chromedp.CSS("#role"))) != string(models.RoleApprover) {
			tb.failf("the form lost the chosen role or groups after the error")
		}
		tb.fill("Email", "nadia@example.org")
		tb.submit("Create account")
		tb.expectPath("/admin/users")
		tb.expectText("Account created for nadia@example.org.", "pass it on securely")
		tb.expectText("Nadia Newcomer\tnadia@example.org\tApprover\t")
		row := run(tb, "new user's row", chromedp.Evaluate[string](
			`[...document.querySelectorAll("tbody tr")].map(r => r.innerText).find(t => t.includes("nadia@example.org"))`))
		// Groups are listed in no fixed order.
		if !strings.Contains(row, "Legal") || !strings.Contains(row, "Press desk") || !strings.HasSuffix(strings.TrimSpace(row), "Active") {
			tb.failf("the new user's row reads %q, want both groups and Active", row)
		}
	})

	tb.journey("admin-backup-approver", func() {
		tb.click("Settings")
		tb.click("Groups")
		tb.expectPath("/admin/groups")
		tb.clickNear("Make backup", "Hana Head-of-Press")
		tb.expectText("Backup approvers updated.")
		// The row now offers the opposite: the change stuck.
		tb.clickable("Backup ✓ (remove)", "Hana Head-of-Press")
	})

	tb.journey("admin-api-token", func() {
		tb.click("Settings")
		tb.click("API tokens")
		tb.choose("Acts as", "Priya Press (Press officer)")
		tb.fill("Label", "newsroom import")
		if status := tb.submit("Create token"); status != http.StatusCreated {
			tb.failf("create token: status %d, want 201", status)
		}
		tb.expectText("Copy this token now.")
		secret := tb.textOf("#new-token")
		if !strings.HasPrefix(secret, models.TokenPrefix) || len(secret) < 20 {
			tb.failf("the new token reads %q", secret)
		}
		// Shown once: back on the list only its first characters remain.
		tb.click("Settings")
		tb.click("API tokens")
		tb.expectNoText(secret, "Copy this token now.")
		tb.expectText("newsroom import\tPriya Press\t" + secret[:len(models.TokenPrefix)+6] + "…")
	})

	tb.journey("admin-audit-by-user", func() {
		tb.click("Audit log")
		tb.expectText("login_failed", "user_created", "token_created")
		tb.choose("Who", "Alex Admin")
		tb.submit("Filter")
		if !strings.Contains(tb.path(), "user=") {
			tb.failf("the filter is not in the address (%s), so it cannot be bookmarked", tb.path())
		}
		tb.expectText("user_created", "group_backup_changed", "token_created", "login")
		// The failed sign-in has no actor, so filtering by Alex hides it; every
		// row is Alex's.
		tb.expectNoText("login_failed")
		others := run(tb, "rows by others", chromedp.Evaluate[int](
			`[...document.querySelectorAll("tbody tr td:nth-child(2)")].filter(td => td.innerText.trim() !== "Alex Admin").length`))
		if others != 0 || tb.count("tbody tr") < 4 {
			tb.failf("filtered audit log: %d rows, %d not by Alex Admin", tb.count("tbody tr"), others)
		}
	})

	tb.journey("admin-sign-out", func() {
		tb.click("Sign out")
		tb.expectPath("/login")
		tb.expectText("You are signed out.")
		tb.open("/admin")
		tb.expectPath("/login?next=%2Fadmin")
	})
}

// TestTestEmailJourney: any staff member checks that mail reaches them and
// reads the message in the development outbox.
func TestTestEmailJourney(t *testing.T) {
	eachDialect(t, testEmailJourney)
}

func testEmailJourney(tb *tab) {
	tb.journey("press-officer-test-email", func() {
		tb.login("press@example.org")
		tb.click("Priya Press (Press officer)")
		tb.expectPath("/admin/account")
		tb.submit("Send me a test email")
		tb.expectText("A test email is on its way to press@example.org.")
		// The worker delivers in the background; wait as the user would for it.
		eventually(tb.t, "the test email in the outbox", func() (bool, error) {
			ms, err := models.OutboxMessages(context.Background(), tb.srv.DB.Gorm, "press@example.org", 10)
			return len(ms) > 0, err
		})
		tb.click("Outbox")
		tb.expectText("press@example.org\tPressroom test email")
		tb.click("Pressroom test email")
		tb.expectText("Pressroom test email", "press@example.org", "Hello Priya Press,")
		// The HTML version loads in its sandboxed frame, personalised.
		if tb.count(`iframe.mail-preview[title="HTML version of the email"]`) != 1 {
			tb.failf("no HTML preview frame")
		}
		got := tb.frameText("/html")
		if !strings.Contains(got, "Hello Priya Press,") {
			tb.failf("the HTML preview shows %q", got)
		}
	})
}

// TestWrongRole: a viewer who follows a link to an admin-only page gets a
// clear refusal page, not an error trace.
func TestWrongRole(t *testing.T) {
	tb := newTab(t)
	tb.journey("viewer-forbidden", func() {
		tb.login("viewer@example.org")
		if status := tb.open("/admin/users/new"); status != http.StatusForbidden {
			tb.failf("viewer on /admin/users/new: status %d, want 403", status)
		}
		tb.expectText("Not allowed", "Your role (Viewer) may not do this.", "Back to the dashboard")
		tb.expectNoText("goroutine", "panic", ".go:", "runtime error")
		if tb.count(`form[action="/admin/users"]`) != 0 {
			tb.failf("the 403 page shows the new-user form")
		}
		tb.click("Back to the dashboard")
		tb.expectPath("/admin")
	})
}
