package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

// TestSendPreviewIsTheVariantSentToANamedRecipient: the send page's preview
// greets the audience's first recipient (never the staff member looking at
// it), or a clearly labelled sample for someone who may not see the audience's
// people; it is exactly the variant that goes out: the embargo banner for a
// send that goes before the lift (and still after the lift, since that is what
// went out), none for a send scheduled at the lift. In the development outbox
// delivered and opened say they are not tracked instead of a 0.
func TestSendPreviewIsTheVariantSentToANamedRecipient(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		embargo := env.clock.Now().Add(time.Hour)
		doc := env.publish(t, "Under embargo for an hour", "Body.", &embargo, nil)
		ml, _ := models.CreateMediaList(ctx, env.db.Gorm, "Desk", "")
		jamila, _ := models.CreateContact(ctx, env.db.Gorm, models.ContactInput{Email: "jamila@news.example", Name: "Jamila Reporter"})
		zed, _ := models.CreateContact(ctx, env.db.Gorm, models.ContactInput{Email: "zed@news.example", Name: "Zed Zebra"})
		_ = models.AddContactsToList(ctx, env.db.Gorm, ml.ID, []string{zed.ID, jamila.ID})
		tok := env.token(models.RolePressOfficer)
		create := func(schedule string) string {
			t.Helper()
			r := env.api("POST", "/api/v1/sends", tok, `{"release_id":"`+doc.ID+`","media_list_ids":["`+ml.ID+`"],"schedule":"`+schedule+`"}`)
			if r.Status != http.StatusCreated {
				t.Fatalf("create send: %d %s", r.Status, r.Body)
			}
			return decode[struct{ ID string }](t, r.Body).ID
		}
		press := env.login(models.RolePressOfficer)
		me := env.users[models.RolePressOfficer]
		preview := func(b *browser, id string) string {
			t.Helper()
			r := b.get("/admin/sends/" + id + "/preview?as=journalist")
			if r.Status != http.StatusOK {
				t.Fatalf("preview: %d", r.Status)
			}
			return r.Body
		}

		now := create("now")
		html := preview(press, now)
		if !strings.Contains(html, "Jamila Reporter") || strings.Contains(html, me.Name) {
			t.Errorf("preview is not addressed to the first recipient (Jamila Reporter) but perhaps to %s", me.Name)
		}
		if !strings.Contains(html, "EMBARGOED UNTIL") {
			t.Error("a send going out before the lift previews without the embargo banner")
		}
		page := press.get("/admin/sends/" + now).Body
		if !strings.Contains(page, "Addressed to the first recipient, Jamila Reporter &lt;jamila@news.example&gt;.") || !strings.Contains(page, "under embargo") {
			t.Errorf("send page does not say who the preview is addressed to and which variant it is")
		}

		atLift := create("embargo")
		if html := preview(press, atLift); strings.Contains(html, "EMBARGOED UNTIL") || !strings.Contains(html, "Jamila Reporter") {
			t.Error("a send scheduled at the lift previews with the embargo banner, or not to Jamila")
		}
		if page := press.get("/admin/sends/" + atLift).Body; !strings.Contains(page, "after the embargo lifted") {
			t.Error("send page does not say the preview is the version after the embargo")
		}

		// Someone who may not see the journalists gets a labelled sample.
		camp := env.login(models.RoleCampaigner)
		if models.CanReadPeople(env.users[models.RoleCampaigner], models.AudienceMedia) {
			t.Fatal("test assumes campaigners may not read journalists")
		}
		if html := preview(camp, now); strings.Contains(html, "Jamila") || !strings.Contains(html, "Sam Sample") {
			t.Error("a campaigner's preview names a journalist, or is not the sample")
		}
		if page := camp.get("/admin/sends/" + now); page.Status == http.StatusOK && !strings.Contains(page.Body, "a sample recipient, Sam Sample (not a real journalist)") {
			t.Error("the sample is not labelled as one")
		}

		// Dispatched before the lift, it went out embargoed: after the lift the
		// preview still shows what went out.
		if r := press.post("/admin/sends/"+now, "/admin/sends/"+now+"/dispatch", url.Values{"confirm": {"yes"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("dispatch: %d %s", r.Status, r.Body)
		}
		waitOutbox(t, env, "jamila@news.example", 1)
		env.clock.Set(embargo.Add(time.Minute))
		if html := preview(press, now); !strings.Contains(html, "EMBARGOED UNTIL") || !strings.Contains(html, "Jamila Reporter") {
			t.Error("after the lift the preview of a send that went out under embargo lost its banner or its recipient")
		}
		page = press.get("/admin/sends/" + now).Body
		if !strings.Contains(page, "Exactly as it went out on") || !strings.Contains(page, "delivered: not tracked in development mode") ||
			!strings.Contains(page, "opened: not tracked in development mode") {
			t.Error("send page of a sent send: no 'as it went out', or delivery counts shown as numbers in development mode")
		}
	})
}
