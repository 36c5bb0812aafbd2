package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"pressroom/jobs"
	"pressroom/models"
)

// TestNewsroomIdentity: an admin sets the newsroom's accent colour,
// introduction, press office block, logo and default social image on the
// Settings page; the newsroom shows them (the colour through /site.css, the
// press office block on every release page, the default card as og:image of
// a release without a photo, the logo and card public once chosen); an
// accent colour that fails WCAG AA contrast is saved with a warning, and
// invalid values are refused with the reason.
func TestNewsroomIdentity(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		token := env.token(models.RolePressOfficer)
		logo := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Logo", "alt_text": "Our logo"}, "logo.jpg", exifJPEG(t, 400, 400)))
		card := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Card", "alt_text": "Our card"}, "card.jpg", exifJPEG(t, 1600, 900)))
		report := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Report"}, "r.pdf", []byte(testPDF)))
		anon := env.browser()
		if r := anon.get(pathOf(env, logo.Variants["thumb"])); r.Status != http.StatusNotFound {
			t.Fatalf("the logo is public before it is chosen: %d", r.Status)
		}
		admin := env.login(models.RoleAdmin)
		form := url.Values{"organisation_name": {"Freedonia Rights Watch"}, "accent_colour": {"#0B57D0"},
			"newsroom_introduction": {"We document abuses in Freedonia."}, "press_office_contact": {"Press office: +44 20 7946 0000 (24 hours)"},
			"logo_media_id": {logo.ID}, "social_image_media_id": {card.ID}}
		for field, bad := range map[string]string{"accent_colour": "blue", "logo_media_id": report.ID, "social_image_media_id": "nosuchitem"} {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			f.Set(field, bad)
			if r := admin.post("/admin/settings", "/admin/settings/organisation", f); r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s=%s: %d", field, bad, r.Status)
			}
		}
		if r := admin.post("/admin/settings", "/admin/settings/organisation", form); r.Status != http.StatusSeeOther {
			t.Fatalf("save: %d %s", r.Status, r.Body)
		}
		if p := admin.get("/admin/settings"); strings.Contains(p.Body, "WCAG AA asks") {
			t.Errorf("a dark blue accent is warned about")
		}
		news := anon.get("/news")
		for _, want := range []string{"We document abuses in Freedonia.", `<link rel="stylesheet" href="/site.css">`, `<img src="` + logo.Variants["thumb"] + `"`,
			`<meta property="og:image" content="` + card.Variants["social"] + `">`} {
			if !strings.Contains(news.Body, want) {
				t.Errorf("/news lacks %s", want)
			}
		}
		if css := anon.get("/site.css"); !strings.Contains(css.Body, "--pico-primary:#0b57d0") || css.Header.Get("Content-Type") != "text/css; charset=utf-8" {
			t.Errorf("site.css: %q %s", css.Header.Get("Content-Type"), css.Body)
		}
		for _, u := range []string{logo.Variants["thumb"], card.Variants["social"]} {
			if r := anon.get(pathOf(env, u)); r.Status != http.StatusOK {
				t.Errorf("chosen identity image %s: %d", u, r.Status)
			}
		}
		d := env.publish(t, "No photo here", "Body.", nil, nil)
		page := anon.get("/news/" + *d.Slug)
		for _, want := range []string{"Press office: &#43;44 20 7946 0000 (24 hours)", `<meta property="og:image" content="` + card.Variants["social"] + `">`} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("release page lacks %s", want)
			}
		}

		// Emails carry the organisation's name and the press office block.
		content, err := jobs.ComposeSend(context.Background(), env.db.Gorm, &models.Send{ID: "x", DocumentID: d.ID, Revision: d.ApprovedRevision, Kind: d.Kind},
			env.cfg.BaseURL.String(), env.cfg.MediaKey(), env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if want := "Sent by the press office of Freedonia Rights Watch. Reply to this email to reach us. Press office: +44 20 7946 0000 (24 hours)"; !strings.Contains(content.Journalist.Text, want) {
			t.Errorf("email footer lacks %q:\n%s", want, content.Journalist.Text)
		}
		// The HTML part opens with the organisation's logo (by absolute URL,
		// with its size and the organisation's name as alt text) on a band of
		// the accent colour.
		for _, want := range []string{`<img src="` + logo.Variants["thumb"] + `"`, `alt="Freedonia Rights Watch"`, "border-top:4px solid #0b57d0"} {
			if !strings.Contains(content.Journalist.HTML, want) {
				t.Errorf("email HTML lacks %s", want)
			}
		}

		// A pale accent is saved, with a warning on the page.
		form.Set("accent_colour", "#ffcc00")
		r := admin.post("/admin/settings", "/admin/settings/organisation", form)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save pale accent: %d", r.Status)
		}
		if p := admin.get("/admin/settings"); !strings.Contains(p.Body, "WCAG AA asks for 4.5:1") || !strings.Contains(p.Body, "#ffcc00") {
			t.Errorf("no contrast warning for #ffcc00")
		}
	})
}
