package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestEscalationEmailsBackupsOnce submits a release in rapid-response mode, lets
// the press desk's 15-minute SLA lapse on an injected clock, and runs the
// escalation sweep three times: the backup approver gets exactly one email.
func TestEscalationEmailsBackupsOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		clock := models.NewFixedClock(time.Date(2026, 7, 9, 9, 0, 0, 0, time.UTC))
		for _, g := range []string{"Press desk", "Legal"} {
			if _, err := models.CreateGroup(ctx, db.Gorm, g, ""); err != nil {
				t.Fatal(err)
			}
		}
		mk := func(email string, role models.Role, groups ...string) *models.User {
			u, err := models.CreateUser(ctx, db.Gorm, models.NewUserInput{Email: email, Name: email, Role: role, Password: "long enough password", Groups: groups})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		author := mk("press@example.org", models.RolePressOfficer)
		mk("desk@example.org", models.RoleApprover, "Press desk")
		backup := mk("backup@example.org", models.RoleApprover, "Press desk")
		mk("legal@example.org", models.RoleApprover, "Legal")
		g, _ := models.GroupByName(ctx, db.Gorm, "Press desk")
		if err := models.SetBackup(ctx, db.Gorm, g.ID, backup.ID, true); err != nil {
			t.Fatal(err)
		}
		models.CreateSeries(ctx, db.Gorm, models.SeriesInput{Code: "PRE 01", Name: "P", Format: "{code}/{serial:03}/{year}", Kind: "press_release"})
		models.SaveWorkflow(ctx, db.Gorm, models.WorkflowInput{Name: "Std", IsDefault: true, Steps: []models.StepInput{
			{Group: "Press desk", ApprovalsNeeded: 1, SLAMinutes: 15}, {Group: "Legal", ApprovalsNeeded: 1, SLAMinutes: 60}}})
		h := "Rapid release"
		d, err := models.CreateDocument(ctx, db.Gorm, author, models.DocumentInput{Kind: models.KindPressRelease, Headline: &h, Body: &h}, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.SubmitDocument(ctx, db.Gorm, author, d.ID, true, clock.Now()); err != nil {
			t.Fatal(err)
		}

		client := startWorker(t, db, jobs.Deps{DB: db, Mail: &jobs.Outbox{DB: db.Gorm}, Clock: clock, BaseURL: "http://localhost:8080",
			MailFrom: jobs.Address{Email: "press@example.org"}})

		sweep := func() {
			t.Helper()
			res, err := client.Insert(ctx, jobs.EscalateOverdueArgs{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			waitJob(t, client, res.Job.ID)
		}
		clock.Advance(14 * time.Minute)
		sweep()
		clock.Advance(2 * time.Minute) // 16 minutes: past the press desk's SLA only
		sweep()
		sweep()
		clock.Advance(10 * time.Minute)
		sweep()

		deadline := time.Now().Add(10 * time.Second)
		var msgs []models.OutboxMessage
		for time.Now().Before(deadline) {
			msgs, _ = models.OutboxMessages(ctx, db.Gorm, "backup@example.org", 10)
			if len(msgs) > 0 {
				time.Sleep(300 * time.Millisecond) // give a duplicate the chance to show up
				msgs, _ = models.OutboxMessages(ctx, db.Gorm, "backup@example.org", 10)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Subject, "ESCALATED") || !strings.Contains(msgs[0].TextBody, "/admin/releases/"+d.ID) {
			t.Fatalf("backup got %d escalation emails, want exactly 1: %+v", len(msgs), msgs)
		}
		if others, _ := models.OutboxMessages(ctx, db.Gorm, "legal@example.org", 10); len(others) != 0 {
			t.Fatalf("legal (SLA not lapsed, no backups) was emailed: %d", len(others))
		}
	})
}

// waitJob waits until a job has finished.
func waitJob(t *testing.T, client *jobs.Client, id int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		j, err := client.JobGet(context.Background(), id)
		if err == nil && j.FinalizedAt != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %d did not finish", id)
}
