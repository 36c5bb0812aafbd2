package models_test

import (
	"context"
	"errors"
	"testing"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestEarlierEditorsCannotApprove is the rule that nobody approves their own
// work, over a document's history: whoever wrote any revision since the last
// approved one (or since the draft began) may not approve, however small a
// colleague's later edit; an edit before the last approval does not bar.
func TestEarlierEditorsCannotApprove(t *testing.T) {
	t.Parallel()
	type who int
	const (
		press who = iota // the author
		boss             // an admin in the Press desk: edits and approves
		boss2            // another admin in the Press desk
		desk             // an approver in the Press desk, never edits
	)
	cases := []struct {
		name     string
		before   []who // edits after the draft, before the first round of approval
		approved bool  // the first round completes (published), then:
		after    []who // edits after it (a correction), or before submitting when not approved
		approver who
		barred   bool
	}{
		{name: "never edited", before: []who{boss}, approver: desk},
		{name: "the author", approver: press, barred: true},
		{name: "editor of the current revision", before: []who{boss}, approver: boss, barred: true},
		{name: "earlier editor after the author's trivial edit", before: []who{boss, press}, approver: boss, barred: true},
		{name: "earlier editor after a colleague's trivial edit", before: []who{boss, boss2}, approver: boss, barred: true},
		{name: "the colleague after the earlier editor", before: []who{boss, boss2}, approver: boss2, barred: true},
		{name: "edited only before the last approval", before: []who{boss}, approved: true, after: []who{boss2}, approver: boss},
		{name: "wrote a correction since the approval", approved: true, after: []who{boss, boss2}, approver: boss, barred: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, db *models.DB) {
				ctx := context.Background()
				o := newOrg(t, db)
				admin := func(email string) *models.User {
					u, err := models.CreateUser(ctx, o.db, models.NewUserInput{Email: email, Name: email, Role: models.RoleAdmin, Password: "long enough password", Groups: []string{"Press desk"}})
					if err != nil {
						t.Fatal(err)
					}
					u, _ = models.UserByID(ctx, o.db, u.ID)
					return u
				}
				users := map[who]*models.User{press: o.press, boss: admin("boss@example.org"), boss2: admin("boss2@example.org"), desk: o.desk}
				d := o.draft(t, "Arms embargo now")
				n := 0
				edit := func(by who) {
					t.Helper()
					n++
					in := models.DocumentInput{Body: ptr("Edit " + string(rune('A'+n)) + ".")}
					if tc.approved {
						in.CorrectionNote = ptr("Corrected a figure.")
					}
					if _, err := models.UpdateDocument(ctx, o.db, users[by], d.ID, in, o.now); err != nil {
						t.Fatal(err)
					}
				}
				for _, e := range tc.before {
					edit(e)
				}
				if _, err := models.SubmitDocument(ctx, o.db, o.press, d.ID, false, o.now); err != nil {
					t.Fatal(err)
				}
				if tc.approved {
					// desk2 and legal approve: nobody in the table approved yet.
					if _, err := models.ApproveDocument(ctx, o.db, o.desk2, d.ID, "", o.now); err != nil {
						t.Fatal(err)
					}
					if res, err := models.ApproveDocument(ctx, o.db, o.legal, d.ID, "", o.now); err != nil || res.Document.Status != models.StatusPublished {
						t.Fatalf("first round: %v", err)
					}
					for _, e := range tc.after {
						edit(e)
					}
				}
				u := users[tc.approver]
				doc, err := models.DocumentByID(ctx, o.db, d.ID)
				if err != nil {
					t.Fatal(err)
				}
				review, err := models.ReviewOf(ctx, o.db, doc)
				if err != nil {
					t.Fatal(err)
				}
				if got := review.Barred(u) != ""; got != tc.barred {
					t.Errorf("Barred = %q, want barred %v", review.Barred(u), tc.barred)
				}
				if got := review.OpenStepFor(u, doc.Revision.ContentHash) == nil; got != tc.barred {
					t.Errorf("OpenStepFor nil = %v, want %v", got, tc.barred)
				}
				// The queue lists it for the Press desk member, actionable or
				// with the reason.
				items, err := models.ReviewQueue(ctx, o.db, u)
				if err != nil {
					t.Fatal(err)
				}
				if len(u.Groups) > 0 && (len(items) != 1 || (items[0].Barred != "") != tc.barred) {
					t.Errorf("queue = %+v, want one item, barred %v", items, tc.barred)
				}
				var before int64
				o.db.Model(&models.Approval{}).Where("document_id = ?", d.ID).Count(&before)
				_, err = models.ApproveDocument(ctx, o.db, u, d.ID, "", o.now)
				if tc.barred != errors.Is(err, models.ErrSelfApproval) || (!tc.barred && err != nil) {
					t.Fatalf("approve = %v, want barred %v", err, tc.barred)
				}
				var after int64
				o.db.Model(&models.Approval{}).Where("document_id = ?", d.ID).Count(&after)
				if tc.barred && after != before {
					t.Errorf("a refused approval stored a row: %d -> %d", before, after)
				}
				// Asking for changes follows the same rule.
				if tc.barred && !tc.approved {
					if _, err := models.RequestChanges(ctx, o.db, u, d.ID, "Tighten it.", o.now); !errors.Is(err, models.ErrSelfApproval) {
						t.Errorf("request changes by a barred user = %v, want refused", err)
					}
				}
			})
		})
	}
}
