package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

// TestDashboardIsTheDesk: the home page is the press officer's and approver's
// desk: what waits for me (reviews; my releases sent back with changes
// requested), my drafts, embargoes about to lift with a countdown, sends going
// out and gone, and a 30-day chart of releases and sends. It has no count of
// "people signed in", which counted stale sessions.
func TestDashboardIsTheDesk(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		db := env.db.Gorm
		now := env.clock.Now()
		press := env.users[models.RolePressOfficer]
		draft := func(headline string) *models.Document {
			t.Helper()
			body := "Text of " + headline + "."
			d, err := models.CreateDocument(ctx, db, press, models.DocumentInput{Kind: models.KindPressRelease, Headline: &headline, Body: &body}, now)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		draft("A draft still being written")
		back := draft("Sent back for changes")
		if _, err := models.SubmitDocument(ctx, db, press, back.ID, false, now); err != nil {
			t.Fatal(err)
		}
		desk, _ := models.UserByID(ctx, db, env.users[models.RoleApprover].ID)
		if _, err := models.RequestChanges(ctx, db, desk, back.ID, "Name the minister.", now); err != nil {
			t.Fatal(err)
		}
		waiting := draft("Waiting for the press desk")
		if _, err := models.SubmitDocument(ctx, db, press, waiting.ID, false, now); err != nil {
			t.Fatal(err)
		}
		embargo := now.Add(3*time.Hour + 20*time.Minute)
		env.publish(t, "Embargoed until this afternoon", "Body.", &embargo, nil)
		public := env.publish(t, "Already public", "Body.", nil, nil)
		tok := env.token(models.RolePressOfficer)
		ml, _ := models.CreateMediaList(ctx, db, "Desk", "")
		r := env.api("POST", "/api/v1/sends", tok, `{"release_id":"`+public.ID+`","media_list_ids":["`+ml.ID+`"]}`)
		id := decode[struct{ ID string }](t, r.Body).ID
		gone := now.Add(-2 * 24 * time.Hour)
		if err := db.Model(&models.Send{}).Where("id = ?", id).Updates(map[string]any{"status": models.SendSent, "materialised_at": gone, "completed_at": gone}).Error; err != nil {
			t.Fatal(err)
		}

		page := env.login(models.RolePressOfficer).get("/admin")
		if page.Status != http.StatusOK {
			t.Fatalf("dashboard: %d", page.Status)
		}
		for _, want := range []string{"Your desk", "Waiting for you", "Sent back for changes", "Changes requested",
			"Your drafts", "A draft still being written", "Upcoming embargoes", "Embargoed until this afternoon", "lifts in 3 h 20 min",
			"Sends", "Already public", "Sent", "The last 30 days", "<svg class=\"chart desk-chart\"", "releases published 1, sends gone out 1."} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("the press officer's desk lacks %q", want)
			}
		}
		if strings.Contains(page.Body, "signed in</span>") {
			t.Error("the desk still counts people signed in")
		}
		ap := env.login(models.RoleApprover).get("/admin").Body
		if !strings.Contains(ap, "Waiting for the press desk") || !strings.Contains(ap, "your review (Press desk)") {
			t.Error("the approver's desk does not list what waits for their review")
		}
		if strings.Contains(ap, "A draft still being written") {
			t.Error("the approver's desk lists someone else's drafts")
		}
	})
}
