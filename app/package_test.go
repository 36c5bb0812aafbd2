package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

type packageResp struct {
	CampaignID string  `json:"campaign_id"`
	AlertID    *string `json:"alert_id"`
	PetitionID *string `json:"petition_id"`
}

// approveAlert takes an alert through submission and both approvals.
func approveAlert(t *testing.T, env *testEnv, id string) *models.Document {
	t.Helper()
	ctx := context.Background()
	if _, err := models.SubmitDocument(ctx, env.db.Gorm, env.users[models.RoleCampaigner], id, false, env.clock.Now()); err != nil {
		t.Fatal(err)
	}
	var res *models.ApproveResult
	for _, u := range []*models.User{env.users[models.RoleApprover], env.legal} {
		var err error
		if res, err = models.ApproveDocument(ctx, env.db.Gorm, u, id, "", env.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return res.Document
}

// TestPackageFromEmbargoedRelease: from an approved release under embargo,
// one API call makes a campaign, an action alert draft and a petition draft
// linked to it; after each part's own approval both stay off every public
// surface until the release's embargo lifts, and are public within 2 s after.
func TestPackageFromEmbargoedRelease(t *testing.T) {
	run(t, envOptions{work: true, serial: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		embargo := env.clock.Now().Add(time.Hour)
		rel := env.publish(t, "Wombat exports condemned", "The government sold them.", &embargo, nil)
		if rel.Status != models.StatusScheduled {
			t.Fatalf("release is %s", rel.Status)
		}
		camp, press, viewer := env.token(models.RoleCampaigner), env.token(models.RolePressOfficer), env.token(models.RoleViewer)
		path := "/api/v1/releases/" + rel.ID + "/package"
		var tids []string
		for _, tb := range []string{
			`{"name":"Minister of Wombats","title":"Minister","organisation":"Ministry of Trade","country":"GB","email":"minister@trade.example","salutation":"Dear Minister"}`,
			`{"name":"Export Licensing Unit","country":"GB","email":"elu@trade.example"}`,
		} {
			r := env.api("POST", "/api/v1/targets", camp, tb)
			if r.Status != http.StatusCreated {
				t.Fatalf("create target = %d %s", r.Status, r.Body)
			}
			tids = append(tids, decode[struct{ ID string }](t, r.Body).ID)
		}
		body := `{"alert":true,"petition":true,"targets":["` + tids[0] + `","` + tids[1] + `"],"demand":"Stop every wombat export licence."}`
		for _, tc := range []struct {
			name, token, path, body string
			want                    int
		}{
			{"press officer", press, path, body, http.StatusForbidden},
			{"viewer", viewer, path, body, http.StatusForbidden},
			{"no token", "", path, body, http.StatusUnauthorized},
			{"unknown release", camp, "/api/v1/releases/nosuchrelease/package", body, http.StatusNotFound},
			{"no demand", camp, path, `{"alert":true,"petition":true,"demand":"  "}`, http.StatusUnprocessableEntity},
			{"read-only field", camp, path, `{"demand":"D.","campaign_id":"x"}`, http.StatusBadRequest},
			{"unknown target", camp, path, `{"demand":"D.","targets":["Minister of Wombats"]}`, http.StatusUnprocessableEntity},
		} {
			if r := env.api("POST", tc.path, tc.token, tc.body); r.Status != tc.want {
				t.Errorf("%s = %d %s, want %d", tc.name, r.Status, r.Body, tc.want)
			}
		}
		draft, _ := models.CreateDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], models.DocumentInput{Kind: models.KindPressRelease, Headline: ptr("Not approved")}, env.clock.Now())
		if r := env.api("POST", "/api/v1/releases/"+draft.ID+"/package", camp, body); r.Status != http.StatusConflict || !strings.Contains(r.Body, "approved press release") {
			t.Errorf("draft release = %d %s", r.Status, r.Body)
		}

		r := env.api("POST", path, camp, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("package = %d %s", r.Status, r.Body)
		}
		pkg := decode[packageResp](t, r.Body)
		if pkg.CampaignID == "" || pkg.AlertID == nil || pkg.PetitionID == nil {
			t.Fatalf("package %s", r.Body)
		}
		cmp, err := models.CampaignByID(ctx, env.db.Gorm, pkg.CampaignID)
		if err != nil || cmp.Name != "Wombat exports condemned" {
			t.Fatalf("campaign %+v %v", cmp, err)
		}
		alert, _ := models.DocumentByID(ctx, env.db.Gorm, *pkg.AlertID)
		if alert.Kind != models.KindActionAlert || alert.Status != models.StatusDraft || deref(alert.FollowsReleaseID) != rel.ID || deref(alert.CampaignID) != cmp.ID ||
			alert.Series.Code != "UA" || alert.Revision.Standfirst != "Stop every wombat export licence." {
			t.Fatalf("alert %+v rev %+v", alert, alert.Revision)
		}
		if a := alert.Revision.Content().Action; a == nil || strings.Join(a.TargetIDs, ",") != tids[0]+","+tids[1] || a.LetterBody != "Stop every wombat export licence." {
			t.Fatalf("alert action %+v", a)
		}
		pet, _ := models.PetitionByID(ctx, env.db.Gorm, *pkg.PetitionID)
		if pet.Status != models.PetitionDraft || deref(pet.ReleaseID) != rel.ID || !pet.OpenOnEmbargoLift || deref(pet.CampaignID) != cmp.ID ||
			pet.Demand != "Stop every wombat export licence." || pet.Target != "Minister of Wombats, Minister, Ministry of Trade\nExport Licensing Unit" {
			t.Fatalf("petition %+v", pet)
		}
		if got, _ := models.DocumentByID(ctx, env.db.Gorm, rel.ID); deref(got.CampaignID) != cmp.ID || got.Status != models.StatusScheduled || got.CurrentRevision != rel.CurrentRevision {
			t.Fatalf("release after the package: campaign %v status %s", got.CampaignID, got.Status)
		}
		// The package's own view says what each part still needs.
		parts := env.api("GET", path, viewer, "")
		if parts.Status != http.StatusOK || !strings.Contains(parts.Body, `"needs":["submitting for approval"]`) || !strings.Contains(parts.Body, `"needs":["opening (its approval)"]`) {
			t.Fatalf("package parts = %d %s", parts.Status, parts.Body)
		}

		// Each part's own approval: the alert's sign-off, the petition's opening.
		if a := approveAlert(t, env, alert.ID); a.Status != models.StatusScheduled || a.EmbargoAt == nil || !a.EmbargoAt.Equal(embargo) {
			t.Fatalf("approved alert is %s (embargo %v), want scheduled with the release's embargo", a.Status, a.EmbargoAt)
		}
		if r := env.api("POST", "/api/v1/petitions/"+pet.ID+"/open", camp, ""); r.Status != http.StatusOK {
			t.Fatalf("open petition = %d %s", r.Status, r.Body)
		}
		alert, _ = models.DocumentByID(ctx, env.db.Gorm, alert.ID)
		aslug := *alert.Slug
		anon := env.browser()
		signed := 0
		surfaces := func() map[string]bool {
			vis := map[string]bool{}
			get := func(p string) response { return anon.get(p) }
			vis["alert page"] = get("/news/"+aslug).Status == http.StatusOK
			vis["action page"] = get("/a/"+aslug).Status == http.StatusOK
			// Actions are listed apart from press releases, and the sitemap
			// index points to its pages of releases.
			vis["alert in listing"] = strings.Contains(get("/actions").Body, aslug)
			vis["alert in feed"] = strings.Contains(get("/actions/feed.atom").Body, aslug)
			vis["alert in sitemap"] = strings.Contains(get("/sitemap/releases.xml").Body, aslug)
			vis["alert in search"] = strings.Contains(get("/news/search?q=wombat").Body, aslug)
			vis["alert in public API"] = get("/api/v1/public/releases/"+aslug).Status == http.StatusOK
			vis["alert in public API list"] = strings.Contains(get("/api/v1/public/releases").Body, aslug)
			vis["alert by index"] = get("/news/index/"+models.IndexPath(*alert.IndexNumber)).Status != http.StatusNotFound
			vis["petition page"] = get("/p/"+pet.Slug).Status == http.StatusOK
			vis["petition counter"] = get("/p/"+pet.Slug+"/count.json").Status == http.StatusOK
			vis["petition widget"] = get("/p/"+pet.Slug+"/embed").Status == http.StatusOK
			camp := get("/c/" + cmp.Slug)
			vis["campaign page"] = camp.Status == http.StatusOK && (strings.Contains(camp.Body, "/p/"+pet.Slug) || strings.Contains(camp.Body, aslug))
			if s := signAPI(t, env, pet.Slug, `{"name":"Early","email":"early`+string(rune('a'+signed))+`@example.org","country":"GB"}`); s.Status == http.StatusAccepted {
				vis["signing"] = true
			}
			signed++
			return vis
		}
		for k, v := range surfaces() {
			if v {
				t.Errorf("before the lift, %s shows the package", k)
			}
		}
		if n := len(signatureRows(t, env, pet.ID)); n != 0 {
			t.Fatalf("%d signatures taken under embargo", n)
		}

		env.clock.Set(embargo)
		start := time.Now()
		var hidden []string
		for time.Since(start) < 2*time.Second {
			hidden = hidden[:0]
			for k, v := range surfaces() {
				if !v {
					hidden = append(hidden, k)
				}
			}
			if len(hidden) == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(hidden) > 0 {
			t.Fatalf("2 s after the lift still hidden: %v", hidden)
		}
		t.Logf("alert and petition public everywhere %v after the embargo time", time.Since(start).Round(time.Millisecond))
		if a, _ := models.DocumentByID(ctx, env.db.Gorm, alert.ID); !a.PublishedAt.Equal(embargo) {
			t.Errorf("alert published_at %v, want the embargo time", a.PublishedAt)
		}
	})
}

// TestPackageAlertFollowsMovedEmbargo: the alert follows the release's
// embargo when it moves after the alert was approved: later (it stays hidden
// past the old time) and then earlier than the alert's own copy (it goes out
// with the release).
func TestPackageAlertFollowsMovedEmbargo(t *testing.T) {
	run(t, envOptions{work: true, serial: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		first := env.clock.Now().Add(time.Hour)
		rel := env.publish(t, "Embargo on the move", "Body.", &first, nil)
		camp := env.token(models.RoleCampaigner)
		pkg := decode[packageResp](t, env.api("POST", "/api/v1/releases/"+rel.ID+"/package", camp, `{"petition":false,"demand":"Act now."}`).Body)
		if pkg.AlertID == nil || pkg.PetitionID != nil {
			t.Fatalf("package %+v", pkg)
		}
		alert := approveAlert(t, env, *pkg.AlertID)
		if alert.Status != models.StatusScheduled {
			t.Fatalf("alert %s", alert.Status)
		}
		// The press office moves the embargo an hour later: the release goes
		// back to review and is approved again.
		reapprove := func(at time.Time) {
			t.Helper()
			ap := &at
			press := env.users[models.RolePressOfficer]
			if _, err := models.UpdateDocument(ctx, env.db.Gorm, press, rel.ID, models.DocumentInput{EmbargoAt: &ap}, env.clock.Now()); err != nil {
				t.Fatal(err)
			}
			for _, u := range []*models.User{env.users[models.RoleApprover], env.legal} {
				if _, err := models.ApproveDocument(ctx, env.db.Gorm, u, rel.ID, "", env.clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
		}
		later := first.Add(time.Hour)
		reapprove(later)
		if a, _ := models.DocumentByID(ctx, env.db.Gorm, alert.ID); a.EmbargoAt == nil || !a.EmbargoAt.Equal(later) {
			t.Fatalf("alert embargo %v after the release moved to %v", a.EmbargoAt, later)
		}
		anon := env.browser()
		env.clock.Set(first.Add(time.Minute))
		time.Sleep(1500 * time.Millisecond) // more than one publishing sweep
		if r := anon.get("/news/" + *alert.Slug); r.Status != http.StatusNotFound {
			t.Fatalf("the alert went out at the old embargo time: %d", r.Status)
		}
		// Then earlier again (but still ahead of now), then lifted.
		sooner := first.Add(30 * time.Minute)
		reapprove(sooner)
		env.clock.Set(sooner)
		deadline := time.Now().Add(2 * time.Second)
		for anon.get("/news/"+*alert.Slug).Status != http.StatusOK {
			if time.Now().After(deadline) {
				t.Fatal("the alert was not public 2 s after the moved embargo lifted")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if r := anon.get("/news/" + *rel.Slug); r.Status != http.StatusOK {
			t.Fatalf("release %d", r.Status)
		}
	})
}

// TestLaunchCampaignButton: the approved release's page offers campaigners
// one "Launch campaign" button (a CSRF form); one click makes the package and
// lands on a page showing the three parts and what each still needs. Press
// officers see no button; the package page refuses them the launch (403).
func TestLaunchCampaignButton(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		embargo := env.clock.Now().Add(time.Hour)
		rel := env.publish(t, "Button release", "Body.", &embargo, func(in *models.DocumentInput) {
			in.Standfirst = ptr("Release the detained journalists now. More follows.")
		})
		pressB := env.login(models.RolePressOfficer)
		if page := pressB.get("/admin/releases/" + rel.ID); strings.Contains(page.Body, "Launch campaign") {
			t.Error("a press officer sees the Launch campaign button")
		}
		if r := pressB.post("/admin/releases/"+rel.ID, "/admin/releases/"+rel.ID+"/package", url.Values{"demand": {"X."}}); r.Status != http.StatusForbidden {
			t.Errorf("press officer launch = %d", r.Status)
		}
		b := env.login(models.RoleCampaigner)
		page := b.get("/admin/releases/" + rel.ID)
		if page.Status != http.StatusOK || !strings.Contains(page.Body, `action="/admin/releases/`+rel.ID+`/package"`) || !strings.Contains(page.Body, "Launch campaign") ||
			!strings.Contains(page.Body, `value="Release the detained journalists now."`) {
			t.Fatalf("release page %d has no Launch campaign form", page.Status)
		}
		r := b.post("/admin/releases/"+rel.ID, "/admin/releases/"+rel.ID+"/package", url.Values{"demand": {"Release the detained journalists now."}})
		if r.Status != http.StatusSeeOther || r.Location != "/admin/releases/"+rel.ID+"/package" {
			t.Fatalf("launch = %d → %q", r.Status, r.Location)
		}
		land := b.get(r.Location)
		for _, want := range []string{"Press release:", "Action alert:", "Petition:", "Still needs: <strong>its embargo to lift</strong>",
			"<strong>submitting for approval</strong>", "<strong>targets</strong>", "<strong>opening (its approval)</strong>"} {
			if !strings.Contains(land.Body, want) {
				t.Errorf("package page lacks %q", want)
			}
		}
		if page := b.get("/admin/releases/" + rel.ID); !strings.Contains(page.Body, "Campaign package</a>") || strings.Contains(page.Body, `<button type="submit">Launch campaign</button>`) {
			t.Error("after the launch the release page should link to the package, not offer the button again")
		}
		// A bad demand keeps the input and says why, next to the field.
		tg, err := models.CreateTarget(context.Background(), env.db.Gorm, env.users[models.RoleCampaigner], models.TargetInput{Name: ptr("Keep Me Ticked"), Country: ptr("GB"), Email: ptr("kmt@gov.example")}, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		r = b.post("/admin/releases/"+rel.ID+"/package", "/admin/releases/"+rel.ID+"/package", url.Values{"demand": {strings.Repeat("x", 301)}, "targets": {tg.ID}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="demand-error"`) || !strings.Contains(r.Body, `value="`+tg.ID+`" checked> Keep Me Ticked`) {
			t.Errorf("bad demand = %d", r.Status)
		}
	})
}

// TestPackageAlertOfWithdrawnRelease: when the press release a package was
// made from is withdrawn before its alert is approved, the last approval is
// refused with the reason, and the alert stays off every public surface: it
// must not go out on the strength of a release the organisation took back.
func TestPackageAlertOfWithdrawnRelease(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		rel := env.publish(t, "Claims we took back", "Body.", nil, nil)
		camp := env.token(models.RoleCampaigner)
		pkg := decode[packageResp](t, env.api("POST", "/api/v1/releases/"+rel.ID+"/package", camp, `{"petition":false,"demand":"Act now."}`).Body)
		if pkg.AlertID == nil {
			t.Fatalf("package %+v", pkg)
		}
		if _, err := models.WithdrawDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], rel.ID, "The figures were wrong.", env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := models.SubmitDocument(ctx, env.db.Gorm, env.users[models.RoleCampaigner], *pkg.AlertID, false, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		var err error
		for _, u := range []*models.User{env.users[models.RoleApprover], env.legal} {
			if _, err = models.ApproveDocument(ctx, env.db.Gorm, u, *pkg.AlertID, "", env.clock.Now()); err != nil {
				break
			}
		}
		var ve *models.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(fmt.Sprint(ve.Fields), "withdrawn") {
			t.Fatalf("approving the alert of a withdrawn release: %v, want a refusal naming the withdrawal", err)
		}
		alert, _ := models.DocumentByID(ctx, env.db.Gorm, *pkg.AlertID)
		if alert.Public(env.clock.Now()) || alert.Status == models.StatusScheduled {
			t.Fatalf("alert is %s", alert.Status)
		}
		time.Sleep(1200 * time.Millisecond) // more than one publishing sweep
		if alert.Slug != nil {
			if r := env.browser().get("/news/" + *alert.Slug); r.Status != http.StatusNotFound {
				t.Fatalf("the alert of a withdrawn release is public: %d", r.Status)
			}
		}
	})
}
