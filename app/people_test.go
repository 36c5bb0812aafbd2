package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"pressroom/models"
)

// peopleAudits lists the audit events of bulk reads of personal data, oldest
// first.
func peopleAudits(t *testing.T, env *testEnv) []models.AuditEvent {
	t.Helper()
	var evs []models.AuditEvent
	if err := env.db.Gorm.Where("action IN ?", []string{"supporters_read", "supporters_exported", "media_read", "media_exported"}).
		Order("id").Find(&evs).Error; err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestPersonalDataFollowsOneRule: supporters are listed (API, admin page,
// search, export) only to campaigners and admins, media contacts only to press
// officers and admins; everyone else sees counts, not people. Every bulk read —
// a page past the first, search results past the first, an export — is audited
// with the reader, their IP, the filter and the count; the first page is not.
func TestPersonalDataFollowsOneRule(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		sl, err := models.CreateSupporterList(ctx, env.db.Gorm, "Activists", "")
		if err != nil {
			t.Fatal(err)
		}
		ml, err := models.CreateMediaList(ctx, env.db.Gorm, "Foreign desks", "")
		if err != nil {
			t.Fatal(err)
		}
		camp, press := env.token(models.RoleCampaigner), env.token(models.RolePressOfficer)
		csv := "email,name,country,consent_source,consent_at\n"
		for i := range 3 {
			csv += fmt.Sprintf("supporter%d@example.net,Supporter %d,GB,petition,2026-07-01\n", i, i)
		}
		if r := env.api("POST", "/api/v1/supporter-lists/"+sl.ID+"/import", camp, csv); r.Status != http.StatusOK {
			t.Fatalf("supporter import: %d %s", r.Status, r.Body)
		}
		if r := env.api("POST", "/api/v1/media-lists/"+ml.ID+"/import", press, "email,name,outlet\njo@news.example,Jo,Daily\nal@news.example,Al,Daily\n"); r.Status != http.StatusOK {
			t.Fatalf("media import: %d %s", r.Status, r.Body)
		}

		// Who may list whom, through the API and the admin pages.
		for _, role := range models.Roles {
			tok, b := env.token(role), env.login(role)
			readsSupporters := role == models.RoleAdmin || role == models.RoleCampaigner
			readsContacts := role == models.RoleAdmin || role == models.RolePressOfficer
			for _, c := range []struct {
				path    string
				allowed bool
			}{{"/api/v1/supporters", readsSupporters}, {"/api/v1/supporters?q=supporter1", readsSupporters}, {"/api/v1/contacts", readsContacts}} {
				r := env.api("GET", c.path, tok, "")
				if c.allowed && (r.Status != http.StatusOK || !strings.Contains(r.Body, "@")) {
					t.Errorf("GET %s as %s = %d, want the people", c.path, role, r.Status)
				}
				if !c.allowed && (r.Status != http.StatusForbidden || strings.Contains(r.Body, "example.net") || strings.Contains(r.Body, "news.example")) {
					t.Errorf("GET %s as %s = %d %s, want 403 and nobody", c.path, role, r.Status, r.Body)
				}
			}
			for _, c := range []struct {
				path, address, count string
				allowed              bool
			}{{"/admin/supporters?q=supporter1", "supporter1@example.net", "3 supporters", readsSupporters}, {"/admin/media", "jo@news.example", "2 contacts", readsContacts}} {
				r := b.get(c.path)
				if r.Status != http.StatusOK {
					t.Errorf("GET %s as %s = %d", c.path, role, r.Status)
					continue
				}
				if c.allowed && !strings.Contains(r.Body, c.address) {
					t.Errorf("GET %s as %s does not list %s", c.path, role, c.address)
				}
				// Counts, not people; a search by address is ignored, so it cannot
				// tell whether someone is on the list.
				if !c.allowed && (strings.Contains(r.Body, c.address) || !strings.Contains(r.Body, `id="counts-only"`) || !strings.Contains(r.Body, c.count)) {
					t.Errorf("GET %s as %s shows people or no count:\n%s", c.path, role, r.Body)
				}
			}
			var sup models.Supporter
			env.db.Gorm.First(&sup, "email = ?", "supporter0@example.net")
			if r := b.get("/admin/supporters/" + sup.ID); (r.Status == http.StatusOK) != readsSupporters || (!readsSupporters && r.Status != http.StatusForbidden) {
				t.Errorf("supporter page as %s = %d", role, r.Status)
			}
			cs, _ := models.Contacts(ctx, env.db.Gorm, models.MediaFilter{}, 1, "")
			if r := b.get("/admin/media/contacts/" + cs[0].ID); (r.Status == http.StatusOK) != readsContacts || (!readsContacts && r.Status != http.StatusForbidden) {
				t.Errorf("contact page as %s = %d", role, r.Status)
			}
		}
		if evs := peopleAudits(t, env); len(evs) != 0 {
			t.Fatalf("first pages were audited as bulk reads: %+v", evs)
		}

		// Paging on is a bulk read: audited with actor, IP, filter and count,
		// without the cursor (it encodes an address).
		page := decode[struct {
			NextCursor *string `json:"next_cursor"`
		}](t, env.api("GET", "/api/v1/supporters?limit=1&country=GB", camp, "").Body)
		if page.NextCursor == nil {
			t.Fatal("no next page")
		}
		if r := env.api("GET", "/api/v1/supporters?limit=1&country=GB&cursor="+*page.NextCursor, camp, ""); r.Status != http.StatusOK {
			t.Fatalf("page 2: %d %s", r.Status, r.Body)
		}
		evs := peopleAudits(t, env)
		if len(evs) != 1 {
			t.Fatalf("audit after page 2 = %+v, want one event", evs)
		}
		ev := evs[0]
		if ev.Action != "supporters_read" || ev.ActorID == nil || *ev.ActorID != env.users[models.RoleCampaigner].ID || ev.IP == "" ||
			!strings.Contains(ev.Details, "country=GB") || !strings.Contains(ev.Details, "limit=1") || !strings.Contains(ev.Details, "(1 supporters)") ||
			strings.Contains(ev.Details, *page.NextCursor) {
			t.Errorf("page 2 audit = %+v", ev)
		}
		// Search results past the first page, for contacts.
		cpage := decode[struct {
			NextCursor *string `json:"next_cursor"`
		}](t, env.api("GET", "/api/v1/contacts?q=daily&limit=1", press, "").Body)
		if cpage.NextCursor == nil {
			t.Fatal("no next page of contacts")
		}
		env.api("GET", "/api/v1/contacts?q=daily&limit=1&cursor="+url.QueryEscape(*cpage.NextCursor), press, "")
		// Exports, always.
		if r := env.login(models.RoleCampaigner).get("/admin/supporters/export.csv?list_id=" + sl.ID); r.Status != http.StatusOK || strings.Count(r.Body, "@example.net") != 3 {
			t.Fatalf("export: %d %s", r.Status, r.Body)
		}
		if r := env.login(models.RolePressOfficer).get("/admin/media/export.csv"); r.Status != http.StatusOK {
			t.Fatalf("media export: %d", r.Status)
		}
		evs = peopleAudits(t, env)
		if len(evs) != 4 {
			t.Fatalf("audit = %+v, want 4 bulk reads", evs)
		}
		if ev := evs[1]; ev.Action != "media_read" || *ev.ActorID != env.users[models.RolePressOfficer].ID || !strings.Contains(ev.Details, "search results") ||
			!strings.Contains(ev.Details, "q=daily") || !strings.Contains(ev.Details, "(1 contacts)") {
			t.Errorf("contacts search page 2 audit = %+v", ev)
		}
		if ev := evs[2]; ev.Action != "supporters_exported" || *ev.ActorID != env.users[models.RoleCampaigner].ID || ev.IP == "" ||
			!strings.Contains(ev.Details, "list_id="+sl.ID) || !strings.Contains(ev.Details, "(3 supporters)") {
			t.Errorf("export audit = %+v", ev)
		}
		if ev := evs[3]; ev.Action != "media_exported" || !strings.Contains(ev.Details, "(2 contacts)") {
			t.Errorf("media export audit = %+v", ev)
		}
	})
}

