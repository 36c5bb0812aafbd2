package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// published makes a published document of a kind, written by the kind's
// editor and approved by the press desk and legal.
func (o *org) published(t *testing.T, k models.Kind, headline string) *models.Document {
	t.Helper()
	ctx := context.Background()
	author := o.press
	if k == models.KindActionAlert {
		author = o.campaigner
	}
	d, err := models.CreateDocument(ctx, o.db, author, models.DocumentInput{Kind: k, Headline: ptr(headline), Body: ptr("Act now.")}, o.now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.SubmitDocument(ctx, o.db, author, d.ID, false, o.now); err != nil {
		t.Fatal(err)
	}
	return o.approveAll(t, d.ID)
}

// TestObjectRulesInModels checks the kind rule in the models functions
// themselves, whatever route calls them: each role acts only on its kinds.
func TestObjectRulesInModels(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		admin, err := models.CreateUser(ctx, o.db, models.NewUserInput{Email: "admin@example.org", Name: "Admin", Role: models.RoleAdmin, Password: "long enough password"})
		if err != nil {
			t.Fatal(err)
		}
		release := o.published(t, models.KindPressRelease, "Arms embargo now")
		alert := o.published(t, models.KindActionAlert, "Write to the minister")
		docs := map[models.Kind]*models.Document{models.KindPressRelease: release, models.KindActionAlert: alert}
		users := map[models.Role]*models.User{models.RoleAdmin: admin, models.RolePressOfficer: o.press, models.RoleCampaigner: o.campaigner,
			models.RoleApprover: o.desk, models.RoleViewer: o.viewer}
		edits := func(r models.Role, k models.Kind) bool {
			return r == models.RoleAdmin || (r == models.RolePressOfficer && k == models.KindPressRelease) || (r == models.RoleCampaigner && k == models.KindActionAlert)
		}
		actions := []struct {
			name    string
			allowed func(models.Role, models.Kind) bool
			do      func(u *models.User, d *models.Document) error
		}{
			{"create preview link", edits, func(u *models.User, d *models.Document) error {
				_, _, err := models.CreatePreviewLink(ctx, o.db, u, d.ID, "", "reporter@example.org", o.now.Add(time.Hour), o.now)
				return err
			}},
			{"revoke preview link", edits, func(u *models.User, d *models.Document) error {
				l, _, err := models.CreatePreviewLink(ctx, o.db, admin, d.ID, "", "reporter@example.org", o.now.Add(time.Hour), o.now)
				if err != nil {
					t.Fatal(err)
				}
				err = models.RevokePreviewLink(ctx, o.db, u, d.ID, l.ID, o.now)
				var stored models.PreviewLink
				o.db.First(&stored, "id = ?", l.ID)
				if err != nil && stored.RevokedAt != nil {
					t.Errorf("a refused revoke revoked the link")
				}
				return err
			}},
			{"comment", func(r models.Role, k models.Kind) bool { return edits(r, k) || r == models.RoleApprover }, func(u *models.User, d *models.Document) error {
				_, err := models.AddComment(ctx, o.db, u, d.ID, "Check the figure.", o.now)
				return err
			}},
			{"translate", edits, func(u *models.User, d *models.Document) error {
				// The request names the role's own kind; the original's counts.
				k := models.KindPressRelease
				if u.Role == models.RoleCampaigner {
					k = models.KindActionAlert
				}
				tr, err := models.CreateDocument(ctx, o.db, u, models.DocumentInput{Kind: k, OriginalID: &d.ID, Language: ptr("fr"),
					Headline: ptr("Traduction"), Body: ptr("Maintenant.")}, o.now)
				if err == nil && tr.Kind != d.Kind {
					t.Errorf("a translation of a %s is a %s", d.Kind, tr.Kind)
				}
				return err
			}},
		}
		for _, a := range actions {
			for k, d := range docs {
				for r, u := range users {
					err := a.do(u, d)
					if a.allowed(r, k) && err != nil {
						t.Errorf("%s %s as %s: %v, want allowed", a.name, k, r, err)
					}
					if !a.allowed(r, k) && !errors.Is(err, models.ErrForbidden) {
						t.Errorf("%s %s as %s: %v, want forbidden", a.name, k, r, err)
					}
				}
			}
		}
		for r, u := range users {
			_, err := models.CreateCampaign(ctx, o.db, u, "Campaign of "+string(r), "")
			if allowed := r == models.RoleAdmin || r == models.RoleCampaigner; allowed != (err == nil) || (!allowed && !errors.Is(err, models.ErrForbidden)) {
				t.Errorf("create campaign as %s: %v", r, err)
			}
		}
		if _, err := models.CreateCampaign(ctx, o.db, nil, "Nobody's", ""); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("create campaign without a user: %v", err)
		}
		var n int64
		o.db.Model(&models.Campaign{}).Count(&n)
		if n != 2 {
			t.Errorf("%d campaigns stored, want 2 (admin's and the campaigner's)", n)
		}
	})
}

