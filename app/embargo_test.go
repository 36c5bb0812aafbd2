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

// TestEmbargoInThePastOrAtAMissingTimeIsRefused: the editor refuses an embargo
// that has passed, one the clocks skip (28 March 2027 01:30 in London) and one
// they show twice (25 October 2026 01:30), each with an explanation, keeping the
// words typed and storing nothing.
func TestEmbargoInThePastOrAtAMissingTimeIsRefused(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		press := env.login(models.RolePressOfficer)
		for _, tt := range []struct{ local, want string }{
			{"2026-07-09T09:00", "This embargo time has already passed."}, // 08:00 UTC; the clock says 10:00 UTC
			{"2027-03-28T01:30", "does not exist in Europe/London: the clocks go forward"},
			{"2026-10-25T01:30", "happens twice in Europe/London: the clocks go back"},
		} {
			r := press.post("/admin/releases/new", "/admin/releases", url.Values{"kind": {"press_release"}, "headline": {"Embargo test"},
				"body": {"Words to keep."}, "embargo_local": {tt.local}, "embargo_timezone": {"Europe/London"}})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tt.want) || !strings.Contains(r.Body, "Words to keep.") {
				t.Errorf("embargo %s: status %d, want 422 with %q", tt.local, r.Status, tt.want)
			}
		}
		var n int64
		env.db.Gorm.Model(&models.Document{}).Count(&n)
		if n != 0 {
			t.Fatalf("%d documents stored from refused forms", n)
		}
		// The API refuses a past embargo too.
		r := env.api(http.MethodPost, "/api/v1/releases", env.token(models.RolePressOfficer),
			`{"kind":"press_release","headline":"Past","body":"Text","embargo_at":"2026-07-09T08:00:00Z"}`)
		if r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "already passed") {
			t.Fatalf("API past embargo: %d %s", r.Status, r.Body)
		}
	})
}

// TestEmbargoThatPassedInReview: a draft whose embargo passed before it was
// submitted is refused on submit; one whose embargo passed while in review
// asks its last approver whether to publish now, and publishes only on that
// answer.
func TestEmbargoThatPassedInReview(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		start := env.clock.Now()
		embargo := start.Add(2 * time.Hour)
		d, err := models.CreateDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], models.DocumentInput{Kind: models.KindPressRelease,
			Headline: ptr("Embargo passes in review"), Body: ptr("Text."), EmbargoAt: ptr(&embargo), EmbargoTZ: ptr("Europe/London")}, start)
		if err != nil {
			t.Fatal(err)
		}
		press := env.login(models.RolePressOfficer)
		env.clock.Set(start.Add(3 * time.Hour))
		r := press.post("/admin/releases/"+d.ID, "/admin/releases/"+d.ID+"/submit", nil)
		page := press.get(r.Location)
		if !strings.Contains(page.Body, "This embargo time has already passed.") {
			t.Fatalf("submit with a past embargo: %d, page lacks the reason", r.Status)
		}
		if got, _ := models.DocumentByID(ctx, env.db.Gorm, d.ID); got.Status != models.StatusDraft {
			t.Fatalf("submitted with a past embargo: %s", got.Status)
		}

		env.clock.Set(start)
		if r := press.post("/admin/releases/"+d.ID, "/admin/releases/"+d.ID+"/submit", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("submit: %d", r.Status)
		}
		desk := env.login(models.RoleApprover)
		if r := desk.post("/admin/releases/"+d.ID, "/admin/releases/"+d.ID+"/approve", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("first approval: %d", r.Status)
		}
		env.clock.Set(start.Add(3 * time.Hour))
		legal := env.loginAs("legal@example.org")
		r = legal.post("/admin/releases/"+d.ID, "/admin/releases/"+d.ID+"/approve", url.Values{"comment": {"Fine by legal"}})
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, "passed while the release was in review") || !strings.Contains(r.Body, "Approve and publish now") ||
			!strings.Contains(r.Body, `value="Fine by legal"`) {
			t.Fatalf("last approval after the embargo: %d, want the publish-now question", r.Status)
		}
		got, _ := models.DocumentByID(ctx, env.db.Gorm, d.ID)
		if got.Status != models.StatusInReview || got.IndexNumber != nil {
			t.Fatalf("published or scheduled without the approver's answer: %s", got.Status)
		}
		r = legal.post("/admin/releases/"+d.ID, "/admin/releases/"+d.ID+"/approve", url.Values{"comment": {"Fine by legal"}, "publish_now": {"yes"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("publish now: %d", r.Status)
		}
		got, _ = models.DocumentByID(ctx, env.db.Gorm, d.ID)
		if got.Status != models.StatusPublished || got.PublishedAt == nil || !got.PublishedAt.Equal(start.Add(3*time.Hour)) {
			t.Fatalf("after publish now: %s at %v", got.Status, got.PublishedAt)
		}
	})
}

// TestSubmitChecksRequiredFieldsAndHeadlineLength: a draft with no text is
// saved but not submitted, with a message saying what is missing; a pasted
// headline over the limit is refused with its length, not cut, and the editor
// shows a live character count.
func TestSubmitChecksRequiredFieldsAndHeadlineLength(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		press := env.login(models.RolePressOfficer)
		editor := press.get("/admin/releases/new?kind=press_release")
		if !strings.Contains(editor.Body, `data-count-for="headline" data-max="300"`) || strings.Contains(editor.Body, `maxlength="300"`) {
			t.Fatal("editor has no live headline count, or still cuts the headline")
		}
		long := strings.Repeat("é", 301)
		r := press.post("/admin/releases/new", "/admin/releases", url.Values{"kind": {"press_release"}, "headline": {long}, "body": {"Text."}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Shorten the headline to 300 characters or fewer: it has 301.") || !strings.Contains(r.Body, long) {
			t.Fatalf("long headline: %d", r.Status)
		}
		r = press.post("/admin/releases/new", "/admin/releases", url.Values{"kind": {"press_release"}, "headline": {strings.Repeat("é", 300)}, "body": {""}, "then": {"submit"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save empty draft: %d %s", r.Status, r.Body)
		}
		page := press.get(r.Location)
		if !strings.Contains(page.Body, "Write the text of the release before submitting it.") {
			t.Fatal("no message about the missing text")
		}
		var d models.Document
		if err := env.db.Gorm.WithContext(ctx).First(&d).Error; err != nil || d.Status != models.StatusDraft {
			t.Fatalf("empty release submitted: %s %v", d.Status, err)
		}
	})
}
