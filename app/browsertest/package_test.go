package browsertest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

// TestPackageJourneys: a campaigner launches the rapid-response package from
// an approved release still under embargo with the one Launch campaign
// button, lands on the page of its parts, takes the alert through sign-off
// and opens the petition; both stay off the public pages until the embargo
// lifts and are public after; the campaign page shows the chart of
// signatures. Every page passes axe-core and is photographed at desktop and
// phone widths.
func TestPackageJourneys(t *testing.T) {
	t.Parallel()
	eachDialect(t, packageJourneys)
}

func packageJourneys(tb *tab) {
	ctx := context.Background()
	db := tb.srv.DB.Gorm
	axe := axeSource(tb.t)
	shots := newShots(tb.t)
	check := func(tb *tab, name string) {
		tb.t.Helper()
		tb.checkA11y(axe)
		shots.capture(tb, name)
	}
	user := func(email string) *models.User {
		u, err := models.UserByEmail(ctx, db, email)
		if err != nil {
			tb.t.Fatal(err)
		}
		return u
	}
	// The press office's release, approved and scheduled two hours ahead.
	const headline = "Forced returns to the border camps must end"
	embargo := tb.srv.Clock.Now().Add(2 * time.Hour).Truncate(time.Minute)
	ep := &embargo
	press := user("press@example.org")
	rel, err := models.CreateDocument(ctx, db, press, models.DocumentInput{Kind: models.KindPressRelease, Headline: ptrS(headline),
		Standfirst: ptrS("Stop the forced returns now. Hundreds were sent back this month."), Body: ptrS("Evidence from the camps."),
		EmbargoAt: &ep, EmbargoTZ: ptrS("Europe/London")}, tb.srv.Clock.Now())
	if err != nil {
		tb.t.Fatal(err)
	}
	if _, err := models.SubmitDocument(ctx, db, press, rel.ID, false, tb.srv.Clock.Now()); err != nil {
		tb.t.Fatal(err)
	}
	for _, e := range []string{"head.press@example.org", "legal@example.org"} {
		if _, err := models.ApproveDocument(ctx, db, user(e), rel.ID, "", tb.srv.Clock.Now()); err != nil {
			tb.t.Fatal(err)
		}
	}

	var parts []models.PackagePart
	tb.journey("campaigner-launches-package", func() {
		tb.login("campaigner@example.org")
		tb.open("/admin/releases/" + rel.ID)
		tb.expectText("Rapid response", "Stop the forced returns now.")
		check(tb, "package-release")
		tb.submit("Launch campaign")
		tb.expectPath("/admin/releases/" + rel.ID + "/package")
		tb.expectText("Campaign launched", "Press release:", "Action alert:", "Petition:", "Still needs:", "submitting for approval", "opening (its approval)")
		check(tb, "package-launched")
		_, parts, err = models.PackageOf(ctx, db, rel.ID, tb.srv.Clock.Now())
		if err != nil || len(parts) != 3 {
			tb.failf("package parts %v %v", parts, err)
		}
	})
	alertID, petitionID := parts[1].ID, parts[2].ID

	tb.journey("campaigner-approves-through-to-publication", func() {
		tb.clickNear(parts[1].Title, "Action alert:") // the alert's link on the package page
		tb.expectPath("/admin/releases/" + alertID)
		tb.submit("Submit for approval")
		tb.expectText("In review")
		tb.click("Sign out")
		for _, e := range []string{"head.press@example.org", "legal@example.org"} {
			tb.login(e)
			tb.open("/admin/releases/" + alertID)
			tb.submit("Approve revision 1")
			tb.click("Sign out")
		}
		tb.login("campaigner@example.org")
		tb.open("/admin/petitions/" + petitionID)
		tb.submit("Open petition")
		tb.expectText("Petition opened.")
		tb.open("/admin/releases/" + rel.ID + "/package")
		tb.expectText("the release's embargo to lift (it goes public with it)", "the release's embargo to lift (it opens with it)")
		check(tb, "package-approved")

		alert, err := models.DocumentByID(ctx, db, alertID)
		if err != nil || alert.Status != models.StatusScheduled || alert.Slug == nil {
			tb.failf("approved alert: %+v %v", alert, err)
		}
		pet, _ := models.PetitionByID(ctx, db, petitionID)
		s := tb.stranger()
		if status := s.open("/news/" + *alert.Slug); status != http.StatusNotFound {
			s.failf("the alert under embargo: %d", status)
		}
		if status := s.open("/p/" + pet.Slug); status != http.StatusNotFound {
			s.failf("the petition under embargo: %d", status)
		}

		tb.srv.Clock.Advance(time.Until(embargo) + time.Minute)
		eventually(tb.t, "the embargo job to publish the release and its alert", func() (bool, error) {
			d, err := models.DocumentByID(ctx, db, alertID)
			return err == nil && d.Status == models.StatusPublished, err
		})
		s.open("/news/" + *alert.Slug)
		s.expectText(headline, "Stop the forced returns now.")
		check(s, "package-alert-public")
		s.open("/p/" + pet.Slug)
		s.expectText("Sign this petition", "Stop the forced returns now.")
		check(s, "package-petition-public")
		// The release itself now asks its readers to sign, and leads there.
		pub, err := models.DocumentByID(ctx, db, rel.ID)
		if err != nil || pub.Slug == nil {
			tb.failf("published release: %+v %v", pub, err)
		}
		s.open("/news/" + *pub.Slug)
		s.expectText(headline, "Sign the petition")
		check(s, "package-release-asks-to-sign")
		s.click("Sign the petition")
		s.expectPath("/p/" + pet.Slug)
		tb.open("/admin/releases/" + rel.ID + "/package")
		tb.expectText("public")
		tb.expectNoText("embargo to lift")
	})

	tb.journey("campaign-page-shows-the-chart", func() {
		pet, _ := models.PetitionByID(ctx, db, petitionID)
		// Confirmed signatures over the first hours, from two countries.
		now := tb.srv.Clock.Now()
		for i, c := range []string{"GB", "GB", "FR", "DE", "GB"} {
			addr := strings.Repeat("s", i+1) + "@example.net"
			at := now.Add(time.Duration(i) * 40 * time.Minute)
			if err := db.Create(&models.Signature{ID: models.NewID(), PetitionID: pet.ID, Name: "Signer", Email: &addr, NormalisedEmail: addr,
				EmailDomain: "example.net", Country: c, State: models.SignatureConfirmed, CreatedAt: at, ConfirmedAt: &at}).Error; err != nil {
				tb.t.Fatal(err)
			}
		}
		tb.open("/admin/campaigns/" + deref(pet.CampaignID))
		tb.expectText("Analytics", "Confirmed signatures over time: 5 in all", "By country", "United Kingdom", "Per send")
		if n := tb.count("svg.chart-svg polyline"); n != 1 {
			tb.failf("the chart has %d lines, want 1", n)
		}
		check(tb, "campaign-analytics")
	})
}

func ptrS(s string) *string { return &s }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
