package app_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"pressroom/app"
	"pressroom/jobs"
	"pressroom/models"
)

// callResp is the part of a release the call-to-action tests read.
type callResp struct {
	ID           string  `json:"id"`
	Status       string  `json:"status"`
	Slug         string  `json:"slug"`
	CallToAction *string `json:"call_to_action"`
	Approvals    []any   `json:"approvals"`
}

// The call to action of the tests: an apostrophe, markup and an ampersand,
// which every HTML surface must show as text.
const testCall = "Write to the Minister of Justice before 12 June asking for Sara Ahmed's <b>immediate</b> release & an end to her ill-treatment."

// shownCall is testCall as an HTML page or email shows it, in bold.
var shownCall = "<strong>" + template.HTMLEscapeString(testCall) + "</strong>"

// reapproveAPI gives both approvals to a release already in review, or to a
// published one's pending correction.
func reapproveAPI(t testing.TB, env *testEnv, id string) actionResp {
	t.Helper()
	if r := env.api("POST", "/api/v1/releases/"+id+"/approve", env.token(models.RoleApprover), `{"comment":"ok"}`); r.Status != http.StatusOK {
		t.Fatalf("desk approve = %d %s", r.Status, r.Body)
	}
	r := env.api("POST", "/api/v1/releases/"+id+"/approve", env.legalToken(), `{"comment":"ok"}`)
	if r.Status != http.StatusOK {
		t.Fatalf("legal approve = %d %s", r.Status, r.Body)
	}
	return decode[actionResp](t, r.Body)
}

