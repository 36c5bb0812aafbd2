package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

type releaseResp struct {
	ID          string  `json:"id"`
	Status      string  `json:"status"`
	Revision    int     `json:"revision"`
	IndexNumber *string `json:"index_number"`
	Slug        *string `json:"slug"`
	PublicURL   *string `json:"public_url"`
	Headline    string  `json:"headline"`
	Approvals   []struct {
		User     string `json:"user"`
		Group    string `json:"group"`
		Revision int    `json:"revision"`
	} `json:"approvals"`
	Error struct {
		Code   string            `json:"code"`
		Fields map[string]string `json:"fields"`
	} `json:"error"`
}

func decodeRelease(t *testing.T, r response) releaseResp {
	t.Helper()
	var out releaseResp
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
	return out
}

func TestReleaseFlowThroughAPI(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		press := env.token(models.RolePressOfficer)
		desk := env.token(models.RoleApprover)
		_, legalSecret, _ := models.CreateAPIToken(context.Background(), env.db.Gorm, env.legal.ID, "t")
		viewer := env.token(models.RoleViewer)

		r := env.api("POST", "/api/v1/releases", press, `{"headline":"Halt arms transfers","body":"Now.","dateline":"LONDON, 9 July 2026","status":"published","index_number":"PRE 01/999/2026"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		rel := decodeRelease(t, r)
		// Read-only fields in the request were ignored.
		if rel.Status != "draft" || rel.IndexNumber != nil || rel.Revision != 1 {
			t.Fatalf("created: %+v", rel)
		}
		if r := env.api("POST", "/api/v1/releases", press, `{"headline":"x","colour":"red"}`); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"colour":"is not a field of a release"`) {
			t.Fatalf("unknown field: %d %s", r.Status, r.Body)
		}
		if r := env.api("POST", "/api/v1/releases", press, `{"headline":"","embargo_at":"tomorrow"}`); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"embargo_at"`) {
			t.Fatalf("bad embargo: %d %s", r.Status, r.Body)
		}
		if r := env.api("POST", "/api/v1/releases", press, `{"headline":""}`); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"headline":"is required"`) {
			t.Fatalf("empty headline: %d %s", r.Status, r.Body)
		}
		if r := env.api("PATCH", "/api/v1/releases/"+rel.ID, viewer, `{"headline":"viewer"}`); r.Status != http.StatusForbidden {
			t.Fatalf("viewer patch: %d", r.Status)
		}
		if r := env.api("POST", "/api/v1/releases/"+rel.ID+"/submit", press, ""); r.Status != http.StatusOK || decodeRelease(t, r).Status != "in_review" {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		if r := env.api("POST", "/api/v1/releases/"+rel.ID+"/approve", press, `{"comment":"mine"}`); r.Status != http.StatusForbidden {
			t.Fatalf("self approval: %d %s", r.Status, r.Body)
		}
		if r := env.api("POST", "/api/v1/releases/"+rel.ID+"/approve", viewer, `{}`); r.Status != http.StatusForbidden {
			t.Fatalf("viewer approval: %d", r.Status)
		}
		r = env.api("POST", "/api/v1/releases/"+rel.ID+"/approve", desk, `{"comment":"ok"}`)
		if got := decodeRelease(t, r); r.Status != http.StatusOK || got.Status != "in_review" || len(got.Approvals) != 1 || got.Approvals[0].Group != "Press desk" {
			t.Fatalf("desk approval: %d %s", r.Status, r.Body)
		}
		// Editing after the first approval resets it; a stale revision is refused.
		if r := env.api("PATCH", "/api/v1/releases/"+rel.ID, press, `{"revision":7,"body":"stale"}`); r.Status != http.StatusConflict || !strings.Contains(r.Body, "revision_conflict") {
			t.Fatalf("stale patch: %d %s", r.Status, r.Body)
		}
		r = env.api("PATCH", "/api/v1/releases/"+rel.ID, press, `{"revision":1,"body":"Now, **today**."}`)
		if got := decodeRelease(t, r); r.Status != http.StatusOK || got.Revision != 2 || len(got.Approvals) != 0 || got.Status != "in_review" {
			t.Fatalf("edit after approval: %d %s", r.Status, r.Body)
		}
		if r := env.api("POST", "/api/v1/releases/"+rel.ID+"/approve", legalSecret, `{}`); r.Status != http.StatusForbidden {
			t.Fatalf("legal before the desk: %d %s", r.Status, r.Body)
		}
		env.api("POST", "/api/v1/releases/"+rel.ID+"/approve", desk, `{}`)
		r = env.api("POST", "/api/v1/releases/"+rel.ID+"/approve", legalSecret, `{}`)
		got := decodeRelease(t, r)
		want := fmt.Sprintf("PRE 01/001/%d", env.clock.Now().Year())
		if r.Status != http.StatusOK || got.Status != "published" || got.IndexNumber == nil || *got.IndexNumber != want || got.PublicURL == nil {
			t.Fatalf("final approval: %d %s", r.Status, r.Body)
		}
		// Found by index number and by words; revisions and diff.
		if r := env.api("GET", "/api/v1/releases?index="+url.QueryEscape("PRE-01-001"), viewer, ""); !strings.Contains(r.Body, rel.ID) {
			t.Fatalf("by index: %s", r.Body)
		}
		if r := env.api("GET", "/api/v1/releases?q=arms&status=published", viewer, ""); !strings.Contains(r.Body, rel.ID) || !strings.Contains(r.Body, `"next_cursor":null`) {
			t.Fatalf("by words: %s", r.Body)
		}
		if r := env.api("GET", "/api/v1/releases/"+rel.ID+"/revisions", viewer, ""); strings.Count(r.Body, `"number"`) != 2 {
			t.Fatalf("revisions: %s", r.Body)
		}
		r = env.api("GET", "/api/v1/releases/"+rel.ID+"/diff?from=1&to=2", viewer, "")
		if !strings.Contains(r.Body, `"op":"insert","text":"**today**."`) && !strings.Contains(r.Body, `**today**`) {
			t.Fatalf("diff: %s", r.Body)
		}
		// Withdraw needs a notice.
		if r := env.api("POST", "/api/v1/releases/"+rel.ID+"/withdraw", press, `{}`); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("withdraw without notice: %d", r.Status)
		}
		if r := env.api("POST", "/api/v1/releases/"+rel.ID+"/withdraw", press, `{"notice":"Withdrawn: figures under review."}`); decodeRelease(t, r).Status != "withdrawn" {
			t.Fatalf("withdraw: %s", r.Body)
		}
		if r := env.api("GET", "/api/v1/releases/nope", viewer, ""); r.Status != http.StatusNotFound {
			t.Fatalf("missing release: %d", r.Status)
		}
	})
}

