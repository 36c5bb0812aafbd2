package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"pressroom/models"
)

// TestBackupsAreAskedOnlyOnEscalation: submitting a release emails the step's
// approvers but not its backups, as the Groups page says.
func TestBackupsAreAskedOnlyOnEscalation(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		backup, err := models.CreateUser(ctx, env.db.Gorm, models.NewUserInput{Email: "backup@example.org", Name: "Bo Backup", Role: models.RoleApprover, Password: testPassword, Groups: []string{"Press desk"}})
		if err != nil {
			t.Fatal(err)
		}
		g, _ := models.GroupByName(ctx, env.db.Gorm, "Press desk")
		if err := models.SetBackup(ctx, env.db.Gorm, g.ID, backup.ID, true); err != nil {
			t.Fatal(err)
		}
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
