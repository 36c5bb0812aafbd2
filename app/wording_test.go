package app_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"pressroom/models"
)

// TestSendBadgesAndFlashesReadAsWords: a send's status badge reads "Draft" as
// a release's does, and a refusal flash is sentences with normal capitals
// ("Not approved. Nobody approves …"), never a label glued to a fragment.
func TestSendBadgesAndFlashesReadAsWords(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		doc := env.publish(t, "Send me", "Body.", nil, nil)
		ml, _ := models.CreateMediaList(ctx, env.db.Gorm, "Desk", "")
		s, err := models.CreateSend(ctx, env.db.Gorm, env.users[models.RolePressOfficer], models.SendInput{DocumentID: doc.ID, MediaListIDs: []string{ml.ID}}, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		press := env.login(models.RolePressOfficer)
		if p := press.get("/admin/sends"); !strings.Contains(p.Body, `<span class="badge">Draft</span>`) {
			t.Error("sends list badge does not read Draft")
		}
		if p := press.get("/admin/sends/" + s.ID); !strings.Contains(p.Body, `<span id="send-status" class="badge">Draft</span>`) {
			t.Error("send page badge does not read Draft")
		}
		// The author's own approval is refused with sentences.
		admin := env.login(models.RoleAdmin)
		own, _ := models.CreateDocument(ctx, env.db.Gorm, env.users[models.RoleAdmin], models.DocumentInput{Kind: models.KindPressRelease, Headline: ptr("Admin's own"), Body: ptr("Text.")}, env.clock.Now())
		if _, err := models.SubmitDocument(ctx, env.db.Gorm, env.users[models.RoleAdmin], own.ID, false, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		r := admin.post("/admin/releases/"+own.ID, "/admin/releases/"+own.ID+"/approve", url.Values{})
		page := admin.get(r.Location)
		i := strings.Index(page.Body, `class="flash flash-error"`)
		if i < 0 {
			t.Fatal("no refusal flash")
		}
		flash := page.Body[i : i+strings.Index(page.Body[i:], "</div>")]
		if !strings.Contains(flash, "Not approved. ") || strings.Contains(flash, "Not approved: ") || !strings.HasSuffix(strings.TrimSpace(flash), ".") {
			t.Fatalf("flash %q", flash)
		}
		if j := strings.Index(flash, "Not approved. "); j >= 0 {
			if c := flash[j+len("Not approved. ")]; c < 'A' || c > 'Z' {
				t.Fatalf("flash sentence starts in lower case: %q", flash)
			}
		}
	})
}

// TestFavicon: every page names the favicon, and it is served.
func TestFavicon(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		link := `<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">`
		if p := env.browser().get("/news"); !strings.Contains(p.Body, link) {
			t.Error("public page names no favicon")
		}
		if p := env.login(models.RoleViewer).get("/admin"); !strings.Contains(p.Body, link) {
			t.Error("admin page names no favicon")
		}
		if r := env.browser().get("/static/favicon.svg"); r.Status != 200 || !strings.Contains(r.Body, "<svg") {
			t.Fatalf("favicon: %d", r.Status)
		}
	})
}
