package browsertest

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"pressroom/models"
)

// TestTwoFactorJourney: a press officer turns on two-factor sign-in from
// their account page (QR code and key, a first code, recovery codes), signs
// out, and signs in again with password and code, a wrong code refused first.
func TestTwoFactorJourney(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	axe := axeSource(t)
	code := func() string {
		c, err := totp.GenerateCodeCustom(tb.textOf("#totp-secret"), tb.srv.Clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			tb.failf("code: %v", err)
		}
		return c
	}
	var secret string
	tb.journey("two-factor-enrol", func() {
		tb.login("press@example.org")
		tb.click("Priya Press (Press officer)")
		tb.expectText("Two-factor sign-in", "Off")
		tb.click("Set up two-factor sign-in")
		tb.expectPath("/admin/account/two-factor")
		if tb.count(`img[src="/admin/account/two-factor/qr.png"]`) != 1 {
			tb.failf("no QR code image")
		}
		// The image loaded: the CSP let it through and it is a real PNG.
		if w := run(tb, "QR code size", chromedp.Evaluate[int](`new Promise(done => {
  const img = document.querySelector('img[src="/admin/account/two-factor/qr.png"]');
  if (img.complete) { done(img.naturalWidth); return; }
  img.onload = () => done(img.naturalWidth); img.onerror = () => done(0);
})`, chromedp.EvalAwaitPromise)); w != 240 {
			tb.failf("the QR code did not load (natural width %d)", w)
		}
		secret = tb.textOf("#totp-secret")
		tb.checkA11y(axe)
		tb.fill("Code from the app", code())
		tb.submit("Turn on two-factor sign-in")
		tb.expectText("Two-factor sign-in is on.", "shown only this once")
		if n := tb.count("#recovery-codes li"); n != models.RecoveryCodeCount {
			tb.failf("%d recovery codes shown, want %d", n, models.RecoveryCodeCount)
		}
		tb.click("I have saved them: go to my account")
		tb.expectText("On", "10 unused recovery codes left")
		tb.expectNoText(secret)
	})
	tb.journey("two-factor-sign-in", func() {
		tb.click("Sign out")
		tb.expectPath("/login")
		tb.fill("Email", "press@example.org")
		tb.fill("Password", models.DemoPassword)
		tb.submit("Sign in")
		tb.expectPath("/login/code")
		tb.expectText("Enter your code")
		tb.checkA11y(axe)
		if status := tb.open("/admin"); status != http.StatusOK || !strings.HasPrefix(tb.path(), "/login") || strings.HasPrefix(tb.path(), "/admin") {
			tb.failf("half signed in, /admin led to %s (%d)", tb.path(), status)
		}
		tb.open("/login/code")
		tb.fill("Code", "000000")
		if status := tb.submit("Sign in"); status != http.StatusUnauthorized {
			tb.failf("wrong code: status %d, want 401", status)
		}
		tb.expectText("That code is not right.")
		// The next 30-second step: the enrolment's code is spent.
		tb.srv.Clock.Advance(30 * time.Second)
		c, _ := totp.GenerateCodeCustom(secret, tb.srv.Clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		tb.fill("Code", c)
		tb.submit("Sign in")
		tb.expectPath("/admin")
		tb.expectText("Dashboard", "Priya Press")
	})
}
