package browsertest

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"pressroom/models"
)

// TestUrgentActionOnAPhone: a supporter on a phone goes from an Urgent
// Action's newsroom page (which shows its call to action) to its letter
// composer, sees the call to action, the officials and the deadline, is
// nudged once when the suggested letter is unchanged, adds a sentence of
// their own, sends it, confirms their address from the email
// with the one button, and the letters are queued for both officials. Every page passes axe-core and is photographed
// at desktop and phone widths.
func TestUrgentActionOnAPhone(t *testing.T) {
	t.Parallel()
	eachDialect(t, urgentActionJourney)
}

func urgentActionJourney(tb *tab) {
	axe := axeSource(tb.t)
	shots := newShots(tb.t)
	phone := func(tb *tab) {
		run(tb, "resize to phone", chromedp.EmulateViewport(phoneWidth, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait))
	}
	check := func(tb *tab, name string) {
		tb.t.Helper()
		tb.checkA11y(axe)
		shots.capture(tb, name)
		phone(tb)
	}
	ctx := context.Background()
	db := tb.srv.DB.Gorm
	camp, err := models.UserByEmail(ctx, db, "campaigner@example.org")
	if err != nil {
		tb.t.Fatal(err)
	}
	now := tb.srv.Clock.Now()
	var ids []string
	for _, in := range []models.TargetInput{
		{Name: ptr("Omar Marwan"), Title: ptr("Minister of Justice"), Salutation: ptr("Dear Minister"), Email: ptr("minister@justice.example.gov"),
			Country: ptr("EG"), PostalAddress: ptr("Ministry of Justice\nLazoghly Square\nCairo")},
		{Name: ptr("Hisham Barakat"), Title: ptr("Public Prosecutor"), Salutation: ptr("Dear Counsellor"), Email: ptr("prosecutor@ppo.example.gov"), Country: ptr("EG")},
	} {
		tg, err := models.CreateTarget(ctx, db, camp, in, now)
		if err != nil {
			tb.t.Fatal(err)
		}
		ids = append(ids, tg.ID)
	}
	deadline := now.Add(10 * 24 * time.Hour)
	dl := &deadline
	suggested := "I urge you to release Sara Ahmed immediately and unconditionally."
	call := "Write to the Minister of Justice asking for Sara Ahmed's immediate release."
	d := approvedRelease(tb.t, tb.srv, "campaigner@example.org", models.DocumentInput{Kind: models.KindActionAlert, Headline: ptr("Egypt: free Sara Ahmed"),
		Standfirst: ptr("A human rights lawyer held for her work."), Body: ptr("Sara Ahmed was **arrested** at her office."),
		Action: models.ActionInput{TargetIDs: &ids, AppealDeadline: &dl, AppealTimezone: ptr("Africa/Cairo"), LetterSubject: ptr("Release Sara Ahmed"), LetterBody: &suggested,
			CallToAction: ptr(call)}})
	const email = "nadia.k@example.com"
	s := tb.stranger()
	phone(s)
	s.journey("supporter-writes-a-letter-on-a-phone", func() {
		// From the alert's newsroom page (where its email leads) to the composer.
		s.open("/news/" + *d.Slug)
		s.expectText(call)
		check(s, "action-newsroom-page")
		s.click("Write to the officials")
		s.expectPath("/a/" + *d.Slug)
		s.expectText("Egypt: free Sara Ahmed", call, "Send appeals before", "Omar Marwan", "Dear Minister", "Dear Counsellor", "Write your letter")
		check(s, "action-public")
		s.fill("Your name", "Nadia Karim")
		s.fill("Your email", email)
		s.choose("Country", "Jordan")
		s.submit("Send my letter")
		s.expectText("Could you add a sentence of your own?", "Send it as it is")
		check(s, "action-nudge")
		s.fill("Your letter", suggested+" As a lawyer in Amman, I know what her work means to her clients.")
		s.submit("Send my edited letter")
		s.expectText("Check your email")
		check(s, "action-check-email")
		m := waitMail(s.t, s.srv, email, "Please confirm your letter")
		link := regexp.MustCompile(`https?://\S+/a/\S+/confirm/\S+`).FindString(m.TextBody)
		if link == "" {
			s.failf("no confirmation link in %q", m.TextBody)
		}
		s.follow(link)
		s.expectText("Confirm your letter")
		check(s, "action-confirm")
		var n int64
		db.Model(&models.LetterDelivery{}).Where("status = ?", models.DeliveryPending).Count(&n)
		if n != 2 {
			s.failf("opening the link changed the letter: %d deliveries pending, want 2", n)
		}
		s.submit("Confirm and send my letter")
		s.expectText("Thank you", "on its way")
		check(s, "action-confirmed")
		eventually(s.t, "both letters handed to the mail transport", func() (bool, error) {
			var sent int64
			err := db.Model(&models.LetterDelivery{}).Where("status = ?", models.DeliverySent).Count(&sent).Error
			return sent == 2, err
		})
	})

	// A letter the honeypot flagged waits for the campaigner, who reads it on
	// the action's queue and rejects it.
	bot := "bot@example.net"
	flagged := models.Letter{ID: models.NewID(), DocumentID: d.ID, Name: "Watch Seller", Email: &bot, NormalisedEmail: bot, EmailDomain: "example.net",
		Country: "US", Subject: "Cheap watches", Body: "Buy cheap watches today.", State: models.SignatureFlagged, FlagReason: "the hidden form field was filled in",
		IP: "198.51.100.7", CreatedAt: now, ConfirmedAt: &now}
	if err := db.Create(&flagged).Error; err != nil {
		tb.t.Fatal(err)
	}
	if err := db.Create(&models.LetterDelivery{ID: models.NewID(), LetterID: flagged.ID, DocumentID: d.ID, TargetID: ids[0], NormalisedEmail: bot,
		Country: "US", Status: models.DeliveryPending, CreatedAt: now}).Error; err != nil {
		tb.t.Fatal(err)
	}
	tb.login("campaigner@example.org")
	tb.journey("campaigner-reviews-a-flagged-letter", func() {
		tb.open("/admin/releases/" + d.ID)
		tb.click("Review the 1 flagged letter")
		tb.expectText("Flagged letters", "Watch Seller", "Flagged for:", "the hidden form field was filled in", "Buy cheap watches today.")
		check(tb, "letters-flagged")
		tb.submit("Reject it")
		tb.expectText("The letter was rejected", "No flagged letters wait for a decision.")
		var l models.Letter
		if err := db.Take(&l, "id = ?", flagged.ID).Error; err != nil || l.State != models.SignatureInvalidated {
			tb.failf("the rejected letter is %s (%v)", l.State, err)
		}
	})
}