// TestPeopleRule is the personal-data rule: who may read (and change) each
// audience's people, and that a bulk read is audited while a first page is
// not.
func TestPeopleRule(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		role              models.Role
		media, supporters bool
	}{
		{models.RoleAdmin, true, true},
		{models.RolePressOfficer, true, false},
		{models.RoleCampaigner, false, true},
		{models.RoleApprover, false, false},
		{models.RoleViewer, false, false},
	} {
		u := &models.User{ID: "u", Role: tc.role}
		if got := models.CanReadPeople(u, models.AudienceMedia); got != tc.media {
			t.Errorf("%s reads media contacts: %v, want %v", tc.role, got, tc.media)
		}
		if got := models.CanReadPeople(u, models.AudienceSupporters); got != tc.supporters {
			t.Errorf("%s reads supporters: %v, want %v", tc.role, got, tc.supporters)
		}
		if models.CanManageAudience(u, models.AudienceMedia) != tc.media || models.CanManageAudience(u, models.AudienceSupporters) != tc.supporters {
			t.Errorf("%s: who changes an audience differs from who reads it", tc.role)
		}
	}
	if models.CanReadPeople(nil, models.AudienceSupporters) {
		t.Error("nobody signed in reads supporters")
	}
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		for _, e := range []string{"a@example.net", "b@example.net"} {
			if _, err := models.RequestSubscription(ctx, o.db, models.SubscribeInput{Email: e, Name: e}); err != nil {
				t.Fatal(err)
			}
		}
		audits := func() int64 {
			var n int64
			o.db.Model(&models.AuditEvent{}).Where("action LIKE ?", "supporters_%").Count(&n)
			return n
		}
		read := models.PeopleRead{Filter: "limit=1", IP: "192.0.2.1", At: o.now}
		if _, err := models.ReadSupporters(ctx, o.db, o.viewer, models.SupporterFilter{}, 1, "", read); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("viewer reads supporters: %v", err)
		}
		first, err := models.ReadSupporters(ctx, o.db, o.campaigner, models.SupporterFilter{}, 1, "", read)
		if err != nil || len(first) != 1 || audits() != 0 {
			t.Fatalf("first page: %v %v, %d audits", first, err, audits())
		}
		if _, err := models.ReadSupporters(ctx, o.db, o.campaigner, models.SupporterFilter{}, 1, first[0].Address(), read); err != nil || audits() != 1 {
			t.Fatalf("second page: %v, %d audits", err, audits())
		}
		var ev models.AuditEvent
		o.db.Where("action = ?", "supporters_read").First(&ev)
		if ev.ActorID == nil || *ev.ActorID != o.campaigner.ID || ev.IP != "192.0.2.1" || ev.Details != "list past the first page; filter limit=1 (1 supporters)" {
			t.Errorf("audit = %+v", ev)
		}
	})
}