// TestCallToActionIsApprovedContent: an action alert takes a call to action
// through the API and returns it; line breaks become spaces, an over-long
// one is refused in words, a press release cannot have one. It is approved
// content: changing it on an approved alert sends it back to review with no
// approvals, and on a published one the public pages (cached) keep the
// approved call until the correction is approved; the approvers' diff shows
// the change.
func TestCallToActionIsApprovedContent(t *testing.T) {
	run(t, envOptions{versionTTL: app.DefaultNewsroomVersionTTL}, func(t *testing.T, env *testEnv) {
		camp := env.token(models.RoleCampaigner)
		minister := newTarget(t, env, camp, `{"name":"Omar Marwan","salutation":"Dear Minister","email":"minister@justice.example.gov","country":"EG"}`)
		r := env.api("POST", "/api/v1/releases", camp, `{"kind":"action_alert","headline":"Free Sara Ahmed","body":"Case background.","targets":["`+minister.ID+`"],
			"letter_subject":"Release Sara Ahmed","letter_body":"I urge you to release her.","call_to_action":"  Write to the Minister\nbefore 12 June.  "}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create = %d %s", r.Status, r.Body)
		}
		a := decode[callResp](t, r.Body)
		if a.CallToAction == nil || *a.CallToAction != "Write to the Minister before 12 June." {
			t.Fatalf("created %s, want the call to action on one line", r.Body)
		}
		if got := decode[callResp](t, env.api("GET", "/api/v1/releases/"+a.ID, camp, "").Body); got.CallToAction == nil || *got.CallToAction != "Write to the Minister before 12 June." {
			t.Errorf("read back call_to_action is not the stored one")
		}
		long := strings.Repeat("Write now. ", 28) // 307 characters
		r = env.api("PATCH", "/api/v1/releases/"+a.ID, camp, `{"call_to_action":"`+long+`"}`)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"call_to_action":"is too long: keep it to one or two sentences (at most 300 characters; it has 307)"`) {
			t.Errorf("an over-long call to action = %d %s", r.Status, r.Body)
		}
		if r := env.api("POST", "/api/v1/releases", env.token(models.RolePressOfficer), `{"kind":"press_release","headline":"x","call_to_action":"Write!"}`); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("a press release with a call to action = %d %s", r.Status, r.Body)
		}
		if got := decode[callResp](t, env.api("GET", "/api/v1/releases/"+a.ID, camp, "").Body); got.CallToAction == nil || *got.CallToAction != "Write to the Minister before 12 June." {
			t.Errorf("a refused edit changed the call to action")
		}

		// Approved under embargo, then the call to action changes: back to
		// review, no approval left.
		embargo := env.clock.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
		if r := env.api("PATCH", "/api/v1/releases/"+a.ID, camp, `{"embargo_at":"`+embargo+`"}`); r.Status != http.StatusOK {
			t.Fatalf("set embargo = %d %s", r.Status, r.Body)
		}
		if st := approveAPI(t, env, camp, a.ID); st.Status != "scheduled" || len(st.Approvals) == 0 {
			t.Fatalf("approved under embargo: %+v", st)
		}
		r = env.api("PATCH", "/api/v1/releases/"+a.ID, camp, `{"call_to_action":"Write to the Minister before 10 June."}`)
		if r.Status != http.StatusOK {
			t.Fatalf("edit the call to action = %d %s", r.Status, r.Body)
		}
		if got := decode[callResp](t, r.Body); got.Status != "in_review" || len(got.Approvals) != 0 {
			t.Errorf("after changing the call to action of an approved alert: status %s, %d approvals; want in_review and none", got.Status, len(got.Approvals))
		}
		// The same words with other spacing are no edit.
		var before models.Document
		env.db.Gorm.Take(&before, "id = ?", a.ID)
		if r := env.api("PATCH", "/api/v1/releases/"+a.ID, camp, `{"call_to_action":" Write to the Minister\r\nbefore 10 June. "}`); r.Status != http.StatusOK {
			t.Fatalf("respaced = %d %s", r.Status, r.Body)
		}
		var after models.Document
		env.db.Gorm.Take(&after, "id = ?", a.ID)
		if after.CurrentRevision != before.CurrentRevision {
			t.Errorf("respacing the call to action made revision %d", after.CurrentRevision)
		}

		// Published: the pages show the approved call; a correction of it
		// stays off them (the action page is cached) until it is approved.
		if r := env.api("PATCH", "/api/v1/releases/"+a.ID, camp, `{"embargo_at":null,"call_to_action":"`+strings.ReplaceAll(testCall, `"`, `\"`)+`"}`); r.Status != http.StatusOK {
			t.Fatalf("edit = %d %s", r.Status, r.Body)
		}
		pub := reapproveAPI(t, env, a.ID)
		if pub.Status != "published" {
			t.Fatalf("not published: %+v", pub)
		}
		if p := env.api("GET", "/a/"+pub.Slug, "", ""); !strings.Contains(p.Body, shownCall) {
			t.Fatalf("the action page does not show the call to action")
		}
		queries := countQueries(t, env.db.Gorm)
		if p := env.api("GET", "/a/"+pub.Slug, "", ""); !strings.Contains(p.Body, shownCall) || queries.Load() != 0 {
			t.Fatalf("the cached action page does not show the call to action, or was not served from the cache (%d queries)", queries.Load())
		}
		const corrected = "Write to the Minister of Justice today."
		if r := env.api("PATCH", "/api/v1/releases/"+a.ID, camp, `{"call_to_action":"`+corrected+`","correction_note":"The deadline moved."}`); r.Status != http.StatusOK {
			t.Fatalf("correct = %d %s", r.Status, r.Body)
		}
		// The approvers' diff shows what changed.
		var doc models.Document
		env.db.Gorm.Take(&doc, "id = ?", a.ID)
		diff := decode[struct {
			Fields []struct {
				Field   string
				Changed bool
			}
		}](t, env.api("GET", fmt.Sprintf("/api/v1/releases/%s/diff?from=%d&to=%d", a.ID, doc.CurrentRevision-1, doc.CurrentRevision), camp, "").Body)
		changed := map[string]bool{}
		for _, f := range diff.Fields {
			changed[f.Field] = f.Changed
		}
		if c, ok := changed["Call to action"]; !ok || !c || changed["Body"] || changed["Suggested letter"] {
			t.Errorf("the diff of the correction = %+v, want only the call to action changed", diff.Fields)
		}
		for _, path := range []string{"/a/" + pub.Slug, "/news/" + pub.Slug} {
			if p := env.api("GET", path, "", ""); !strings.Contains(p.Body, shownCall) || strings.Contains(p.Body, corrected) {
				t.Errorf("%s shows an unapproved call to action, or lost the approved one", path)
			}
		}
		reapproveAPI(t, env, a.ID)
		env.clock.Set(env.clock.Now().Add(2 * app.DefaultNewsroomVersionTTL)) // the newsroom's version is read again
		for _, path := range []string{"/a/" + pub.Slug, "/news/" + pub.Slug} {
			if p := env.api("GET", path, "", ""); !strings.Contains(p.Body, "<strong>"+corrected+"</strong>") || strings.Contains(p.Body, shownCall) {
				t.Errorf("%s does not show the approved correction of the call to action", path)
			}
		}
	})
}

