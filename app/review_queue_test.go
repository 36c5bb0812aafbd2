package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

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
