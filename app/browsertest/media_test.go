package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"pressroom/models"
)

// TestMediaAndTestSendJourneys: a press officer uploads a photo with its
// credit and alt text, makes it a release's lead image, sends themself a test
// of the release's send and finds it in the outbox; a journalist subscribes
// to the newsroom on a phone and confirms. Every page on the way is checked
// with axe-core and photographed at 1280 and 390 px.
func TestMediaAndTestSendJourneys(t *testing.T) {
	t.Parallel()
	eachDialect(t, mediaJourneys)
}

// testPhoto is a small JPEG a camera might have made.
func testPhoto(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1200, 800))
	for y := 0; y < 800; y++ {
		for x := 0; x < 1200; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x / 5), uint8(y / 4), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func mediaJourneys(tb *tab) {
	ctx := context.Background()
	db := tb.srv.DB.Gorm
	axe := axeSource(tb.t)
	shots := newShots(tb.t)
	// look checks a page with axe-core at 1280 and at 390 px, then
	// photographs both widths (leaving the tab at 1280 px).
	look := func(tb *tab, name string) {
		tb.t.Helper()
		tb.checkA11y(axe)
		tb.onPhone()
		tb.checkA11y(axe)
		shots.capture(tb, name+strings.ReplaceAll(tb.tag, " ", ""))
	}
	const headline = "Court hears families of the detained"
	press, err := models.UserByEmail(ctx, db, "press@example.org")
	if err != nil {
		tb.t.Fatal(err)
	}
	draft, err := models.CreateDocument(ctx, db, press, models.DocumentInput{Kind: models.KindPressRelease, Headline: ptr(headline),
		Standfirst: ptr("Relatives waited outside all day."), Body: ptr("The court must hear them **now**.")}, tb.srv.Clock.Now())
	if err != nil {
		tb.t.Fatal(err)
	}

	tb.journey("press-officer-photo-and-test-send", func() {
		tb.login("press@example.org")
		tb.open("/admin/media-library")
		look(tb, "media-library")
		tb.upload("File", "valletta-court.jpg", testPhoto(tb.t))
		tb.fill("Title", "Families outside the court")
		tb.fill("Credit / copyright", "© Jane Doe / Agency")
		tb.fill("Alt text", "Relatives holding photographs of the detained outside the court")
		tb.fill("Caption", "Relatives outside the court in Valletta.")
		tb.submit("Upload")
		tb.expectText("Uploaded “Families outside the court”.", "© Jane Doe / Agency")
		look(tb, "media-item")
		id := strings.TrimPrefix(tb.path(), "/admin/media-library/")
		if !regexp.MustCompile(`^[A-Za-z0-9]+$`).MatchString(id) {
			tb.failf("after uploading, on %s, want the item's page", tb.path())
		}

		// The report the release is about, as a download.
		tb.open("/admin/media-library")
		tb.upload("File", "annual-report.pdf", "%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")
		tb.fill("Title", "Annual report")
		tb.submit("Upload")
		tb.expectText("Uploaded “Annual report”.")
		report := strings.TrimPrefix(tb.path(), "/admin/media-library/")

		// Both are chosen by name in the editor; a reload before saving
		// keeps the choices (the browser's draft), and saving stores them.
		tb.open("/admin/releases/" + draft.ID + "/edit")
		tb.choose("Lead image", "Families outside the court — © Jane Doe / Agency (1200 × 800 px)")
		tb.check("Annual report (PDF, 73 bytes)")
		eventually(tb.t, "the editor keeps the draft in the browser", func() (bool, error) {
			return strings.Contains(tb.text(), "Draft kept in this browser"), nil
		})
		// Meanwhile another document arrives, so the boxes change places:
		// the draft still ticks the report, not whichever box is now first.
		tb.open("/admin/media-library")
		tb.upload("File", "briefing.pdf", "%PDF-1.4\n% briefing\n%%EOF\n")
		tb.fill("Title", "Briefing note")
		tb.submit("Upload")
		tb.open("/admin/releases/" + draft.ID + "/edit")
		tb.expectText("Restored unsaved changes")
		if run(tb, "briefing ticked", chromedp.JavascriptAttribute[bool](chromedp.CSS(tb.field("Briefing note (PDF, 26 bytes)")), "checked")) {
			tb.failf("after a reload the new briefing is ticked in place of the report")
		}
		if got := tb.selected(tb.field("Lead image")); got != "Families outside the court — © Jane Doe / Agency (1200 × 800 px)" {
			tb.failf("after a reload the lead image is %q", got)
		}
		if !run(tb, "attachment ticked", chromedp.JavascriptAttribute[bool](chromedp.CSS(tb.field("Annual report (PDF, 73 bytes)")), "checked")) {
			tb.failf("after a reload the report is no longer ticked")
		}
		look(tb, "editor-with-media")
		tb.submit("Save")
		d, err := models.DocumentByID(ctx, db, draft.ID)
		if err != nil || d.Revision.LeadImageID == nil || *d.Revision.LeadImageID != id {
			tb.failf("the release's lead image is not the upload: %v", err)
		}
		if c := d.Revision.Content(); len(c.AttachmentIDs) != 1 || c.AttachmentIDs[0] != report {
			tb.failf("the release's attachments are %v, want the report %s", c.AttachmentIDs, report)
		}
		// Sign-off happens elsewhere (the approvers' queue); here it is given.
		if _, err := models.SubmitDocument(ctx, db, press, d.ID, false, tb.srv.Clock.Now()); err != nil {
			tb.t.Fatal(err)
		}
		for _, a := range []string{"head.press@example.org", "legal@example.org"} {
			u, _ := models.UserByEmail(ctx, db, a)
			if _, err := models.ApproveDocument(ctx, db, u, d.ID, "", tb.srv.Clock.Now()); err != nil {
				tb.t.Fatalf("approve as %s: %v", a, err)
			}
		}

		tb.open("/admin/releases/" + d.ID)
		tb.click("Send")
		tb.check("Foreign desks")
		tb.submit("Prepare send")
		tb.expectText("Send prepared.", "Rendered as")
		look(tb, "send-before-test")
		tb.submit("Send a test")
		tb.expectText("A test is on its way to press@example.org", "Tests")
		look(tb, "send-after-test")
		m := waitMail(tb.t, tb.srv, "press@example.org", "[TEST]")
		if !strings.Contains(m.HTML, `alt="Relatives holding photographs of the detained outside the court"`) || !strings.Contains(m.HTML, "© Jane Doe / Agency") {
			tb.failf("the test email lacks the photo's alt text or credit")
		}
		tb.open("/admin/outbox")
		tb.expectText("[TEST] " + headline)
		look(tb, "outbox-with-test")
		tb.click("[TEST] " + headline)
		tb.expectText("press@example.org")
		look(tb, "outbox-test-message")
		// The preview shows the photo itself, not its alt text: the frame's
		// policy lets it load images from the newsroom even on a plain-HTTP
		// development address.
		tb.open(fmt.Sprintf("/admin/outbox/%d/html", m.ID))
		eventually(tb.t, "the test email's photo loads in the outbox preview", func() (bool, error) {
			return run(tb, "photo loaded", chromedp.Evaluate[bool](`[...document.images].some(i => i.alt.startsWith("Relatives holding") && i.complete && i.naturalWidth > 0)`)), nil
		})

		// The published release shows the photo with its caption and credit,
		// the full-size photo to download, and the report.
		pub, err := models.DocumentByID(ctx, db, d.ID)
		if err != nil || pub.Slug == nil {
			tb.t.Fatalf("published release: %v", err)
		}
		tb.open("/news/" + *pub.Slug)
		tb.expectText("Relatives outside the court in Valletta.", "© Jane Doe / Agency", "Download the photo (JPEG, 1200 × 800 px,", "Annual report (PDF, 73 bytes)")
		look(tb, "release-with-photo")
	})

	// The journalist is on a phone.
	j := tb.stranger()
	j.journey("journalist-subscribes-to-newsroom", func() {
		const email = "nadia.farah@example.net"
		j.onPhone()
		j.open("/news")
		j.onPhone()
		j.click("Journalists: get our releases by email")
		j.expectPath("/newsroom/subscribe")
		look(j, "newsroom-subscribe")
		j.onPhone()
		j.fill("Work email", email)
		j.fill("Name", "Nadia Farah")
		j.fill("Outlet", "Harbour Times")
		j.check("conflict")
		j.submit("Get our releases")
		j.expectPath("/newsroom/subscribe/thanks")
		j.expectText("Check your email")
		m := waitMail(j.t, j.srv, email, "Please confirm: press releases")
		link := regexp.MustCompile(`https?://\S+/newsroom/subscribe/confirm/\S+`).FindString(m.TextBody)
		if link == "" {
			j.failf("no confirmation link in:\n%s", m.TextBody)
		}
		j.follow(link)
		j.expectText("Yes, send me your releases")
		look(j, "newsroom-subscribe-confirm")
		j.onPhone()
		j.submit("Yes, send me your releases")
		j.expectText("You will get our releases", email+" will receive our press releases")
		look(j, "newsroom-subscribed")
		var c models.MediaContact
		if err := db.Where("email = ?", email).First(&c).Error; err != nil || c.NewsroomStatus != models.NewsroomSubscribed {
			j.failf("after confirming: %+v (%v)", c, err)
		}
		msg := fmt.Sprintf("journalist subscribes%s: %d actions", j.tag, j.actions)
		j.t.Log(msg)
	})
}
