package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/models"
)

// TestInlineImagesInBody: ![alt](media:ID) in a release body renders as the
// item's large web size with width, height and alt text: in the editor's
// preview through the staff route, on an embargo preview through a signed URL,
// on the page after the lift by its public URL (which answers only then), and
// in the email by absolute URL sized for the 600 px body. A document or an
// unknown item in image syntax is refused with a clear message.
func TestInlineImagesInBody(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		token := env.token(models.RolePressOfficer)
		photo := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Dry river", "alt_text": "A cracked riverbed; no water"}, "river.jpg", exifJPEG(t, 1600, 1000)))
		report := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Report"}, "r.pdf", []byte(testPDF)))
		body := "The river ran dry.\n\n![The riverbed in July](media:" + photo.ID + ")\n\nAnd then ![](media:" + photo.ID + ")."

		// The editor's live preview shows it through the signed-in route.
		b := env.login(models.RolePressOfficer)
		prev := b.post("/admin/releases/new", "/admin/releases/preview", map[string][]string{"body": {body}})
		if !strings.Contains(prev.Body, `<img src="/admin/media-library/`+photo.ID+`/large" alt="The riverbed in July" width="1600" height="1000">`) ||
			!strings.Contains(prev.Body, `alt="A cracked riverbed; no water"`) {
			t.Errorf("editor preview: %s", prev.Body)
		}

		for _, bad := range []string{"![r](media:" + report.ID + ")", "![x](media:nosuchitem)"} {
			r := env.api("POST", "/api/v1/releases", token, `{"headline":"Bad image","body":`+jsonString(bad)+`}`)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "media:") {
				t.Errorf("%s: %d %s", bad, r.Status, r.Body)
			}
		}

		lift := env.clock.Now().Add(time.Hour)
		d := env.publish(t, "Rivers run dry", body, &lift, nil)
		large := photo.Variants["large"]
		anon := env.browser()
		if r := anon.get(pathOf(env, large)); r.Status != http.StatusNotFound {
			t.Fatalf("an inline image of an embargoed release is public: %d", r.Status)
		}
		link := env.api(http.MethodPost, "/api/v1/releases/"+d.ID+"/preview-links", token, `{"email":"reporter@example.com"}`)
		var pl struct {
			URL string `json:"url"`
		}
		_ = json.Unmarshal([]byte(link.Body), &pl)
		pv := anon.get(pathOf(env, pl.URL))
		signed := regexp.MustCompile(`<img src="([^"]+/large\?d=[^"]+)" alt="The riverbed in July" width="1600" height="1000">`).FindStringSubmatch(pv.Body)
		if signed == nil {
			t.Fatalf("preview has no signed inline image: %s", pv.Body)
		}
		if r := anon.get(pathOf(env, strings.ReplaceAll(signed[1], "&amp;", "&"))); r.Status != http.StatusOK {
			t.Errorf("signed inline image: %d", r.Status)
		}

		// The email under embargo: an absolute URL signed for the release, 552
		// px wide, that the journalist's mail client can load before the lift.
		s := &models.Send{ID: "x", DocumentID: d.ID, Revision: d.ApprovedRevision, Kind: d.Kind}
		content, err := jobs.ComposeSend(ctx, env.db.Gorm, s, env.cfg.BaseURL.String(), env.cfg.MediaKey(), env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		mailed := regexp.MustCompile(`<img src="(` + regexp.QuoteMeta(large) + `\?d=[^"]+)" alt="The riverbed in July" width="552" height="345">`).FindStringSubmatch(content.Journalist.HTML)
		if mailed == nil {
			t.Fatalf("the embargoed email has no signed photo:\n%s", content.Journalist.HTML)
		}
		if r := anon.get(pathOf(env, strings.ReplaceAll(mailed[1], "&amp;", "&"))); r.Status != http.StatusOK {
			t.Errorf("the embargoed email's photo does not load before the lift: %d", r.Status)
		}

		env.clock.Set(lift)
		deadline := time.Now().Add(3 * time.Second)
		var page response
		for time.Now().Before(deadline) {
			if page = anon.get("/news/" + *d.Slug); page.Status == http.StatusOK {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if want := `<img src="` + large + `" alt="The riverbed in July" width="1600" height="1000">`; !strings.Contains(page.Body, want) {
			t.Errorf("page lacks %s", want)
		}
		if r := anon.get(pathOf(env, large)); r.Status != http.StatusOK {
			t.Errorf("inline image after the lift: %d", r.Status)
		}
		if api := anon.get("/api/v1/public/releases/" + *d.Slug); !strings.Contains(api.Body, `width=\"1600\"`) {
			t.Errorf("public API body_html lacks the image: %s", api.Body)
		}
		// Once public, an email shows the public URL.
		content, err = jobs.ComposeSend(ctx, env.db.Gorm, s, env.cfg.BaseURL.String(), env.cfg.MediaKey(), env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if want := `<img src="` + large + `" alt="The riverbed in July" width="552" height="345">`; !strings.Contains(content.Journalist.HTML, want) {
			t.Errorf("the email after the lift lacks %s", want)
		}
	})
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
