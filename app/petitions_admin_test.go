package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"pressroom/models"
)

// TestPetitionAdminPages: a campaigner creates a petition through the form
// (errors beside the fields, input kept), opens it, edits its demand only
// with the confirmation, and finds it on the campaign page; a viewer reads
// without the buttons.
func TestPetitionAdminPages(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		camp := env.login(models.RoleCampaigner)
		cmp, err := models.CreateCampaign(t.Context(), env.db.Gorm, env.users[models.RoleCampaigner], "Free the journalists", "")
		if err != nil {
			t.Fatal(err)
		}
		r := camp.post("/admin/petitions/new", "/admin/petitions", url.Values{"title": {"Free them"}, "goal": {"lots"}, "demand": {"Release them.\nNow."}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="goal-error"`) || !strings.Contains(r.Body, `value="Free them"`) {
			t.Fatalf("bad goal = %d", r.Status)
		}
		r = camp.post("/admin/petitions/new", "/admin/petitions", url.Values{"title": {"Free them"}, "goal": {"500"}, "demand": {"Release them.\nNow."}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="target-error"`) || !strings.Contains(r.Body, `id="demand-error"`) || !strings.Contains(r.Body, `value="Free them"`) {
			t.Fatalf("invalid form = %d", r.Status)
		}
		r = camp.post("/admin/petitions/new", "/admin/petitions", url.Values{"title": {"Free the journalists"}, "target": {"The Interior Minister"},
			"demand": {"Release the three journalists now."}, "goal": {"5,000"}, "language": {"en"}, "campaign_id": {cmp.ID}, "closes_at": {"2026-08-01T18:00"}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/admin/petitions/") {
			t.Fatalf("create = %d %s", r.Status, r.Body)
		}
		page := r.Location
		ps, _ := models.Petitions(t.Context(), env.db.Gorm, models.PetitionFilter{})
		if len(ps) != 1 || ps[0].Goal != 5000 || ps[0].ClosesAt == nil || ps[0].ClosesAt.UTC().Hour() != 17 || ps[0].CampaignID == nil {
			t.Fatalf("stored %+v", ps)
		}
		if r := camp.get(page); r.Status != http.StatusOK || !strings.Contains(r.Body, "Open petition") || !strings.Contains(r.Body, "Sources in the last hour") ||
			!strings.Contains(r.Body, "of 5,000") {
			t.Fatalf("petition page = %d", r.Status)
		}
		if r := camp.post(page, page+"/open", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("open = %d", r.Status)
		}
		if r := env.browser().get("/p/" + ps[0].Slug); r.Status != http.StatusOK {
			t.Fatalf("public page after opening = %d", r.Status)
		}
		edit := url.Values{"title": {"Free the journalists"}, "target": {"The Interior Minister"}, "demand": {"Release the four journalists now."}, "goal": {"5000"}, "language": {"en"}, "campaign_id": {cmp.ID}}
		r = camp.post(page+"/edit", page, edit)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="confirm_text_change-error"`) || !strings.Contains(r.Body, "four journalists") {
			t.Fatalf("unconfirmed demand change = %d", r.Status)
		}
		edit.Set("confirm_text_change", "yes")
		if r := camp.post(page+"/edit", page, edit); r.Status != http.StatusSeeOther {
			t.Fatalf("confirmed change = %d %s", r.Status, r.Body)
		}
		if p, _ := models.PetitionByID(t.Context(), env.db.Gorm, ps[0].ID); p.Demand != "Release the four journalists now." || p.TextUpdatedAt == nil {
			t.Fatalf("after edit %+v", p)
		}
		viewer := env.login(models.RoleViewer)
		if r := viewer.get(page); r.Status != http.StatusOK || strings.Contains(r.Body, "Close petition") {
			t.Fatalf("viewer page = %d (buttons shown: %v)", r.Status, strings.Contains(r.Body, "Close petition"))
		}
		if r := viewer.get("/admin/campaigns/" + cmp.ID); r.Status != http.StatusOK || !strings.Contains(r.Body, page) {
			t.Fatalf("campaign page = %d %s", r.Status, r.Body)
		}
		if r := viewer.get("/admin/petitions"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Free the journalists") {
			t.Fatalf("list = %d", r.Status)
		}
		if r := camp.post(page, page+"/close", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("close = %d", r.Status)
		}
		if r := camp.get(page + "/signatures.csv"); r.Status != http.StatusOK || !strings.HasPrefix(r.Body, "name,country,postcode,signed_at") {
			t.Fatalf("csv = %d", r.Status)
		}
	})
}
