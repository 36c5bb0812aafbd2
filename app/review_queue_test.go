package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

// TestReviewQueueShowsTheText: the queue shows each release's text inline, so
// an approver approving from it (still two actions: open the queue, approve)
// has read what they approve; after an edit it shows what changed since the
// revision they approved; a text edited after the queue was loaded is not
// approved unread. An admin's empty queue does not tell them to ask an admin.
func TestReviewQueueShowsTheText(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		press := env.users[models.RolePressOfficer]
		headline, body := "Release the detained journalists", "Security forces detained forty journalists. They must be **freed**."
		d, err := models.CreateDocument(ctx, env.db.Gorm, press, models.DocumentInput{Kind: models.KindPressRelease, Headline: &headline, Body: &body}, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.SubmitDocument(ctx, env.db.Gorm, press, d.ID, false, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		desk := env.login(models.RoleApprover)
		q := desk.get("/admin/review").Body
		if !strings.Contains(q, "Security forces detained forty journalists. They must be <strong>freed</strong>.") {
			t.Fatalf("the queue does not show the text inline")
		}
		if !strings.Contains(q, `name="revision" value="1"`) {
			t.Fatal("the queue's approve form does not name the revision shown")
		}
		if r := desk.post("/admin/review", "/admin/releases/"+d.ID+"/approve", url.Values{"from": {"queue"}, "revision": {"1"}}); r.Status != http.StatusSeeOther || r.Location != "/admin/review" {
			t.Fatalf("approve from the queue: %d %s", r.Status, r.Location)
		}

		// The press officer rewrites a sentence: the approval lapses, and the
		// desk approver's queue shows the change, not the whole text again.
		newBody := "Security forces detained forty-one journalists. They must be **freed**."
		if _, err := models.UpdateDocument(ctx, env.db.Gorm, press, d.ID, models.DocumentInput{Body: &newBody}, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		cur, _ := models.DocumentByID(ctx, env.db.Gorm, d.ID)
		q = desk.get("/admin/review").Body
		if !strings.Contains(q, "Changes since revision 1, which you approved") || !strings.Contains(q, "<ins>forty-one</ins>") || !strings.Contains(q, "<del>forty</del>") {
			t.Fatalf("the queue does not show what changed since the approved revision:\n%s", q)
		}
		// A form loaded before another edit does not approve the newer text.
		stale := strconv.Itoa(cur.CurrentRevision)
		newer := "Security forces detained forty-two journalists. They must be **freed**."
		if _, err := models.UpdateDocument(ctx, env.db.Gorm, press, d.ID, models.DocumentInput{Body: &newer}, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		r := desk.post("/admin/review", "/admin/releases/"+d.ID+"/approve", url.Values{"from": {"queue"}, "revision": {stale}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("stale approve: %d", r.Status)
		}
		if page := desk.get(r.Location).Body; !strings.Contains(page, "Not approved. The text changed after you read revision "+stale) {
			t.Errorf("a stale approval is not explained: %s %s", r.Location, page[strings.Index(page, "<main"):][:1500])
		}
		var n int64
		env.db.Gorm.Model(&models.Approval{}).Where("document_id = ? AND revision > ?", d.ID, cur.CurrentRevision-1).Count(&n)
		if n != 0 {
			t.Errorf("a text the approver had not seen was approved (%d approvals)", n)
		}

		admin := env.login(models.RoleAdmin)
		if q := admin.get("/admin/review").Body; strings.Contains(q, "an admin can add you") {
			t.Error("an admin's queue tells them an admin can add them")
		}
	})
}

// TestReviewQueueShowsTheOldestPage: with more releases waiting than one page
// holds, the queue shows the oldest ones with their text and says how many
// wait in all; approving one brings the next up.
func TestReviewQueueShowsTheOldestPage(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		press := env.users[models.RolePressOfficer]
		const n = 53
		var first string
		for i := range n {
			headline, body := fmt.Sprintf("Waiting release %02d", i), fmt.Sprintf("Text of waiting release %02d.", i)
			d, err := models.CreateDocument(ctx, env.db.Gorm, press, models.DocumentInput{Kind: models.KindPressRelease, Headline: &headline, Body: &body}, env.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := models.SubmitDocument(ctx, env.db.Gorm, press, d.ID, false, env.clock.Now()); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = d.ID
			}
			env.clock.Advance(time.Minute)
		}
		desk := env.login(models.RoleApprover)
		q := desk.get("/admin/review").Body
		if !strings.Contains(q, "53 releases wait for you; the 50 oldest are shown.") || !strings.Contains(q, "Text of waiting release 00.") ||
			!strings.Contains(q, "Text of waiting release 49.") || strings.Contains(q, "Waiting release 50") {
			t.Fatalf("the queue does not show the 50 oldest of 53:\n%s", q)
		}
		if r := desk.post("/admin/review", "/admin/releases/"+first+"/approve", url.Values{"from": {"queue"}, "revision": {"1"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("approve = %d", r.Status)
		}
		q = desk.get("/admin/review").Body
		if !strings.Contains(q, "52 releases wait for you") || !strings.Contains(q, "Text of waiting release 50.") || strings.Contains(q, "Text of waiting release 00.") {
			t.Errorf("after approving the oldest, the next does not move up")
		}
	})
}

// TestReviewQueueShowsAllThatIsApproved: approving from the queue approves
// the whole revision, so the queue shows all of it, not only the headline,
// standfirst and body: the embargo time, the dateline, the notes to editors
// and the press contacts.
func TestReviewQueueShowsAllThatIsApproved(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		press := env.users[models.RolePressOfficer]
		embargo := time.Date(2026, 7, 10, 6, 0, 0, 0, time.UTC)
		in := models.DocumentInput{Kind: models.KindPressRelease, Headline: ptr("Arms licences unlawful"), Standfirst: ptr("The court ruled this morning."),
			Dateline: ptr("LONDON, 9 July 2026"), Body: ptr("Ministers ignored the risk."), NotesToEditors: ptr("Spokespeople are available in English and Arabic."),
			PressContacts: &[]models.PressContact{{Name: "Sam Spokes", Role: "Press officer", Phone: "+44 20 7946 0000"}},
			EmbargoAt:     ptr(&embargo), EmbargoTZ: ptr("Europe/London")}
		d, err := models.CreateDocument(ctx, env.db.Gorm, press, in, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.SubmitDocument(ctx, env.db.Gorm, press, d.ID, false, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		q := env.login(models.RoleApprover).get("/admin/review").Body
		for _, want := range []string{"EMBARGOED UNTIL 07:00 BST 10 July 2026", "LONDON, 9 July 2026", "The court ruled this morning.", "Ministers ignored the risk.",
			"Notes to editors", "Spokespeople are available in English and Arabic.", "Sam Spokes, Press officer · &#43;44 20 7946 0000"} {
			if !strings.Contains(q, want) {
				t.Errorf("the queue does not show %q of the revision it approves:\n%s", want, q[strings.Index(q, "<main"):])
			}
		}
	})
}
