package browsertest

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

// TestAudiencePages opens every page of audiences and sending in the states a
// user meets them, runs axe-core on each (serious and critical violations
// fail), checks the phone layout and saves desktop and phone screenshots:
// media contacts and a contact, supporters and a supporter, the suppression
// list, the CSV import's column mapping and result, the new-send form, a send
// waiting to go out and one sent, the sends list, and the public signup,
// confirmation and email preferences pages.
func TestAudiencePages(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	axe := axeSource(t)
	shots := newShots(t)
	check := func(tb *tab, name, wantPath string) {
		t.Helper()
		tb.expectPath(wantPath)
		tb.checkA11y(axe)
		shots.capture(tb, name)
	}
	ctx := context.Background()
	db := tb.srv.DB.Gorm
	list := supporterList(t, tb.srv, "Arms campaign supporters")
	london, _ := time.LoadLocation("Europe/London")
	embargo := tb.srv.Clock.Now().In(london).Add(time.Hour).Truncate(time.Minute)
	const headline = "Journalists detained for reporting on the arms trade"
	d := approvedRelease(t, tb.srv, "press@example.org", models.DocumentInput{Kind: models.KindPressRelease,
		Headline: ptr(headline), Standfirst: ptr("Three reporters have been held for a month."), Dateline: ptr("LONDON"),
		Body: ptr("They must be **released**."), EmbargoAt: ptr(ptr(embargo)), EmbargoTZ: ptr("Europe/London")})

	// The public side: sign up, confirm, manage preferences.
	s := tb.stranger()
	s.open("/subscribe?list=" + list.ID)
	check(s, "subscribe", "/subscribe?list="+list.ID)
	s.submit("Subscribe") // nothing filled in: the errors
	check(s, "subscribe-errors", "/subscribe")
	s.fill("Email address *", "sam.reader@example.com")
	s.fill("Name", "Sam Reader")
	s.check(`input[name="consent"]`)
	s.submit("Subscribe")
	check(s, "subscribe-thanks", "/subscribe/thanks")
	m := waitMail(t, s.srv, "sam.reader@example.com", "Please confirm")
	confirm := regexp.MustCompile(`https?://\S+/subscribe/confirm/\S+`).FindString(m.TextBody)
	s.follow(confirm)
	check(s, "subscribe-confirm", strings.TrimPrefix(confirm, s.srv.URL))
	s.submit("Confirm my subscription")
	check(s, "subscribe-confirmed", strings.TrimPrefix(confirm, s.srv.URL))
	sup, err := models.SupporterByEmail(ctx, db, "sam.reader@example.com")
	if err != nil {
		t.Fatal(err)
	}
	prefs := strings.TrimPrefix(models.UnsubscribeURL(s.srv.URL, s.srv.UnsubscribeKey, sup.ID), s.srv.URL)
	s.open(prefs)
	check(s, "preferences", prefs)
	s.submit("Save preferences")
	check(s, "preferences-saved", prefs+"?done=saved")

	// A demo supporter leaves through their mail program: the suppression
	// list has an entry.
	ana, err := models.SupporterByEmail(ctx, db, "ana.silva@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.PostForm(models.UnsubscribeURL(s.srv.URL, s.srv.UnsubscribeKey, ana.ID), url.Values{"List-Unsubscribe": {"One-Click"}}); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %v %v", resp, err)
	}

	// Media and sending, as the press officer.
	tb.login("press@example.org")
	tb.click("Media")
	check(tb, "media", "/admin/media")
	tb.click("Amira Haddad")
	check(tb, "contact-edit", tb.path())

	tb.click("Releases")
	tb.click(headline)
	tb.click("Send")
	check(tb, "send-new", "/admin/releases/"+d.ID+"/send")
	if status := tb.submit("Prepare send"); status != http.StatusUnprocessableEntity {
		tb.failf("a send without an audience: status %d, want 422", status)
	}
	check(tb, "send-new-errors", "/admin/releases/"+d.ID+"/send")
	tb.check("Foreign desks")
	tb.submit("Prepare send")
	sendPath := tb.path()
	tb.submit("Send a test")
	tb.frameText("/preview")
	check(tb, "send-draft", sendPath)
	tb.check("I have checked the preview and the audience")
	tb.submit("Dispatch")
	tb.watchSend(5, 0)
	check(tb, "send-sent", sendPath)

	// A second send waits for the embargo: dispatched, queued, updating live.
	tb.click("Release")
	tb.click("Send")
	tb.check("Foreign desks")
	tb.check("When the embargo lifts")
	tb.submit("Prepare send")
	tb.check("I have checked the preview and the audience")
	tb.submit("Dispatch")
	tb.expectText("Queued", "(when the embargo lifts)", "Recipients are counted when the send goes out")
	check(tb, "send-queued", tb.path())
	tb.click("Sends")
	tb.expectText("counted when it goes out")
	check(tb, "sends", "/admin/sends")
	tb.click("Sign out")

	// Supporters, as the campaigner.
	tb.login("campaigner@example.org")
	tb.click("Supporters")
	check(tb, "supporters", "/admin/supporters")
	tb.click("ben.carter@example.org")
	check(tb, "supporter", tb.path())
	tb.click("Supporters")
	tb.click("Suppression list")
	check(tb, "suppressions", "/admin/suppressions")
	tb.click("Supporters")
	tb.click("Supporter lists")
	tb.clickNear("Import CSV", list.Name)
	check(tb, "import-upload", "/admin/supporters/lists/"+list.ID+"/import")
	tb.upload("CSV file", "export.csv", "E-mail Address;Full name;Land;Signed up\n"+
		"gita.rao@example.org;Gita Rao;IN;2026-05-01\n"+
		"ben.carter@example.org;Ben Carter;GB;2026-04-11\n"+
		"not-an-address;Nobody;GB;2026-05-03\n")
	tb.submit("Preview")
	check(tb, "import-preview", "/admin/supporters/lists/"+list.ID+"/import/preview")
	tb.choose("Country", "Land")
	tb.submit("Import")
	check(tb, "import-result", tb.path())
}
