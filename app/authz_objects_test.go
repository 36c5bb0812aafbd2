package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"pressroom/models"
)

// objectRequest is one attempt at an action, through the API (bearer token) or
// a form (signed-in browser with its CSRF token).
type objectRequest struct {
	method, path, body string
	contentType        string     // API body type; JSON when empty
	form               url.Values // non-nil: a browser form post (or GET when method is GET)
}

// objectAction is a row of the role table of API.md: what an action needs, and
// who may do it to an object of a kind.
type objectAction struct {
	name string
	// kinds the action is tried on; nil: the action has no document kind.
	kinds []models.Kind
	// allowed is the role table.
	allowed func(r models.Role, k models.Kind) bool
	// prepare makes a fresh object for one attempt and returns the request.
	prepare func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest
}

var bothKinds = []models.Kind{models.KindPressRelease, models.KindActionAlert}

// editsKind is the document rule of the role table: press officers press
// releases, campaigners action alerts, admins both.
func editsKind(r models.Role, k models.Kind) bool {
	return r == models.RoleAdmin || (r == models.RolePressOfficer && k == models.KindPressRelease) || (r == models.RoleCampaigner && k == models.KindActionAlert)
}

func roles(rs ...models.Role) func(models.Role, models.Kind) bool {
	return func(r models.Role, _ models.Kind) bool {
		for _, x := range rs {
			if x == r {
				return true
			}
		}
		return false
	}
}

// ownKind is the kind a role would naturally post: a campaigner writes alerts,
// a press officer releases; others try the kind under test.
func ownKind(r models.Role, k models.Kind) models.Kind {
	switch r {
	case models.RoleCampaigner:
		return models.KindActionAlert
	case models.RolePressOfficer:
		return models.KindPressRelease
	}
	return k
}

// objectFixtures builds the objects the actions act on, fresh for every
// attempt, so an allowed attempt never spoils the next one.
type objectFixtures struct {
	env   *testEnv
	ctx   context.Context
	n     int
	media string // a media list
	supp  string // a supporter list
	// shared published documents and drafts, per kind, for actions that leave
	// their object usable (a comment, a preview link, a send): fixtures are
	// costly, and only actions that use their object up need a fresh one.
	shared, sharedDrafts map[models.Kind]*models.Document
}

func (f *objectFixtures) sharedPublished(t *testing.T, k models.Kind) *models.Document {
	t.Helper()
	if f.shared == nil {
		f.shared = map[models.Kind]*models.Document{}
	}
	if f.shared[k] == nil {
		f.shared[k] = f.published(t, k)
	}
	return f.shared[k]
}

func (f *objectFixtures) sharedDraft(t *testing.T, k models.Kind) *models.Document {
	t.Helper()
	if f.sharedDrafts == nil {
		f.sharedDrafts = map[models.Kind]*models.Document{}
	}
	if f.sharedDrafts[k] == nil {
		f.sharedDrafts[k] = f.draft(t, k)
	}
	return f.sharedDrafts[k]
}

func (f *objectFixtures) seq() int { f.n++; return f.n }