var releaseIDInPath = regexp.MustCompile(`/admin/releases/([a-z2-7]{16})`)

func TestReleaseFlowThroughUI(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		press := env.login(models.RolePressOfficer)
		// A validation error keeps everything typed.
		r := press.post("/admin/releases/new", "/admin/releases", url.Values{"kind": {"press_release"}, "headline": {""}, "body": {"Words I must not lose."}, "embargo_local": {"not a date"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Words I must not lose.") || !strings.Contains(r.Body, "Enter a headline.") || !strings.Contains(r.Body, "Enter the embargo as a date and time") {
			t.Fatalf("invalid draft: %d", r.Status)
		}
		// Save and submit in rapid-response mode in one go.
		r = press.post("/admin/releases/new", "/admin/releases", url.Values{"kind": {"press_release"}, "headline": {"Release the detained journalists"},
			"body": {"They must be **freed**."}, "embargo_local": {""}, "embargo_timezone": {"Europe/London"}, "then": {"submit"}, "rapid": {"on"},
			"contact_name": {"Priya", ""}, "contact_email": {"priya@example.org", ""}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save and submit: %d %s", r.Status, r.Body)
		}
		id := releaseIDInPath.FindStringSubmatch(r.Location)[1]
		page := press.get("/admin/releases/" + id)
		if !strings.Contains(page.Body, "rapid-response mode") || !strings.Contains(page.Body, "In review") || !strings.Contains(page.Body, "You wrote this revision") {
			t.Fatalf("release page after submit lacks status/flash")
		}
		// The approvers are emailed.
		waitMail(t, env, "approver@example.org", "Approval needed: Release the detained journalists")
		waitMail(t, env, "legal@example.org", "RAPID RESPONSE")

		// The press desk approver sees it in the queue and approves from there.
		desk := env.login(models.RoleApprover)
		q := desk.get("/admin/review")
		if !strings.Contains(q.Body, "Release the detained journalists") || !strings.Contains(q.Body, "due in 20 min") {
			t.Fatalf("queue lacks the release or its SLA countdown")
		}
		r = desk.post("/admin/review", "/admin/releases/"+id+"/approve", url.Values{"from": {"queue"}})
		if r.Status != http.StatusSeeOther || r.Location != "/admin/review" {
			t.Fatalf("approve from queue: %d %s", r.Status, r.Location)
		}
		if q := desk.get("/admin/review"); strings.Contains(q.Body, "Release the detained journalists") {
			t.Fatal("approved release still in the approver's queue")
		}
		legal := env.loginAs("legal@example.org")
		r = legal.post("/admin/releases/"+id, "/admin/releases/"+id+"/approve", nil)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("legal approve: %d", r.Status)
		}
		page = legal.get("/admin/releases/" + id)
		want := fmt.Sprintf("PRE 01/001/%d", env.clock.Now().Year())
		if !strings.Contains(page.Body, want) || !strings.Contains(page.Body, "Published") {
			t.Fatalf("index number %q not shown after final approval", want)
		}
		// A viewer reads but cannot act.
		viewer := env.login(models.RoleViewer)
		if r := viewer.get("/admin/releases/" + id); r.Status != http.StatusOK || strings.Contains(r.Body, "/approve") {
			t.Fatalf("viewer page: %d", r.Status)
		}
		if r := viewer.post("/admin/releases/"+id, "/admin/releases/"+id+"/approve", nil); r.Status != http.StatusForbidden {
			t.Fatalf("viewer approve: %d", r.Status)
		}
	})
}