// TestImportRejectsAreTheAudiencesPeople: the rejected rows of an import are
// whole rows of personal data: downloadable only by those who may read that
// audience, and audited as an export.
func TestImportRejectsAreTheAudiencesPeople(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		sl, err := models.CreateSupporterList(ctx, env.db.Gorm, "Activists", "")
		if err != nil {
			t.Fatal(err)
		}
		r := env.api("POST", "/api/v1/supporter-lists/"+sl.ID+"/import", env.token(models.RoleCampaigner), "email,name\nnot-an-address,Secret Name\nok@example.net,Fine\n")
		res := decode[struct {
			ImportID string `json:"import_id"`
		}](t, r.Body)
		if r.Status != http.StatusOK || res.ImportID == "" {
			t.Fatalf("import: %d %s", r.Status, r.Body)
		}
		path := "/admin/imports/" + res.ImportID + "/rejects.csv"
		for _, role := range []models.Role{models.RoleViewer, models.RoleApprover, models.RolePressOfficer} {
			if r := env.login(role).get(path); r.Status != http.StatusForbidden || strings.Contains(r.Body, "Secret Name") {
				t.Errorf("rejects as %s = %d", role, r.Status)
			}
		}
		if evs := peopleAudits(t, env); len(evs) != 0 {
			t.Fatalf("refused downloads audited as reads: %+v", evs)
		}
		if r := env.login(models.RoleCampaigner).get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "Secret Name") {
			t.Fatalf("rejects as campaigner = %d %s", r.Status, r.Body)
		}
		evs := peopleAudits(t, env)
		if len(evs) != 1 || evs[0].Action != "supporters_exported" || *evs[0].ActorID != env.users[models.RoleCampaigner].ID || !strings.Contains(evs[0].Details, "(1 supporters)") {
			t.Errorf("rejects audit = %+v", evs)
		}
	})
}