func (f *objectFixtures) draft(t *testing.T, k models.Kind) *models.Document {
	t.Helper()
	d, err := models.CreateDocument(f.ctx, f.env.db.Gorm, f.env.users[models.RoleAdmin], models.DocumentInput{Kind: k,
		Headline: ptr(fmt.Sprintf("Object %d", f.seq())), Body: ptr("Act now."), Dateline: ptr("LONDON, 9 July 2026")}, f.env.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *objectFixtures) inReview(t *testing.T, k models.Kind) *models.Document {
	t.Helper()
	d := f.draft(t, k)
	if _, err := models.SubmitDocument(f.ctx, f.env.db.Gorm, f.env.users[models.RoleAdmin], d.ID, false, f.env.clock.Now()); err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *objectFixtures) published(t *testing.T, k models.Kind) *models.Document {
	t.Helper()
	d := f.inReview(t, k)
	for _, u := range []*models.User{f.env.users[models.RoleApprover], f.env.legal} {
		u, _ = models.UserByID(f.ctx, f.env.db.Gorm, u.ID)
		if _, err := models.ApproveDocument(f.ctx, f.env.db.Gorm, u, d.ID, "", f.env.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func (f *objectFixtures) send(t *testing.T, k models.Kind, status models.SendStatus) *models.Send {
	t.Helper()
	d := f.sharedPublished(t, k)
	s, err := models.CreateSend(f.ctx, f.env.db.Gorm, f.env.users[models.RoleAdmin], models.SendInput{DocumentID: d.ID, MediaListIDs: []string{f.media}}, f.env.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if status != models.SendDraft {
		if err := f.env.db.Gorm.Model(&models.Send{}).Where("id = ?", s.ID).Update("status", status).Error; err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (f *objectFixtures) previewLink(t *testing.T, d *models.Document) string {
	t.Helper()
	l, _, err := models.CreatePreviewLink(f.ctx, f.env.db.Gorm, f.env.users[models.RoleAdmin], d.ID, "", "reporter@example.org",
		f.env.clock.Now().Add(24*60*60e9), f.env.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return l.ID
}

// objectActions is the role table of API.md, action by action.
func objectActions() []objectAction {
	return []objectAction{
		{name: "create", kinds: bothKinds, allowed: editsKind,
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/api/v1/releases", body: fmt.Sprintf(`{"kind":%q,"headline":"New %d","body":"Now."}`, k, f.seq())}
			}},
		{name: "edit", kinds: bothKinds, allowed: editsKind,
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "PATCH", path: "/api/v1/releases/" + f.sharedDraft(t, k).ID, body: fmt.Sprintf(`{"body":"Edited %d."}`, f.seq())}
			}},
		{name: "submit", kinds: bothKinds, allowed: editsKind,
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/api/v1/releases/" + f.draft(t, k).ID + "/submit"}
			}},
		{name: "withdraw", kinds: bothKinds, allowed: editsKind,
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/api/v1/releases/" + f.published(t, k).ID + "/withdraw", body: `{"notice":"Withdrawn."}`}
			}},
		// A translation has its original's kind, whatever the request says.
		{name: "translate", kinds: bothKinds, allowed: editsKind,
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				orig := f.sharedPublished(t, k)
				return objectRequest{method: "POST", path: "/api/v1/releases",
					body: fmt.Sprintf(`{"kind":%q,"original_id":%q,"language":"fr","headline":"Traduction %d","body":"Maintenant."}`, ownKind(r, k), orig.ID, f.seq())}
			}},
		{name: "open the translation form", kinds: bothKinds, allowed: editsKind,
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "GET", path: "/admin/releases/new?translation_of=" + f.sharedPublished(t, k).ID, form: url.Values{}}
			}},
		{name: "create preview link", kinds: bothKinds, allowed: editsKind,
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/api/v1/releases/" + f.sharedPublished(t, k).ID + "/preview-links", body: `{"email":"reporter@example.org"}`}
			}},
		{name: "revoke preview link", kinds: bothKinds, allowed: editsKind,
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				d := f.sharedPublished(t, k)
				return objectRequest{method: "POST", path: "/admin/releases/" + d.ID + "/preview-links/" + f.previewLink(t, d) + "/revoke", form: url.Values{}}
			}},
		{name: "comment", kinds: bothKinds, allowed: func(r models.Role, k models.Kind) bool { return editsKind(r, k) || r == models.RoleApprover },
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/admin/releases/" + f.sharedDraft(t, k).ID + "/comments", form: url.Values{"comment": {"Check the figure."}}}
			}},
		// Approval is by group, not kind: the test approver is in the open step's
		// group; nobody else is in any group.
		{name: "approve", kinds: bothKinds, allowed: roles(models.RoleApprover),
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/api/v1/releases/" + f.inReview(t, k).ID + "/approve", body: `{}`}
			}},
		{name: "create send", kinds: bothKinds, allowed: editsKind,
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/api/v1/sends", body: fmt.Sprintf(`{"release_id":%q,"media_list_ids":[%q]}`, f.sharedPublished(t, k).ID, f.media)}
			}},
		{name: "dispatch send", kinds: bothKinds, allowed: editsKind,
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/api/v1/sends/" + f.send(t, k, models.SendDraft).ID + "/dispatch"}
			}},
		{name: "cancel send", kinds: bothKinds, allowed: editsKind,
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/api/v1/sends/" + f.send(t, k, models.SendDraft).ID + "/cancel"}
			}},
		{name: "pause send", kinds: bothKinds, allowed: editsKind,
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/api/v1/sends/" + f.send(t, k, models.SendQueued).ID + "/pause"}
			}},
		{name: "resume send", kinds: bothKinds, allowed: editsKind,
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/api/v1/sends/" + f.send(t, k, models.SendPaused).ID + "/resume"}
			}},
		{name: "test send", kinds: bothKinds, allowed: editsKind,
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/admin/sends/" + f.send(t, k, models.SendDraft).ID + "/test", form: url.Values{}}
			}},
		{name: "create campaign", allowed: roles(models.RoleAdmin, models.RoleCampaigner),
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/admin/campaigns", form: url.Values{"name": {fmt.Sprintf("Campaign %d", f.seq())}}}
			}},
		{name: "create media list", allowed: roles(models.RoleAdmin, models.RolePressOfficer),
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/api/v1/media-lists", body: fmt.Sprintf(`{"name":"Media %d"}`, f.seq())}
			}},
		{name: "import media contacts", allowed: roles(models.RoleAdmin, models.RolePressOfficer),
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/api/v1/media-lists/" + f.media + "/import", contentType: "text/csv",
					body: fmt.Sprintf("email,name\njournalist%d@example.net,Jo\n", f.seq())}
			}},
		{name: "create supporter list", allowed: roles(models.RoleAdmin, models.RoleCampaigner),
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/api/v1/supporter-lists", body: fmt.Sprintf(`{"name":"Supporters %d"}`, f.seq())}
			}},
		{name: "import supporters", allowed: roles(models.RoleAdmin, models.RoleCampaigner),
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "POST", path: "/api/v1/supporter-lists/" + f.supp + "/import", contentType: "text/csv",
					body: fmt.Sprintf("email,name,consent_source,consent_at\nsupporter%d@example.net,Sam,petition,2026-07-01\n", f.seq())}
			}},
		{name: "export media contacts", allowed: roles(models.RoleAdmin, models.RolePressOfficer),
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "GET", path: "/admin/media/export.csv", form: url.Values{}}
			}},
		{name: "export supporters", allowed: roles(models.RoleAdmin, models.RoleCampaigner),
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "GET", path: "/admin/supporters/export.csv", form: url.Values{}}
			}},
		{name: "list media contacts", allowed: roles(models.RoleAdmin, models.RolePressOfficer),
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "GET", path: "/api/v1/contacts"}
			}},
		{name: "list supporters", allowed: roles(models.RoleAdmin, models.RoleCampaigner),
			prepare: func(t *testing.T, f *objectFixtures, r models.Role, k models.Kind) objectRequest {
				return objectRequest{method: "GET", path: "/api/v1/supporters"}
			}},
	}
}

