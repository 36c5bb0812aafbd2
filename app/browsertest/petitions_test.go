package browsertest

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"pressroom/models"
)

// TestPetitionJourneys: a campaigner creates and opens a petition from the
// admin pages; a supporter signs it on a phone (390 px) and confirms from the
// emailed link with the one button, and the live counter on a page open
// elsewhere moves; the widget frames on a page and passes axe-core; the
// campaigner previews and applies an invalidation. Every page passes
// axe-core and is photographed at desktop and phone widths.
func TestPetitionJourneys(t *testing.T) {
	t.Parallel()
	eachDialect(t, petitionJourneys)
}

func petitionJourneys(tb *tab) {
	axe := axeSource(tb.t)
	shots := newShots(tb.t)
	check := func(tb *tab, name string) {
		tb.t.Helper()
		tb.checkA11y(axe)
		shots.capture(tb, name)
	}
	const title = "Stop the arms shipment"
	tb.journey("campaigner-creates-petition", func() {
		tb.login("campaigner@example.org")
		tb.open("/admin/petitions/new")
		check(tb, "petition-new")
		tb.fill("Title", title)
		tb.fill("Target", "The Minister for Trade")
		tb.fill("Demand", "Halt the export licence for the shipment today.")
		tb.fill("Goal", "1000")
		tb.submit("Create petition")
		tb.expectText("Petition created as a draft", title)
		check(tb, "petition-admin-draft")
		tb.submit("Open petition")
		tb.expectText("Petition opened.", "public at")
		check(tb, "petition-admin-open")
	})
	var p models.Petition
	if err := tb.srv.DB.Gorm.First(&p, "title = ?", title).Error; err != nil {
		tb.t.Fatal(err)
	}
	const email = "amira.haddad@example.com"
	// Someone reading the petition on another device while it is signed.
	watcher := tb.stranger()
	watcher.open("/p/" + p.Slug)
	if got := watcher.textOf(".count-value"); got != "0" {
		watcher.failf("counter before signing = %q", got)
	}
	s := tb.stranger()
	// The supporter is on a phone; capture photographs both widths and
	// leaves the tab at desktop size, so each step goes back to the phone.
	onPhone := s.onPhone
	s.journey("supporter-signs-on-a-phone-and-confirms", func() {
		onPhone()
		s.open("/p/" + p.Slug)
		onPhone()
		s.expectText(title, "Halt the export licence for the shipment today.", "Sign this petition")
		check(s, "petition-public")
		onPhone()
		s.fill("Your name", "Amira Haddad")
		s.fill("Email", email)
		s.choose("Country", "Lebanon")
		s.submit("Sign the petition")
		s.expectPath("/p/" + p.Slug + "/thanks")
		s.expectText("Check your email")
		check(s, "petition-thanks")
		onPhone()
		m := waitMail(s.t, s.srv, email, "Please confirm your signature")
		link := regexp.MustCompile(`https?://\S+/p/\S+/confirm/\S+`).FindString(m.TextBody)
		if link == "" {
			s.failf("no confirmation link in %q", m.TextBody)
		}
		s.follow(link)
		s.expectText("Confirm your signature")
		check(s, "petition-confirm")
		onPhone()
		var sig models.Signature
		if err := s.srv.DB.Gorm.First(&sig, "email = ?", email).Error; err != nil || sig.State != models.SignaturePending {
			s.failf("opening the link changed the signature: %+v %v", sig, err)
		}
		s.submit("Confirm my signature")
		s.expectText("Thank you", "is confirmed")
		check(s, "petition-confirmed")
		if err := s.srv.DB.Gorm.First(&sig, "email = ?", email).Error; err != nil || sig.State != models.SignatureConfirmed || sig.Country != "LB" {
			s.failf("after confirming: %+v %v", sig, err)
		}
		if !strings.Contains(s.text(), "Back to the petition") {
			s.failf("no way back to the petition")
		}
		// The count job adds the signature and the page open elsewhere
		// shows it without a reload (it polls count.json).
		eventually(watcher.t, "the live counter to show the signature", func() (bool, error) {
			return watcher.textOf(".count-value") == "1", nil
		})
	})

	// The widget: framed by a page of this site it loads (frame-ancestors
	// allows it), shows the demand and the form, and passes axe-core.
	watcher.journey("widget-framed-on-a-page", func() {
		run(watcher, "frame the widget", chromedp.Evaluate[chromedp.Void](`document.body.insertAdjacentHTML("beforeend",
  '<iframe id="widget" title="Sign the petition" src="/p/`+p.Slug+`/embed" width="360" height="640"></iframe>')`))
		eventually(watcher.t, "the framed widget to load", func() (bool, error) {
			text := run(watcher, "framed widget text", chromedp.Evaluate[string](`(() => {
  const d = document.getElementById("widget").contentDocument;
  return d && d.readyState === "complete" && d.body ? d.body.innerText : "";
})()`))
			return strings.Contains(text, "Halt the export licence for the shipment today.") && strings.Contains(text, "Sign the petition"), nil
		})
		watcher.open("/p/" + p.Slug + "/embed")
		watcher.expectText("Halt the export licence for the shipment today.", "Your name")
		check(watcher, "petition-embed")
	})

	// Two signatures from a throwaway domain; the campaigner previews and
	// applies an invalidation by domain.
	for _, e := range []string{"bot1@spam.example", "bot2@spam.example"} {
		addr := e
		if err := tb.srv.DB.Gorm.Create(&models.Signature{ID: models.NewID(), PetitionID: p.ID, Name: "Bot", Email: &addr, NormalisedEmail: addr,
			EmailDomain: "spam.example", Country: "GB", State: models.SignaturePending, CreatedAt: tb.srv.Clock.Now()}).Error; err != nil {
			tb.t.Fatal(err)
		}
	}
	tb.journey("campaigner-invalidates-signatures", func() {
		tb.open("/admin/petitions/" + p.ID)
		tb.fill("Email domain", "spam.example")
		tb.submit("Preview")
		tb.expectText("2 signatures match")
		check(tb, "petition-invalidation-preview")
		tb.submit("Invalidate 2 signatures")
		tb.expectText("Invalidating 2 signatures")
		eventually(tb.t, "the invalidation job", func() (bool, error) {
			var inv models.Invalidation
			err := tb.srv.DB.Gorm.First(&inv, "petition_id = ?", p.ID).Error
			return err == nil && inv.Status == models.InvalidationDone && inv.Invalidated == 2, err
		})
		tb.open("/admin/petitions/" + p.ID)
		tb.expectText("Reverse")
		check(tb, "petition-invalidated")
	})
}