// TestActionDeadlineInReadersZone: the deadline is shown in the reader's own
// time zone. An action set in Cairo whose appeals close at half past
// midnight there closes on the previous evening in Los Angeles, and a reader
// there sees that date; the server writes the action's own (Cairo) date for
// a browser without JavaScript.
func TestActionDeadlineInReadersZone(t *testing.T) {
	t.Parallel()
	eachDialect(t, func(tb *tab) {
		axe := axeSource(tb.t)
		shots := newShots(tb.t)
		ctx := context.Background()
		db := tb.srv.DB.Gorm
		camp, err := models.UserByEmail(ctx, db, "campaigner@example.org")
		if err != nil {
			tb.t.Fatal(err)
		}
		now := tb.srv.Clock.Now()
		tg, err := models.CreateTarget(ctx, db, camp, models.TargetInput{Name: ptr("Omar Marwan"), Salutation: ptr("Dear Minister"), Email: ptr("minister@justice.example.gov")}, now)
		if err != nil {
			tb.t.Fatal(err)
		}
		cairo, _ := time.LoadLocation("Africa/Cairo")
		la, _ := time.LoadLocation("America/Los_Angeles")
		day := now.In(cairo).AddDate(0, 0, 10)
		deadline := time.Date(day.Year(), day.Month(), day.Day(), 0, 30, 0, 0, cairo)
		dl := &deadline
		ids := []string{tg.ID}
		d := approvedRelease(tb.t, tb.srv, "campaigner@example.org", models.DocumentInput{Kind: models.KindActionAlert, Headline: ptr("Egypt: free Sara Ahmed"), Body: ptr("The case."),
			Action: models.ActionInput{TargetIDs: &ids, AppealDeadline: &dl, AppealTimezone: ptr("Africa/Cairo"), LetterSubject: ptr("Release her"), LetterBody: ptr("Release her.")}})
		inCairo, inLA := deadline.In(cairo).Format("2 January 2006"), deadline.In(la).Format("2 January 2006")
		if inCairo == inLA {
			tb.t.Fatalf("the deadline %v falls on the same day in both zones", deadline)
		}
		s := tb.stranger()
		if err := chromedp.Do(s.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/Los_Angeles"})
			return err
		})); err != nil {
			tb.t.Fatal(err)
		}
		s.journey("reader-in-another-zone-sees-their-deadline", func() {
			s.open("/a/" + *d.Slug)
			s.expectText("Send appeals before " + inLA)
			s.expectNoText("Send appeals before " + inCairo)
			s.checkA11y(axe)
			shots.capture(s, "action-deadline-los-angeles")
		})
		// Without JavaScript the page says the action's own date.
		if page := fetch(tb, "/a/"+*d.Slug); !strings.Contains(page, inCairo) {
			tb.t.Errorf("the server's page lacks the Cairo date %q", inCairo)
		}
	})
}
