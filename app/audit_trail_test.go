package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
)

// TestPrivilegedActionsAreAudited: approvals, sends (dispatch, test mail,
// retrying failed batches) and user changes each leave an event with the
// actor, the client's address and what changed, and the log's hash chain
// verifies afterwards.
func TestPrivilegedActionsAreAudited(t *testing.T) {
	fake := sendgridfake.New("SG.audit").Start()
	defer fake.Close()
	run(t, envOptions{work: true, transport: jobs.NewSendGrid("SG.audit", fake.URL())}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		fake.Reset()
		press, approver := env.token(models.RolePressOfficer), env.token(models.RoleApprover)
		_, legal, err := models.CreateAPIToken(ctx, env.db.Gorm, env.legal.ID, "test")
		if err != nil {
			t.Fatal(err)
		}

		// A release written, submitted and approved through the API.
		r := env.api("POST", "/api/v1/releases", press, `{"kind":"press_release","headline":"Stop the sale","body":"Now."}`)
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var doc struct{ ID string }
		_ = json.Unmarshal([]byte(r.Body), &doc)
		for _, step := range []struct{ path, token string }{{"/submit", press}, {"/approve", approver}, {"/approve", legal}} {
			if r := env.api("POST", "/api/v1/releases/"+doc.ID+step.path, step.token, `{}`); r.Status >= 300 {
				t.Fatalf("%s: %d %s", step.path, r.Status, r.Body)
			}
		}

		// A send that the provider refuses, then retried. The approvals' own
		// emails go through the same provider: they are sent first, or one of
		// them could take the refusal scripted for the send.
		waitFor(t, "the approvals' emails", func() bool {
			var pending int64
			if err := env.db.Gorm.Table("river_job").Where("kind IN ? AND state IN ?", []string{"notify_approvers", "deliver_mail"},
				[]string{"available", "running", "retryable", "pending"}).Count(&pending).Error; err != nil {
				t.Fatal(err)
			}
			return pending == 0
		})
		fake.Script(sendgridfake.Fault{Status: http.StatusBadRequest, Message: "Invalid from address"})
		ml, _ := models.CreateMediaList(ctx, env.db.Gorm, "Desk", "")
		c, _ := models.CreateContact(ctx, env.db.Gorm, models.ContactInput{Email: "j@news.example", Name: "J"})
		_ = models.AddContactsToList(ctx, env.db.Gorm, ml.ID, []string{c.ID})
		r = env.api("POST", "/api/v1/sends", press, `{"release_id":"`+doc.ID+`","media_list_ids":["`+ml.ID+`"]}`)
		if r.Status != 201 {
			t.Fatalf("send: %d %s", r.Status, r.Body)
		}
		var s struct{ ID, Status string }
		_ = json.Unmarshal([]byte(r.Body), &s)
		if r := env.api("POST", "/api/v1/sends/"+s.ID+"/dispatch", press, ""); r.Status != 202 {
			t.Fatalf("dispatch: %d %s", r.Status, r.Body)
		}
		for deadline := time.Now().Add(20 * time.Second); s.Status != "failed" && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
			_ = json.Unmarshal([]byte(env.api("GET", "/api/v1/sends/"+s.ID, press, "").Body), &s)
		}
		if s.Status != "failed" {
			t.Fatalf("send status %s, want failed", s.Status)
		}
		if r := env.api("POST", "/api/v1/sends/"+s.ID+"/retry-failed", press, ""); r.Status != 202 {
			t.Fatalf("retry: %d %s", r.Status, r.Body)
		}
		b := env.login(models.RolePressOfficer)
		if r := b.post("/admin/sends/"+s.ID, "/admin/sends/"+s.ID+"/test", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("test mail: %d %s", r.Status, r.Body)
		}

		// An admin changes a user's role, disables them and sets a password.
		viewer := env.users[models.RoleViewer]
		admin := env.login(models.RoleAdmin)
		if r := admin.post("/admin/users/"+viewer.ID, "/admin/users/"+viewer.ID, url.Values{"name": {"Test Viewer"}, "role": {"campaigner"},
			"time_zone": {"Europe/London"}, "disabled": {"on"}, "password": {"Quiet harbour lanterns 1987"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("update user: %d %s", r.Status, r.Body)
		}

		pressID, approverID, adminID := env.users[models.RolePressOfficer].ID, env.users[models.RoleApprover].ID, env.users[models.RoleAdmin].ID
		for _, want := range []struct {
			action, actor, details string // details: parts separated by |
		}{
			{"document_created", pressID, ""},
			{"document_submitted", pressID, ""},
			{"approved", approverID, ""},
			{"approved", env.legal.ID, ""},
			{"send_created", pressID, s.ID},
			{"send_tested", pressID, s.ID},
			{"send_dispatched", pressID, s.ID},
			{"send_retry_failed", pressID, "1 failed batch"},
			{models.ActionUserUpdated, adminID, "role viewer → campaigner|disabled|password set"},
		} {
			var evs []models.AuditEvent
			env.db.Gorm.Where("action = ? AND actor_id = ?", want.action, want.actor).Find(&evs)
			found := false
			for _, e := range evs {
				all := true
				for _, part := range strings.Split(want.details, "|") {
					all = all && strings.Contains(e.Details, part)
				}
				if all {
					found = true
					if e.IP != "127.0.0.1" {
						t.Errorf("%s by %s: IP %q, want the client's address", want.action, want.actor, e.IP)
					}
				}
			}
			if !found {
				t.Errorf("no %s event by %s with details %q (found %+v)", want.action, want.actor, want.details, evs)
			}
		}
		if _, err := models.VerifyAuditLog(ctx, env.db.Gorm); err != nil {
			t.Fatalf("chain after the run: %v", err)
		}
	})
}
