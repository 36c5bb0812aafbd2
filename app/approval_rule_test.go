package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"pressroom/models"
)

// staffUser creates an extra account and returns it with an API token and a
// signed-in browser.
func (e *testEnv) staffUser(email string, role models.Role, groups ...string) (*models.User, string, *browser) {
	e.t.Helper()
	ctx := context.Background()
	u, err := models.CreateUser(ctx, e.db.Gorm, models.NewUserInput{Email: email, Name: "Test " + email, Role: role, Password: testPassword, Groups: groups})
	if err != nil {
		e.t.Fatal(err)
	}
	_, secret, err := models.CreateAPIToken(ctx, e.db.Gorm, u.ID, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return u, secret, e.loginAs(email)
}

// TestEarlierEditorCannotApproveThroughAPI: someone who wrote revision 2 may not
// approve revision 3 after a colleague's trivial edit (403, nothing stored); the
// review queue and the release page say why instead of offering the button.
func TestEarlierEditorCannotApproveThroughAPI(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		press := env.token(models.RolePressOfficer)
		desk := env.token(models.RoleApprover)
		_, boss, bossBrowser := env.staffUser("head@example.org", models.RoleAdmin, "Press desk")

		r := env.api("POST", "/api/v1/releases", press, `{"headline":"Halt arms transfers","body":"Now.","dateline":"LONDON, 9 July 2026"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		id := decodeRelease(t, r).ID
		if r := env.api("PATCH", "/api/v1/releases/"+id, boss, `{"body":"Halt all arms transfers now: the evidence is overwhelming."}`); r.Status != http.StatusOK || decodeRelease(t, r).Revision != 2 {
			t.Fatalf("boss edit: %d %s", r.Status, r.Body)
		}
		if r := env.api("PATCH", "/api/v1/releases/"+id, press, `{"body":"Halt all arms transfers now: the evidence is overwhelming!"}`); r.Status != http.StatusOK || decodeRelease(t, r).Revision != 3 {
			t.Fatalf("trivial edit: %d %s", r.Status, r.Body)
		}
		if r := env.api("POST", "/api/v1/releases/"+id+"/submit", press, ""); r.Status != http.StatusOK {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}

		r = env.api("POST", "/api/v1/releases/"+id+"/approve", boss, `{"comment":"fine"}`)
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "You wrote revision 2 of this text, so you cannot approve it") {
			t.Fatalf("approval by the editor of revision 2 = %d %s, want 403", r.Status, r.Body)
		}
		var n int64
		env.db.Gorm.Model(&models.Approval{}).Where("document_id = ?", id).Count(&n)
		if n != 0 {
			t.Fatalf("a refused approval stored %d rows", n)
		}

		queue := bossBrowser.get("/admin/review")
		if queue.Status != http.StatusOK || !strings.Contains(queue.Body, "You wrote revision 2 of this text") ||
			strings.Contains(queue.Body, `action="/admin/releases/`+id+`/approve"`) {
			t.Fatalf("the editor's queue offers the approval or does not say why: %d\n%s", queue.Status, queue.Body)
		}
		page := bossBrowser.get("/admin/releases/" + id)
		if !strings.Contains(page.Body, `id="approval-barred"`) || !strings.Contains(page.Body, "You wrote revision 2") {
			t.Fatalf("the release page does not say why the editor cannot approve:\n%s", page.Body)
		}

		// Someone who edited nothing approves.
		if r := env.api("POST", "/api/v1/releases/"+id+"/approve", desk, `{}`); r.Status != http.StatusOK {
			t.Fatalf("desk approval: %d %s", r.Status, r.Body)
		}
	})
}
