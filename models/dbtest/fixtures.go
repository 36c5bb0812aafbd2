package dbtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"pressroom/models"
)

// Org is a minimal organisation for send tests: a press officer, a campaigner,
// the approvers of a two-step workflow, and the series releases need.
type Org struct {
	DB         *models.DB
	Press      *models.User
	Campaigner *models.User
	desk       *models.User
	legal      *models.User
}

// NewOrg builds the organisation in db.
func NewOrg(t testing.TB, db *models.DB) *Org {
	t.Helper()
	ctx := context.Background()
	for _, g := range []string{"Press desk", "Legal"} {
		if _, err := models.CreateGroup(ctx, db.Gorm, g, ""); err != nil {
			t.Fatal(err)
		}
	}
	user := func(email string, role models.Role, groups ...string) *models.User {
		u, err := models.CreateUser(ctx, db.Gorm, models.NewUserInput{Email: email, Name: email, Role: role, Password: "long enough password", Groups: groups})
		if err != nil {
			t.Fatal(err)
		}
		u, _ = models.UserByID(ctx, db.Gorm, u.ID)
		return u
	}
	o := &Org{DB: db, Press: user("press@example.org", models.RolePressOfficer), Campaigner: user("campaigner@example.org", models.RoleCampaigner),
		desk: user("desk@example.org", models.RoleApprover, "Press desk"), legal: user("legal@example.org", models.RoleApprover, "Legal")}
	for _, s := range []models.SeriesInput{{Code: "PRE 01", Name: "Press", Format: "{code}/{serial:03}/{year}", Kind: "press_release"},
		{Code: "UA", Name: "Urgent Actions", Format: "{code} {serial}/{yy}", Kind: "action_alert"}} {
		if _, err := models.CreateSeries(ctx, db.Gorm, s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := models.SaveWorkflow(ctx, db.Gorm, models.WorkflowInput{Name: "Standard", IsDefault: true, Steps: []models.StepInput{
		{Group: "Press desk", ApprovalsNeeded: 1, SLAMinutes: 15}, {Group: "Legal", ApprovalsNeeded: 1, SLAMinutes: 30}}}); err != nil {
		t.Fatal(err)
	}
	return o
}

// Release drafts and approves a document of a kind at now: scheduled when the
// embargo is in the future, published otherwise.
func (o *Org) Release(t testing.TB, kind models.Kind, headline string, embargo *time.Time, now time.Time) *models.Document {
	t.Helper()
	ctx := context.Background()
	author := o.Press
	if kind == models.KindActionAlert {
		author = o.Campaigner
	}
	body, tz := "The **government** must act now.", "Europe/London"
	d, err := models.CreateDocument(ctx, o.DB.Gorm, author, models.DocumentInput{Kind: kind, Headline: &headline, Body: &body,
		Dateline: ptr("LONDON, 9 July 2026"), EmbargoAt: &embargo, EmbargoTZ: &tz}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.SubmitDocument(ctx, o.DB.Gorm, author, d.ID, false, now); err != nil {
		t.Fatal(err)
	}
	if _, err := models.ApproveDocument(ctx, o.DB.Gorm, o.desk, d.ID, "", now); err != nil {
		t.Fatal(err)
	}
	res, err := models.ApproveDocument(ctx, o.DB.Gorm, o.legal, d.ID, "", now, models.PublishNowIfEmbargoPassed)
	if err != nil {
		t.Fatal(err)
	}
	return res.Document
}

// Approve gives a document in review (an edited release, a correction) both
// approvals of the workflow at now and returns it: scheduled or published again.
func (o *Org) Approve(t testing.TB, id string, now time.Time) *models.Document {
	t.Helper()
	ctx := context.Background()
	if _, err := models.ApproveDocument(ctx, o.DB.Gorm, o.desk, id, "", now); err != nil {
		t.Fatal(err)
	}
	res, err := models.ApproveDocument(ctx, o.DB.Gorm, o.legal, id, "", now, models.PublishNowIfEmbargoPassed)
	if err != nil {
		t.Fatal(err)
	}
	return res.Document
}

func ptr[T any](v T) *T { return &v }

// BulkSupporters adds n subscribed supporters named <prefix>-<i>@example.org to
// a new supporter list and returns the list id. On PostgreSQL it is one
// set-based statement (generate_series, hashes computed in SQL), so a million
// rows take seconds; on SQLite rows are inserted in batches.
func BulkSupporters(t testing.TB, db *models.DB, prefix string, n int) string {
	t.Helper()
	ctx := context.Background()
	l, err := models.CreateSupporterList(ctx, db.Gorm, prefix+" list", "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if db.Dialect == models.Postgres {
		err = db.Gorm.Exec(`INSERT INTO supporters (id, email, email_hash, name, status, created_at, updated_at)
SELECT ? || '-' || i, e, encode(sha256(convert_to(e, 'UTF8')), 'hex'), 'Supporter ' || i, 'subscribed', ?, ?
FROM (SELECT i, ? || '-' || i || '@example.org' AS e FROM generate_series(1, ?) AS i) g`, prefix, now, now, prefix, n).Error
		if err == nil {
			err = db.Gorm.Exec(`INSERT INTO supporter_list_members (list_id, supporter_id, added_at)
SELECT ?, ? || '-' || i, ? FROM generate_series(1, ?) AS i`, l.ID, prefix, now, n).Error
		}
		if err != nil {
			t.Fatal(err)
		}
		return l.ID
	}
	const chunk = 500
	for start := 1; start <= n; start += chunk {
		var sups []models.Supporter
		var members []models.SupporterListMember
		for i := start; i < start+chunk && i <= n; i++ {
			e := fmt.Sprintf("%s-%d@example.org", prefix, i)
			id := fmt.Sprintf("%s-%d", prefix, i)
			sups = append(sups, models.Supporter{ID: id, Email: &e, EmailHash: models.EmailHash(e), Name: fmt.Sprintf("Supporter %d", i),
				Status: models.StatusSubscribed, Frequency: "all", CreatedAt: now, UpdatedAt: now})
			members = append(members, models.SupporterListMember{ListID: l.ID, SupporterID: id, AddedAt: now})
		}
		if err := db.Gorm.Create(&sups).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Create(&members).Error; err != nil {
			t.Fatal(err)
		}
	}
	return l.ID
}