// TestCallToActionWhereSupportersAct: the call to action is shown in bold,
// as text, near the top of the action page (before the case and the
// composer), on the newsroom page just before "Write to the officials", and
// above the button of the supporters' email in both parts; a translation
// shows its own; an embargoed alert's call is on no public page; after the
// deadline the action page no longer asks.
func TestCallToActionWhereSupportersAct(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ua := publishUA(t, env, "2026-08-01T00:00:00Z")
		call := strings.ReplaceAll(testCall, `"`, `\"`)
		if r := env.api("PATCH", "/api/v1/releases/"+ua.action.ID, ua.camp, `{"call_to_action":"`+call+`","correction_note":"Now says what to ask for."}`); r.Status != http.StatusOK {
			t.Fatalf("add the call to action = %d %s", r.Status, r.Body)
		}
		reapproveAPI(t, env, ua.action.ID)

		page := env.api("GET", "/a/"+ua.action.Slug, "", "").Body
		at := strings.Index(page, `<p class="call-to-action">`+shownCall+`</p>`)
		if at < 0 || strings.Contains(page, "<b>immediate</b>") {
			t.Fatalf("the action page does not show the call to action in bold as text:\n%s", page)
		}
		if cs, w := strings.Index(page, `id="case-heading"`), strings.Index(page, `id="write-heading"`); cs < at || w < at {
			t.Errorf("the call to action is not near the top: at %d, the case at %d, the composer at %d", at, cs, w)
		}
		news := env.api("GET", "/news/"+ua.action.Slug, "", "").Body
		at = strings.Index(news, `<p class="call-to-action">`+shownCall+`</p>`)
		button := strings.Index(news, "Write to the officials")
		if at < 0 || button < at || strings.Count(news[at:button], "<p") > 2 {
			t.Errorf("the newsroom page does not show the call to action beside its button (call at %d, button at %d)", at, button)
		}

		d, err := models.DocumentByID(context.Background(), env.db.Gorm, ua.action.ID)
		if err != nil {
			t.Fatal(err)
		}
		s := &models.Send{ID: "sendcall", DocumentID: d.ID, Revision: d.ApprovedRevision, Kind: d.Kind}
		content, err := jobs.ComposeSend(context.Background(), env.db.Gorm, s, env.cfg.BaseURL.String(), env.cfg.MediaKey(), env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		html, text := content.Supporter.HTML, content.Supporter.Text
		if at, button := strings.Index(html, shownCall[len("<strong>"):len(shownCall)-len("</strong>")]), strings.Index(html, ">Write to the officials</a>"); at < 0 || button < at || strings.Contains(html, "<b>immediate</b>") {
			t.Errorf("the supporters' email does not show the call to action, escaped, above its button (at %d, button at %d):\n%s", at, button, html)
		}
		if at, button := strings.Index(text, testCall), strings.Index(text, ">> Write to the officials"); at < 0 || button < at {
			t.Errorf("the text part does not carry the call to action above the link:\n%s", text)
		}

		// A translation carries its own.
		r := env.api("POST", "/api/v1/releases", ua.camp, `{"kind":"action_alert","original_id":"`+ua.action.ID+`","language":"fr","headline":"Égypte : libérez Sara Ahmed",
			"body":"Sara Ahmed a été arrêtée.","targets":["`+ua.minister.ID+`"],"letter_subject":"Libérez Sara Ahmed","letter_body":"Libérez-la.",
			"call_to_action":"Écrivez au ministre de la Justice avant le 12 juin."}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create translation = %d %s", r.Status, r.Body)
		}
		fr := approveAPI(t, env, ua.camp, decode[actionResp](t, r.Body).ID)
		if p := env.api("GET", "/a/"+fr.Slug, "", "").Body; !strings.Contains(p, "<strong>Écrivez au ministre de la Justice avant le 12 juin.</strong>") || strings.Contains(p, "Minister of Justice before 12 June") {
			t.Errorf("the French action page does not carry its own call to action")
		}

		// An embargoed alert's call to action is on no public page.
		const secret = "Write to the Interior Minister before the hearing."
		r = env.api("POST", "/api/v1/releases", ua.camp, `{"kind":"action_alert","headline":"Embargoed case","body":"Not yet.","targets":["`+ua.minister.ID+`"],
			"embargo_at":"`+env.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`","call_to_action":"`+secret+`"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create embargoed = %d %s", r.Status, r.Body)
		}
		emb := approveAPI(t, env, ua.camp, decode[actionResp](t, r.Body).ID)
		if emb.Status != "scheduled" {
			t.Fatalf("embargoed alert is %s", emb.Status)
		}
		paths := []string{"/news", "/actions", "/news/feed.atom", "/actions/feed.atom", "/sitemap.xml", "/api/v1/public/releases"}
		if emb.Slug != "" {
			paths = append(paths, "/a/"+emb.Slug, "/news/"+emb.Slug)
		}
		for _, path := range paths {
			if p := env.api("GET", path, "", ""); strings.Contains(p.Body, secret) {
				t.Errorf("%s shows the embargoed alert's call to action", path)
			}
		}

		// After the deadline the action page no longer asks.
		env.clock.Set(time.Date(2026, 8, 2, 0, 0, 0, 0, time.UTC))
		if p := env.api("GET", "/a/"+ua.action.Slug, "", ""); strings.Contains(p.Body, shownCall) || !strings.Contains(p.Body, "Appeals have closed") {
			t.Errorf("after the deadline the action page still shows the call to action, or does not say it closed")
		}
	})
}

