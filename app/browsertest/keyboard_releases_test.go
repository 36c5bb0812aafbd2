package browsertest

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"pressroom/models"
)

// TestKeyboardRelease drafts, submits and approves a release with the keyboard
// alone (Tab, Shift+Tab, Enter, Space and typing): the press officer writes it
// and submits it in rapid-response mode, the head of press approves it from
// the review queue, and legal reads it first and approves it from its page,
// which publishes it. Every focus stop must show where it is.
func TestKeyboardRelease(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	const headline = "Detained reporters must be released now"
	tb.journey("keyboard-draft-submit-approve", func() {
		tb.keyboardLogin("press@example.org")
		tb.tabTo("Skip to content", 1)
		tb.tabTo("Releases", 8)
		tb.pressLoad(kb.Enter)
		tb.expectPath("/admin/releases")
		tb.skipToContent()
		tb.tabTo("New press release", 4)
		tb.pressLoad(kb.Enter)
		tb.expectPath("/admin/releases/new?kind=press_release")

		tb.skipToContent()
		tb.tabTo("Headline", 3)
		tb.typeText(headline)
		tb.tabTo("Standfirst", 1)
		tb.typeText("Three journalists have been held without charge for a month.")
		tb.tabTo("Dateline", 1)
		tb.typeText("LONDON, 27 November 2026")
		tb.tabTo("Body", 1)
		tb.typeText("They must be **released immediately**.\n\nTheir only crime is reporting.")
		// Past notes, contacts, the embargo's date parts and the options to
		// the rapid-response box; tick it with Space, then back to its button.
		tb.tabTo("Rapid response", 40)
		tb.press(" ")
		if !run(tb, "rapid ticked", chromedp.Evaluate[bool](`document.activeElement.checked`)) {
			tb.failf("Space did not tick Rapid response")
		}
		tb.pressShiftTab()
		tb.expectFocus("Save and submit for approval")
		tb.pressLoad(kb.Enter)
		tb.expectText("Submitted in rapid-response mode", headline, "In review", "Rapid response")
		tb.tabTo("Sign out", 14)
		tb.pressLoad(kb.Enter)

		tb.keyboardLogin("head.press@example.org")
		tb.tabTo("Review queue", 9)
		tb.pressLoad(kb.Enter)
		tb.skipToContent()
		tb.tabTo("Approve revision 1", 4)
		tb.pressLoad(kb.Enter)
		tb.expectPath("/admin/review")
		tb.expectText("Approved.")
		tb.tabTo("Sign out", 14)
		tb.pressLoad(kb.Enter)

		tb.keyboardLogin("legal@example.org")
		tb.tabTo("Review queue", 9)
		tb.pressLoad(kb.Enter)
		tb.skipToContent()
		tb.tabTo("Open the release", 5)
		tb.pressLoad(kb.Enter)
		tb.expectText(headline, "Your review (Legal)")
		tb.skipToContent()
		tb.tabTo("Approve revision 1", 10)
		tb.pressLoad(kb.Enter)
		tb.expectText(fmt.Sprintf("Approved: the release is Published as PRE 01/001/%d.", tb.srv.Clock.Now().Year()), "Published")
	})
}

// keyboardLogin signs in from the login page by typing, Tab and Enter.
func (tb *tab) keyboardLogin(email string) {
	tb.t.Helper()
	if tb.path() != "/login" {
		tb.open("/login")
	}
	tb.expectFocus("Email")
	tb.typeText(email)
	tb.tabTo("Password", 1)
	tb.typeText(models.DemoPassword)
	tb.tabTo("Sign in", 1)
	tb.pressLoad(kb.Enter)
	if tb.path() == "/login" {
		tb.failf("still on the login page after signing in as %s", email)
	}
}

// skipToContent takes the skip link past the menu, as keyboard users do on
// every page: two actions (Tab, Enter).
func (tb *tab) skipToContent() {
	tb.t.Helper()
	tb.tabTo("Skip to content", 1)
	tb.press(kb.Enter)
}

// pressShiftTab moves focus back one stop: one action.
func (tb *tab) pressShiftTab() {
	tb.t.Helper()
	run(tb, "press Shift+Tab", chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(kb.ModifierShift)))
	tb.actions++
}
