package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

// TestBackupsAreAskedOnlyOnEscalation: submitting a release emails the step's
// approvers but not its backups, as the Groups page says.
func TestBackupsAreAskedOnlyOnEscalation(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		pressDeskBackup(t, env)
		admin := env.login(models.RoleAdmin)
		if p := admin.get("/admin/groups"); !strings.Contains(p.Body, "backup approvers are asked only when a rapid-response step runs past its deadline") {
			t.Fatal("Groups page does not say when backups are asked")
		}
		press := env.login(models.RolePressOfficer)
		r := press.post("/admin/releases/new", "/admin/releases", url.Values{"kind": {"press_release"}, "headline": {"Backups wait"}, "body": {"Text."},
			"then": {"submit"}, "rapid": {"on"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save and submit: %d", r.Status)
		}
		waitMail(t, env, "approver@example.org", "Backups wait")
		waitMail(t, env, "legal@example.org", "Backups wait")
		ms, err := models.OutboxMessages(ctx, env.db.Gorm, "backup@example.org", 10)
		if err != nil || len(ms) != 0 {
			t.Fatalf("the backup was emailed at submission: %d messages, %v", len(ms), err)
		}
	})
}

// TestBackupsJoinOnlyOnEscalation: a backup approver's queue and desk do not
// list a release, and their approval is refused, until its rapid-response
// step runs past its deadline and escalates; then they may approve it. A
// regular member of the same group is asked at once.
func TestBackupsJoinOnlyOnEscalation(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		backup := pressDeskBackup(t, env)
		press := env.login(models.RolePressOfficer)
		r := press.post("/admin/releases/new", "/admin/releases", url.Values{"kind": {"press_release"}, "headline": {"Backups wait their turn"}, "body": {"Text."},
			"then": {"submit"}, "rapid": {"on"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save and submit: %d", r.Status)
		}
		id := strings.TrimPrefix(r.Location, "/admin/releases/")
		if q := env.login(models.RoleApprover).get("/admin/review").Body; !strings.Contains(q, "Backups wait their turn") {
			t.Fatal("the press desk's regular approver is not asked at once")
		}
		bo := env.loginAs("backup@example.org")
		if q := bo.get("/admin/review").Body; strings.Contains(q, "Backups wait their turn") {
			t.Error("the backup's review queue lists the release before any deadline lapsed")
		}
		if desk := bo.get("/admin").Body; strings.Contains(desk, "Backups wait their turn") {
			t.Error("the backup's desk lists the release before any deadline lapsed")
		}
		if page := bo.get("/admin/releases/" + id).Body; !strings.Contains(page, "You are a backup approver for Press desk: you are asked to review this only if its rapid-response deadline (") ||
			strings.Contains(page, "Approve revision 1") {
			t.Error("the release page offers the backup an approval, or does not say why it does not")
		}
		bo.post("/admin/releases/"+id, "/admin/releases/"+id+"/approve", nil)
		var n int64
		env.db.Gorm.Model(&models.Approval{}).Where("document_id = ? AND user_id = ?", id, backup.ID).Count(&n)
		if n != 0 {
			t.Fatal("the backup approved before the release escalated")
		}

		// The press desk's 20 minutes lapse: the backup is called in.
		if _, err := models.EscalateOverdue(ctx, env.db.Gorm, env.clock.Now().Add(21*time.Minute), nil); err != nil {
			t.Fatal(err)
		}
		if q := bo.get("/admin/review").Body; !strings.Contains(q, "Backups wait their turn") {
			t.Fatal("after the escalation the backup's queue does not list the release")
		}
		if page := bo.get("/admin/releases/" + id).Body; !strings.Contains(page, "Approve revision 1") || strings.Contains(page, "You are a backup approver") {
			t.Error("after the escalation the release page does not offer the backup an approval")
		}
		if r := bo.post("/admin/releases/"+id, "/admin/releases/"+id+"/approve", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("the backup's approval after the escalation: %d", r.Status)
		}
		env.db.Gorm.Model(&models.Approval{}).Where("document_id = ? AND user_id = ?", id, backup.ID).Count(&n)
		if n != 1 {
			t.Fatalf("after the escalation the backup's approval was not recorded (%d)", n)
		}
	})
}

// pressDeskBackup adds an approver who is the Press desk's backup, not one
// of its approvers.
func pressDeskBackup(t *testing.T, env *testEnv) *models.User {
	t.Helper()
	ctx := context.Background()
	backup, err := models.CreateUser(ctx, env.db.Gorm, models.NewUserInput{Email: "backup@example.org", Name: "Bo Backup", Role: models.RoleApprover, Password: testPassword, Groups: []string{"Press desk"}})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := models.GroupByName(ctx, env.db.Gorm, "Press desk")
	if err := models.SetBackup(ctx, env.db.Gorm, g.ID, backup.ID, true); err != nil {
		t.Fatal(err)
	}
	return backup
}
