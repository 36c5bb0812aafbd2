package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"pressroom/models"
)

// TestOrganisationSettings: an admin names the organisation and picks the
// default supporter list; the newsroom's masthead shows the name and every
// newsroom page links to the signup, which without a list joins the default
// one. Only an admin may change them.
func TestOrganisationSettings(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		list, err := models.CreateSupporterList(ctx, env.db.Gorm, "Alerts", "")
		if err != nil {
			t.Fatal(err)
		}
		admin := env.login(models.RoleAdmin)
		// Without a default list, plain signups would join no list: Settings says so.
		const noDefault = "No default list: people who sign up with “Get our alerts” join no list, so no send to a list reaches them."
		if page := admin.get("/admin/settings"); !strings.Contains(page.Body, noDefault) {
			t.Error("settings without a default supporter list do not warn that plain signups reach no list")
		}
		if r := admin.post("/admin/settings", "/admin/settings/organisation", url.Values{"organisation_name": {""}, "default_supporter_list_id": {"nope"}}); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, "Enter the organisation&#39;s name") || !strings.Contains(r.Body, "Choose one of the supporter lists.") {
			t.Fatalf("invalid settings: %d", r.Status)
		}
		r := admin.post("/admin/settings", "/admin/settings/organisation", url.Values{"organisation_name": {"Freedonia Rights Watch"}, "default_supporter_list_id": {list.ID}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save settings: %d %s", r.Status, r.Body)
		}
		if page := admin.get("/admin/settings"); !strings.Contains(page.Body, `value="Freedonia Rights Watch"`) || !strings.Contains(page.Body, `value="`+list.ID+`" selected`) {
			t.Fatal("settings page does not show the saved settings")
		}
		if page := admin.get("/admin/settings"); strings.Contains(page.Body, noDefault) {
			t.Error("settings with a default list still warn that there is none")
		}
		press := env.login(models.RolePressOfficer)
		if r := press.post("/admin", "/admin/settings/organisation", url.Values{"organisation_name": {"Hijacked"}}); r.Status != http.StatusForbidden {
			t.Fatalf("press officer saves settings: %d", r.Status)
		}

		anon := env.browser()
		for _, path := range []string{"/news", "/news/search", "/subscribe"} {
			page := anon.get(path)
			if page.Status != http.StatusOK {
				t.Errorf("%s: status %d", path, page.Status)
			}
			if !strings.Contains(page.Body, "Freedonia Rights Watch") || strings.Contains(page.Body, ">Pressroom <span") {
				t.Errorf("%s: masthead lacks the organisation's name", path)
			}
			if !strings.Contains(page.Body, `<a href="/subscribe" class="alerts-link">Get our alerts</a>`) {
				t.Errorf("%s: no Get our alerts link", path)
			}
		}
		if r := anon.post("/subscribe", "/subscribe", url.Values{"email": {"new@example.org"}, "name": {"New"}, "consent": {"yes"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("subscribe: %d %s", r.Status, r.Body)
		}
		var tok models.SubscriptionToken
		if err := env.db.Gorm.Joins("JOIN supporters ON supporters.id = subscription_tokens.supporter_id").Where("supporters.email = ?", "new@example.org").First(&tok).Error; err != nil {
			t.Fatal(err)
		}
		if tok.ListID == nil || *tok.ListID != list.ID {
			t.Fatalf("plain signup joins list %v, want the default %s", tok.ListID, list.ID)
		}

		// The list's signup page and embed snippet are one click from the lists page.
		camp := env.login(models.RoleCampaigner)
		lists := camp.get("/admin/supporters/lists")
		if !strings.Contains(lists.Body, `href="/admin/supporters/lists/`+list.ID+`/signup"`) {
			t.Fatal("lists page has no link to the list's signup page")
		}
		signup := camp.get("/admin/supporters/lists/" + list.ID + "/signup")
		if signup.Status != http.StatusOK || !strings.Contains(signup.Body, "/subscribe?list="+list.ID) || !strings.Contains(signup.Body, "&lt;a href=") || !strings.Contains(signup.Body, "default list") {
			t.Fatalf("signup page: %d", signup.Status)
		}
	})
}