func TestLostUpdateGuardInEditor(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		d, err := models.CreateDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], models.DocumentInput{Kind: models.KindPressRelease,
			Headline: ptr("Shared draft"), Body: ptr("Original text.")}, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		a := env.login(models.RolePressOfficer)
		b := env.login(models.RoleAdmin)
		formA := url.Values{"headline": {"Shared draft"}, "body": {"Alice's careful rewrite."}, "base_revision": {"1"}}
		formB := url.Values{"headline": {"Shared draft"}, "body": {"Bob's quick fix."}, "base_revision": {"1"}}
		if r := a.post("/admin/releases/"+d.ID+"/edit", "/admin/releases/"+d.ID, formA); r.Status != http.StatusSeeOther {
			t.Fatalf("first save: %d %s", r.Status, r.Body)
		}
		r := b.post("/admin/releases/"+d.ID+"/edit", "/admin/releases/"+d.ID, formB)
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, "Bob&#39;s quick fix.") || !strings.Contains(r.Body, "<del>") || !strings.Contains(r.Body, "Save my version over theirs") {
			t.Fatalf("second save: %d", r.Status)
		}
		got, _ := models.DocumentByID(ctx, env.db.Gorm, d.ID)
		if got.Revision.Body != "Alice's careful rewrite." || got.CurrentRevision != 2 {
			t.Fatalf("the first save was overwritten: %q", got.Revision.Body)
		}
		// Saving again from the conflict page is deliberate and works.
		formB.Set("base_revision", "2")
		if r := b.post("/admin/releases/"+d.ID+"/edit", "/admin/releases/"+d.ID, formB); r.Status != http.StatusSeeOther {
			t.Fatalf("deliberate overwrite: %d", r.Status)
		}
		// History and diff pages show both revisions.
		h := a.get("/admin/releases/" + d.ID + "/history")
		if strings.Count(h.Body, "<tr>") < 4 {
			t.Fatalf("history lists too few revisions")
		}
		diff := a.get("/admin/releases/" + d.ID + "/diff?from=2&to=3")
		if !strings.Contains(diff.Body, "<ins>") || !strings.Contains(diff.Body, "<del>") {
			t.Fatalf("diff page shows no changes")
		}
	})
}

func ptr[T any](v T) *T { return &v }

func waitMail(t *testing.T, env *testEnv, to, subjectPart string) models.OutboxMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		msgs, _ := models.OutboxMessages(context.Background(), env.db.Gorm, to, 50)
		for _, m := range msgs {
			if strings.Contains(m.Subject, subjectPart) {
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no email to %s with %q in the subject", to, subjectPart)
	return models.OutboxMessage{}
}