// TestCallToActionInTheEditor: the action section of the editor has the
// labelled field; a refused save keeps what was typed and says what is wrong
// next to it; a good save stores it.
func TestCallToActionInTheEditor(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		b := env.login(models.RoleCampaigner)
		form := b.get("/admin/releases/new?kind=action_alert").Body
		if !strings.Contains(form, `<label for="call_to_action">Call to action`) || !strings.Contains(form, `<textarea id="call_to_action" name="call_to_action"`) {
			t.Fatalf("the action alert editor has no call to action field")
		}
		long := strings.Repeat("Write & act. ", 24) // 312 characters
		fields := url.Values{"kind": {"action_alert"}, "headline": {"Free Sara Ahmed"}, "body": {"Case."}, "action_fields": {"1"},
			"letter_subject": {"Release her"}, "letter_body": {"Please."}, "call_to_action": {long}}
		bad := b.post("/admin/releases/new?kind=action_alert", "/admin/releases", fields)
		if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "Call to action is too long: keep it to one or two sentences (at most 300 characters; it has 311).") ||
			!strings.Contains(bad.Body, ">"+template.HTMLEscapeString(long)+"</textarea>") || !strings.Contains(bad.Body, `aria-describedby="call_to_action-error"`) {
			t.Fatalf("an over-long call to action = %d: not refused in words with the text kept", bad.Status)
		}
		fields.Set("call_to_action", testCall)
		fields.Set("headline", "") // refused for another field: the call is kept
		if r := b.post("/admin/releases/new?kind=action_alert", "/admin/releases", fields); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, ">"+template.HTMLEscapeString(testCall)+"</textarea>") {
			t.Fatalf("a save refused for its headline = %d, lost the call to action", r.Status)
		}
		fields.Set("headline", "Free Sara Ahmed")
		ok := b.post("/admin/releases/new?kind=action_alert", "/admin/releases", fields)
		if ok.Status != http.StatusSeeOther {
			t.Fatalf("save = %d %s", ok.Status, ok.Body)
		}
		var doc models.Document
		if err := env.db.Gorm.Order("created_at DESC").Take(&doc, "kind = ?", models.KindActionAlert).Error; err != nil {
			t.Fatal(err)
		}
		d, err := models.DocumentByID(context.Background(), env.db.Gorm, doc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a := d.Revision.Content().Action; a == nil || a.CallToAction != testCall {
			t.Errorf("stored action %+v, want the call to action", a)
		}
		if edit := b.get("/admin/releases/" + doc.ID + "/edit").Body; !strings.Contains(edit, ">"+template.HTMLEscapeString(testCall)+"</textarea>") {
			t.Errorf("the editor does not show the stored call to action")
		}
		if show := b.get("/admin/releases/" + doc.ID).Body; !strings.Contains(show, shownCall) {
			t.Errorf("the alert's admin page does not show the call to action")
		}
	})
}

