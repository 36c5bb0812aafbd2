package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"pressroom/models"
)

// TestEditorPicksMediaFromTheLibrary: the release editor offers the
// library's photos as lead images by title, credit and size, and its
// documents as attachments by title, type and size, so nobody copies an ID;
// the choice is saved in order, shown as chosen when the editor opens again,
// and clearing both removes them. A lead image that is not a library photo is
// shown back with the reason, not silently dropped.
func TestEditorPicksMediaFromTheLibrary(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		token := env.token(models.RolePressOfficer)
		court := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Court steps", "credit": "Photo: Amal K.", "alt_text": "Lawyers on steps"}, "court.jpg", exifJPEG(t, 640, 480)))
		river := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Dry river", "alt_text": "A cracked riverbed"}, "river.jpg", exifJPEG(t, 320, 200)))
		report := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Annual report"}, "report.pdf", []byte(testPDF)))
		brief := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Briefing"}, "brief.pdf", []byte(testPDF+"%brief\n")))

		b := env.login(models.RolePressOfficer)
		form := b.get("/admin/releases/new")
		for _, want := range []string{
			`<select id="lead_image_id" name="lead_image_id"`,
			`<option value="">No lead image</option>`,
			`<option value="` + court.ID + `">Court steps — Photo: Amal K. (640 × 480 px)</option>`,
			`<option value="` + river.ID + `">Dry river (320 × 200 px)</option>`,
			`<input type="checkbox" name="attachment_ids" value="` + report.ID + `"> Annual report (PDF, 73 bytes)`,
			`<input type="checkbox" name="attachment_ids" value="` + brief.ID + `"> Briefing (PDF, 80 bytes)`,
		} {
			if !strings.Contains(form.Body, want) {
				t.Errorf("the editor lacks %s", want)
			}
		}
		if strings.Contains(form.Body, `name="attachment_ids" value="`+court.ID+`"`) || strings.Contains(form.Body, `<option value="`+report.ID+`"`) {
			t.Errorf("a photo is offered as an attachment, or a document as the lead image")
		}

		d, err := models.CreateDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], models.DocumentInput{Kind: models.KindPressRelease,
			Headline: ptr("Rivers run dry"), Body: ptr("Words.")}, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		edit := "/admin/releases/" + d.ID + "/edit"
		base := map[string][]string{"headline": {"Rivers run dry"}, "body": {"Words."}, "media_fields": {"1"}}
		with := func(rev string, lead string, att ...string) map[string][]string {
			f := map[string][]string{"base_revision": {rev}, "lead_image_id": {lead}, "attachment_ids": att}
			for k, v := range base {
				f[k] = v
			}
			return f
		}
		if r := b.post(edit, "/admin/releases/"+d.ID, with("1", river.ID, brief.ID, report.ID)); r.Status != http.StatusSeeOther {
			t.Fatalf("save with media: %d %s", r.Status, r.Body)
		}
		got, _ := models.DocumentByID(ctx, env.db.Gorm, d.ID)
		if c := got.Revision.Content(); c.LeadImageID != river.ID || strings.Join(c.AttachmentIDs, ",") != brief.ID+","+report.ID {
			t.Fatalf("saved media: lead %q, attachments %v", c.LeadImageID, c.AttachmentIDs)
		}
		// The library's item pages say where each is used, and who uploaded it.
		item := b.get("/admin/media-library/" + river.ID)
		press := env.users[models.RolePressOfficer]
		if !strings.Contains(item.Body, `<a href="/admin/releases/`+d.ID+`">Rivers run dry</a> (lead image;`) || !strings.Contains(item.Body, " by "+press.Name) {
			t.Errorf("the photo's page lacks its use in the release or its uploader:\n%s", item.Body)
		}
		if item := b.get("/admin/media-library/" + report.ID); !strings.Contains(item.Body, `<a href="/admin/releases/`+d.ID+`">Rivers run dry</a> (attachment;`) {
			t.Errorf("the report's page does not list the release it is attached to")
		}
		if item := b.get("/admin/media-library/" + court.ID); !strings.Contains(item.Body, "No release or action uses this item.") {
			t.Errorf("an unused photo's page claims a use")
		}
		again := b.get(edit)
		for _, want := range []string{
			`<option value="` + river.ID + `" selected>Dry river (320 × 200 px)</option>`,
			`value="` + brief.ID + `" checked>`, `value="` + report.ID + `" checked>`,
			`src="/admin/media-library/` + river.ID + `/thumb"`,
		} {
			if !strings.Contains(again.Body, want) {
				t.Errorf("the editor, opened again, lacks %s", want)
			}
		}
		// Chosen attachments come first, in their order.
		if i, j := strings.Index(again.Body, `value="`+brief.ID+`" checked`), strings.Index(again.Body, `value="`+report.ID+`" checked`); i > j {
			t.Errorf("attachments are not listed in their order")
		}

		// A document's id as the lead image (an old bookmark, the API's
		// habit) comes back selected, with the reason beside the field.
		bad := b.post(edit, "/admin/releases/"+d.ID, with("2", report.ID))
		if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "is a document, not an image") ||
			!strings.Contains(bad.Body, `<option value="`+report.ID+`" selected>`) {
			t.Errorf("a document as lead image: %d", bad.Status)
		}

		// Clearing both removes them.
		if r := b.post(edit, "/admin/releases/"+d.ID, with("2", "")); r.Status != http.StatusSeeOther {
			t.Fatalf("clear media: %d %s", r.Status, r.Body)
		}
		got, _ = models.DocumentByID(ctx, env.db.Gorm, d.ID)
		if c := got.Revision.Content(); c.LeadImageID != "" || len(c.AttachmentIDs) != 0 {
			t.Fatalf("media after clearing: lead %q, attachments %v", c.LeadImageID, c.AttachmentIDs)
		}
	})
}