// TestAddressesOnSendAndSuppressionPages: the addresses a send left out and the
// suppression list are personal data too: a viewer sees neither.
func TestAddressesOnSendAndSuppressionPages(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		ml, err := models.CreateMediaList(ctx, env.db.Gorm, "Foreign desks", "")
		if err != nil {
			t.Fatal(err)
		}
		f := &objectFixtures{env: env, ctx: ctx, media: ml.ID}
		s := f.send(t, models.KindActionAlert, models.SendSent)
		for _, r := range []models.SendRecipient{
			{SendID: s.ID, Kind: models.RecipientSupporter, Email: "gone@example.net", Status: models.RecipientSuppressed, Reason: "unsubscribed"},
			{SendID: s.ID, Kind: models.RecipientJournalist, Email: "bounced@news.example", Status: models.RecipientSuppressed, Reason: "bounced"},
		} {
			if err := env.db.Gorm.Create(&r).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := models.Suppress(ctx, env.db.Gorm, "blocked@example.net", models.SuppressManual, "asked by phone", nil); err != nil {
			t.Fatal(err)
		}
		page := "/admin/sends/" + s.ID
		for role, want := range map[models.Role][]string{
			models.RoleViewer:       nil,
			models.RoleApprover:     nil,
			models.RoleCampaigner:   {"gone@example.net"},
			models.RolePressOfficer: {"bounced@news.example"},
			models.RoleAdmin:        {"gone@example.net", "bounced@news.example"},
		} {
			b := env.login(role)
			r := b.get(page)
			if r.Status != http.StatusOK {
				t.Fatalf("send page as %s = %d", role, r.Status)
			}
			for _, addr := range []string{"gone@example.net", "bounced@news.example"} {
				if shown, allowed := strings.Contains(r.Body, addr), slices.Contains(want, addr); shown != allowed {
					t.Errorf("send page as %s shows %s: %v, want %v", role, addr, shown, allowed)
				}
			}
			r = b.get("/admin/suppressions")
			readsSuppressions := role == models.RoleAdmin || role == models.RoleCampaigner || role == models.RolePressOfficer
			if readsSuppressions && (r.Status != http.StatusOK || !strings.Contains(r.Body, "blocked@example.net")) {
				t.Errorf("suppressions as %s = %d, want the list", role, r.Status)
			}
			if !readsSuppressions && (r.Status != http.StatusForbidden || strings.Contains(r.Body, "blocked@example.net")) {
				t.Errorf("suppressions as %s = %d, want 403", role, r.Status)
			}
		}
	})
}