// snapshotTables are the tables an action on an object may write.
var snapshotTables = []string{"audit_events", "campaigns", "documents", "revisions", "approvals", "comments", "preview_links",
	"media_contacts", "media_lists", "media_list_members", "supporters", "supporter_lists", "supporter_list_members", "consent_records",
	"imports", "segments", "suppressions", "sends", "send_audiences", "send_recipients", "send_batches", "outbox_messages", "river_job"}

// snapshot is every row of snapshotTables, to show that a refused action
// changed nothing.
func snapshot(t *testing.T, env *testEnv) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tbl := range snapshotTables {
		var rows []map[string]any
		if err := env.db.Gorm.Table(tbl).Find(&rows).Error; err != nil {
			t.Fatalf("snapshot %s: %v", tbl, err)
		}
		lines := make([]string, 0, len(rows))
		for _, r := range rows {
			keys := make([]string, 0, len(r))
			for k := range r {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var b strings.Builder
			for _, k := range keys {
				v := r[k]
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s=%v;", k, v)
			}
			lines = append(lines, b.String())
		}
		sort.Strings(lines)
		out[tbl] = strings.Join(lines, "\n")
	}
	return out
}

// TestRolesActOnlyOnTheirKindsOfObject extends the route table test to the
// objects: each role can do exactly what API.md's role table says to each kind
// of object (press release, action alert), through the real router. An allowed
// action answers 2xx/3xx; a refused one answers 403 and changes no row.
func TestRolesActOnlyOnTheirKindsOfObject(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		f := &objectFixtures{env: env, ctx: ctx}
		ml, err := models.CreateMediaList(ctx, env.db.Gorm, "Foreign desks", "")
		if err != nil {
			t.Fatal(err)
		}
		sl, err := models.CreateSupporterList(ctx, env.db.Gorm, "Activists", "")
		if err != nil {
			t.Fatal(err)
		}
		f.media, f.supp = ml.ID, sl.ID
		browsers := map[models.Role]*browser{}
		tokens := map[models.Role]string{}
		for _, r := range models.Roles {
			browsers[r], tokens[r] = env.login(r), env.token(r)
		}
		for _, a := range objectActions() {
			kinds := a.kinds
			if kinds == nil {
				kinds = []models.Kind{""}
			}
			for _, k := range kinds {
				for _, role := range models.Roles {
					req := a.prepare(t, f, role, k)
					allowed := a.allowed(role, k)
					var before map[string]string
					if !allowed {
						before = snapshot(t, env)
					}
					var r response
					switch {
					case req.form != nil && req.method == http.MethodGet:
						r = browsers[role].get(req.path)
					case req.form != nil:
						r = browsers[role].post("/admin", req.path, req.form)
					case req.contentType != "":
						r = env.apiAs(req.method, req.path, tokens[role], req.contentType, req.body)
					default:
						r = env.api(req.method, req.path, tokens[role], req.body)
					}
					label := fmt.Sprintf("%s %s as %s (%s %s)", a.name, k, role, req.method, req.path)
					if allowed {
						if r.Status < 200 || r.Status >= 400 {
							t.Errorf("%s = %d, want it allowed: %.300s", label, r.Status, r.Body)
						}
						continue
					}
					if r.Status != http.StatusForbidden {
						t.Errorf("%s = %d, want 403: %.300s", label, r.Status, r.Body)
						continue
					}
					after := snapshot(t, env)
					for _, tbl := range snapshotTables {
						if before[tbl] != after[tbl] {
							t.Errorf("%s was refused but changed %s:\nbefore %s\nafter  %s", label, tbl, before[tbl], after[tbl])
						}
					}
				}
			}
		}
	})
}

// apiAs calls the JSON API with a body of another type (a CSV import).
func (e *testEnv) apiAs(method, path, token, contentType, body string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: string(data), Header: resp.Header}
}