// TestPackageFillsTheCallToAction: the rapid-response package gives its
// alert draft the demand as its call to action, or the one the request
// gives; an over-long one is refused in words and nothing is made.
func TestPackageFillsTheCallToAction(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		rel := env.publish(t, "Wombat exports condemned", "The government sold them.", nil, nil)
		camp := env.token(models.RoleCampaigner)
		path := "/api/v1/releases/" + rel.ID + "/package"
		const demand = "Stop every wombat export licence."
		const own = "Write to the Trade Minister this week: stop every wombat export licence."
		for _, c := range []struct{ body, want string }{
			{`{"petition":false,"demand":"` + demand + `"}`, demand},
			{`{"petition":false,"demand":"` + demand + `","call_to_action":"` + own + `"}`, own},
		} {
			r := env.api("POST", path, camp, c.body)
			if r.Status != http.StatusCreated {
				t.Fatalf("package %s = %d %s", c.body, r.Status, r.Body)
			}
			pkg := decode[packageResp](t, r.Body)
			if pkg.AlertID == nil {
				t.Fatalf("no alert: %s", r.Body)
			}
			got := decode[callResp](t, env.api("GET", "/api/v1/releases/"+*pkg.AlertID, camp, "").Body)
			if got.CallToAction == nil || *got.CallToAction != c.want {
				t.Errorf("package %s: the alert's call to action = %s, want %q", c.body, env.api("GET", "/api/v1/releases/"+*pkg.AlertID, camp, "").Body, c.want)
			}
		}
		var before int64
		env.db.Gorm.Model(&models.Document{}).Where("kind = ?", models.KindActionAlert).Count(&before)
		r := env.api("POST", path, camp, `{"demand":"`+demand+`","call_to_action":"`+strings.Repeat("Write now. ", 28)+`"}`)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"call_to_action":"is too long`) {
			t.Errorf("an over-long call to action = %d %s", r.Status, r.Body)
		}
		var after int64
		env.db.Gorm.Model(&models.Document{}).Where("kind = ?", models.KindActionAlert).Count(&after)
		if after != before {
			t.Errorf("a refused package made %d alerts", after-before)
		}
	})
}
