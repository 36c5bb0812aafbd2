package models_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// org is a small organisation for workflow tests: a press officer, a campaigner,
// approvers in two groups (one of them also a backup), a viewer, the PRE 01 and UA
// series and a two-step workflow.
type org struct {
	db                      *gorm.DB
	press, campaigner       *models.User
	desk, desk2, legal, dir *models.User
	viewer                  *models.User
	now                     time.Time
}

func newOrg(t testing.TB, db *models.DB) *org {
	t.Helper()
	ctx := context.Background()
	o := &org{db: db.Gorm, now: time.Date(2026, 7, 9, 9, 0, 0, 0, time.UTC)}
	for _, g := range []string{"Press desk", "Legal", "Director"} {
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
	o.press = user("press@example.org", models.RolePressOfficer)
	o.campaigner = user("campaigner@example.org", models.RoleCampaigner)
	o.desk = user("desk@example.org", models.RoleApprover, "Press desk")
	o.desk2 = user("desk2@example.org", models.RoleApprover, "Press desk")
	o.legal = user("legal@example.org", models.RoleApprover, "Legal")
	o.dir = user("dir@example.org", models.RoleApprover, "Director", "Legal")
	o.viewer = user("viewer@example.org", models.RoleViewer)
	if _, err := models.CreateSeries(ctx, db.Gorm, models.SeriesInput{Code: "PRE 01", Name: "Press", Format: "{code}/{serial:03}/{year}", Kind: "press_release"}); err != nil {
		t.Fatal(err)
	}
	if _, err := models.CreateSeries(ctx, db.Gorm, models.SeriesInput{Code: "UA", Name: "Urgent Actions", Format: "{code} {serial}/{yy}", Kind: "action_alert"}); err != nil {
		t.Fatal(err)
	}
	if _, err := models.SaveWorkflow(ctx, db.Gorm, models.WorkflowInput{Name: "Standard", IsDefault: true, Steps: []models.StepInput{
		{Group: "Press desk", ApprovalsNeeded: 1, SLAMinutes: 15}, {Group: "Legal", ApprovalsNeeded: 1, SLAMinutes: 30},
	}}); err != nil {
		t.Fatal(err)
	}
	return o
}

func ptr[T any](v T) *T { return &v }

func (o *org) draft(t *testing.T, headline string) *models.Document {
	t.Helper()
	d, err := models.CreateDocument(context.Background(), o.db, o.press, models.DocumentInput{Kind: models.KindPressRelease,
		Headline: ptr(headline), Body: ptr("The **government** must act."), Dateline: ptr("LONDON, 9 July 2026")}, o.now)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (o *org) approveAll(t *testing.T, id string) *models.Document {
	t.Helper()
	ctx := context.Background()
	if _, err := models.ApproveDocument(ctx, o.db, o.desk, id, "", o.now); err != nil {
		t.Fatal(err)
	}
	res, err := models.ApproveDocument(ctx, o.db, o.legal, id, "", o.now)
	if err != nil {
		t.Fatal(err)
	}
	return res.Document
}

func TestReleaseLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		d := o.draft(t, "Arms embargo on Freedonia now")
		if d.Status != models.StatusDraft || d.CurrentRevision != 1 || d.IndexNumber != nil {
			t.Fatalf("new draft: %+v", d)
		}
		// Approving a draft is refused: it is not in review.
		if _, err := models.ApproveDocument(ctx, o.db, o.desk, d.ID, "", o.now); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("approve draft: %v", err)
		}
		opened, err := models.SubmitDocument(ctx, o.db, o.press, d.ID, false, o.now)
		if err != nil {
			t.Fatal(err)
		}
		if len(opened.Steps) != 1 || opened.Steps[0].Position != 1 {
			t.Fatalf("submit opened %+v, want step 1 only", opened.Steps)
		}
		// Self-approval, a wrong group and a viewer are refused.
		if _, err := models.ApproveDocument(ctx, o.db, o.press, d.ID, "", o.now); !errors.Is(err, models.ErrSelfApproval) || !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("self approval: %v", err)
		}
		if _, err := models.ApproveDocument(ctx, o.db, o.legal, d.ID, "", o.now); !errors.Is(err, models.ErrNotYourStep) {
			t.Fatalf("legal before press desk: %v", err)
		}
		if _, err := models.ApproveDocument(ctx, o.db, o.viewer, d.ID, "", o.now); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("viewer: %v", err)
		}
		res, err := models.ApproveDocument(ctx, o.db, o.desk, d.ID, "fine by press desk", o.now)
		if err != nil {
			t.Fatal(err)
		}
		if res.Final || len(res.Opened) != 1 || res.Opened[0].Position != 2 {
			t.Fatalf("first approval: final=%v opened=%+v", res.Final, res.Opened)
		}
		if _, err := models.ApproveDocument(ctx, o.db, o.desk, d.ID, "", o.now); !errors.Is(err, models.ErrAlreadyApproved) {
			t.Fatalf("second approval by the same person: %v", err)
		}
		// An edit after the first approval voids it: press desk must approve again.
		d, err = models.UpdateDocument(ctx, o.db, o.press, d.ID, models.DocumentInput{Body: ptr("The government must act **now**.")}, o.now)
		if err != nil {
			t.Fatal(err)
		}
		if d.CurrentRevision != 2 || d.Status != models.StatusInReview {
			t.Fatalf("after edit: rev %d status %s", d.CurrentRevision, d.Status)
		}
		if _, err := models.ApproveDocument(ctx, o.db, o.legal, d.ID, "", o.now); !errors.Is(err, models.ErrNotYourStep) {
			t.Fatalf("legal after the edit reset press desk's approval: %v", err)
		}
		// Approvers do not edit press releases.
		if _, err := models.UpdateDocument(ctx, o.db, o.dir, d.ID, models.DocumentInput{Headline: ptr("x")}, o.now); !errors.Is(err, models.ErrWrongKind) {
			t.Fatalf("approver editing: %v", err)
		}
		d = o.approveAll(t, d.ID)
		year := o.now.Year()
		if d.Status != models.StatusPublished || d.IndexNumber == nil || *d.IndexNumber != fmt.Sprintf("PRE 01/001/%d", year) ||
			d.ApprovedRevision != 2 || d.PublishedAt == nil || d.Slug == nil {
			t.Fatalf("after final approval: status %s index %v approved rev %d", d.Status, d.IndexNumber, d.ApprovedRevision)
		}
		if *d.Slug != fmt.Sprintf("arms-embargo-on-freedonia-now-pre-01-001-%d", year) {
			t.Errorf("slug = %q", *d.Slug)
		}
		// Found by index number in any spelling.
		for _, q := range []string{"PRE 01/001/2026", "pre-01-001-2026", "PRE01 001"} {
			list, err := models.Documents(ctx, o.db, models.DocumentFilter{Index: q})
			if err != nil || len(list) != 1 || list[0].ID != d.ID {
				t.Errorf("lookup %q: %v %d", q, err, len(list))
			}
		}
		// A correction needs a note, keeps the published text until approved.
		if _, err := models.UpdateDocument(ctx, o.db, o.press, d.ID, models.DocumentInput{Body: ptr("Corrected figure: 12 not 21.")}, o.now); err == nil {
			t.Fatal("correction without a note accepted")
		}
		d, err = models.UpdateDocument(ctx, o.db, o.press, d.ID, models.DocumentInput{Body: ptr("Corrected figure: 12 not 21."), CorrectionNote: ptr("An earlier version gave 21.")}, o.now)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != models.StatusPublished || !d.CorrectionPending || d.ApprovedRevision != 2 || d.CurrentRevision != 3 {
			t.Fatalf("correction drafted: %+v", d)
		}
		d = o.approveAll(t, d.ID)
		if d.CorrectionPending || d.ApprovedRevision != 3 || *d.IndexNumber != fmt.Sprintf("PRE 01/001/%d", year) || d.CorrectionNote != "An earlier version gave 21." {
			t.Fatalf("correction approved: %+v", d)
		}
		// Withdrawal needs a notice; then nothing more may happen.
		if _, err := models.WithdrawDocument(ctx, o.db, o.press, d.ID, " ", o.now); err == nil {
			t.Fatal("withdrawal without a notice accepted")
		}
		d, err = models.WithdrawDocument(ctx, o.db, o.press, d.ID, "Withdrawn pending verification.", o.now)
		if err != nil || d.Status != models.StatusWithdrawn {
			t.Fatalf("withdraw: %v", err)
		}
		if _, err := models.UpdateDocument(ctx, o.db, o.press, d.ID, models.DocumentInput{Body: ptr("again")}, o.now); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("edit withdrawn: %v", err)
		}
		// The audit log has every transition.
		events, _ := models.AuditEvents(ctx, o.db, models.AuditFilter{SubjectID: d.ID, Limit: 100})
		var transitions []string
		for _, e := range events {
			if e.FromStatus != "" {
				transitions = append(transitions, e.FromStatus+">"+e.ToStatus)
			}
		}
		sort.Strings(transitions)
		want := []string{"approved>published", "draft>in_review", "in_review>approved", "published>published", "published>withdrawn"}
		if fmt.Sprint(transitions) != fmt.Sprint(want) {
			t.Fatalf("audited transitions = %v, want %v", transitions, want)
		}
	})
}

func TestTransitionsRefused(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		d := o.draft(t, "Refusals")
		type action struct {
			name string
			do   func() error
		}
		submit := action{"submit", func() error { _, err := models.SubmitDocument(ctx, o.db, o.press, d.ID, false, o.now); return err }}
		withdraw := action{"withdraw", func() error { _, err := models.WithdrawDocument(ctx, o.db, o.press, d.ID, "n", o.now); return err }}
		requestChanges := action{"request changes", func() error {
			_, err := models.RequestChanges(ctx, o.db, o.desk, d.ID, "fix the figures", o.now)
			return err
		}}
		// Draft: may not be withdrawn or sent back.
		for _, a := range []action{withdraw, requestChanges} {
			if err := a.do(); !errors.Is(err, models.ErrConflict) {
				t.Errorf("%s on a draft: %v", a.name, err)
			}
		}
		if err := submit.do(); err != nil {
			t.Fatal(err)
		}
		// In review: may not be submitted again or withdrawn.
		for _, a := range []action{submit, withdraw} {
			if err := a.do(); !errors.Is(err, models.ErrConflict) {
				t.Errorf("%s in review: %v", a.name, err)
			}
		}
		// Request changes needs a comment and an approver of an open step.
		if _, err := models.RequestChanges(ctx, o.db, o.desk, d.ID, "  ", o.now); err == nil {
			t.Error("request changes without a comment accepted")
		}
		if _, err := models.RequestChanges(ctx, o.db, o.legal, d.ID, "not my step", o.now); !errors.Is(err, models.ErrNotYourStep) {
			t.Errorf("request changes from a closed step: %v", err)
		}
		if err := requestChanges.do(); err != nil {
			t.Fatal(err)
		}
		got, _ := models.DocumentByID(ctx, o.db, d.ID)
		if got.Status != models.StatusChangesRequested {
			t.Fatalf("status = %s", got.Status)
		}
		comments, _ := models.Comments(ctx, o.db, d.ID)
		if len(comments) != 1 || comments[0].Body != "fix the figures" {
			t.Fatalf("comments = %+v", comments)
		}
		// Changes requested: may be resubmitted, not approved.
		if _, err := models.ApproveDocument(ctx, o.db, o.desk, d.ID, "", o.now); !errors.Is(err, models.ErrConflict) {
			t.Errorf("approve with changes requested: %v", err)
		}
		if err := submit.do(); err != nil {
			t.Fatalf("resubmit: %v", err)
		}
		// A campaigner may not edit a press release; a press officer may not create an alert.
		if _, err := models.UpdateDocument(ctx, o.db, o.campaigner, d.ID, models.DocumentInput{Body: ptr("x")}, o.now); !errors.Is(err, models.ErrWrongKind) {
			t.Errorf("campaigner edits a press release: %v", err)
		}
		if _, err := models.CreateDocument(ctx, o.db, o.press, models.DocumentInput{Kind: models.KindActionAlert, Headline: ptr("x")}, o.now); !errors.Is(err, models.ErrWrongKind) {
			t.Errorf("press officer creates an alert: %v", err)
		}
		// Lost-update guard.
		if _, err := models.UpdateDocument(ctx, o.db, o.press, d.ID, models.DocumentInput{Body: ptr("first"), BaseRevision: 1}, o.now); err != nil {
			t.Fatal(err)
		}
		_, err := models.UpdateDocument(ctx, o.db, o.press, d.ID, models.DocumentInput{Body: ptr("second"), BaseRevision: 1}, o.now)
		var stale *models.StaleRevisionError
		if !errors.As(err, &stale) || stale.Current != 2 || !errors.Is(err, models.ErrConflict) {
			t.Fatalf("stale save: %v", err)
		}
		// A head of press who edits the text may not then approve it.
		head, err := models.CreateUser(ctx, o.db, models.NewUserInput{Email: "head@example.org", Name: "Head", Role: models.RolePressOfficer, Password: "long enough password", Groups: []string{"Press desk"}})
		if err != nil {
			t.Fatal(err)
		}
		head, _ = models.UserByID(ctx, o.db, head.ID)
		if _, err := models.UpdateDocument(ctx, o.db, head, d.ID, models.DocumentInput{Body: ptr("tightened by the head of press")}, o.now); err != nil {
			t.Fatal(err)
		}
		if _, err := models.ApproveDocument(ctx, o.db, head, d.ID, "", o.now); !errors.Is(err, models.ErrSelfApproval) {
			t.Fatalf("editor approving their own revision: %v", err)
		}
		if _, err := models.ApproveDocument(ctx, o.db, o.desk, d.ID, "", o.now); err != nil {
			t.Fatalf("another press desk member approves: %v", err)
		}
	})
}

func TestEmbargoedReleaseIsScheduledThenPublished(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		embargo := o.now.Add(2 * time.Hour)
		d, err := models.CreateDocument(ctx, o.db, o.press, models.DocumentInput{Kind: models.KindPressRelease, Headline: ptr("Embargoed"), Body: ptr("Text under embargo."),
			EmbargoAt: ptr(&embargo), EmbargoTZ: ptr("Europe/London")}, o.now)
		if err != nil {
			t.Fatal(err)
		}
		models.SubmitDocument(ctx, o.db, o.press, d.ID, false, o.now)
		d = o.approveAll(t, d.ID)
		if d.Status != models.StatusScheduled || d.PublishedAt != nil || d.IndexNumber == nil {
			t.Fatalf("approved with a future embargo: %s %v", d.Status, d.PublishedAt)
		}
		if ids, _ := models.PublishDue(ctx, o.db, embargo.Add(-time.Second)); len(ids) != 0 {
			t.Fatalf("published before the embargo: %v", ids)
		}
		// Moving the embargo of a scheduled release needs approval again.
		later := embargo.Add(time.Hour)
		d, err = models.UpdateDocument(ctx, o.db, o.press, d.ID, models.DocumentInput{EmbargoAt: ptr(&later)}, o.now)
		if err != nil || d.Status != models.StatusInReview {
			t.Fatalf("embargo change: %v %s", err, d.Status)
		}
		d = o.approveAll(t, d.ID)
		if d.Status != models.StatusScheduled || !d.EmbargoAt.Equal(later) {
			t.Fatalf("re-approved: %s %v", d.Status, d.EmbargoAt)
		}
		ids, err := models.PublishDue(ctx, o.db, later)
		if err != nil || len(ids) != 1 {
			t.Fatalf("publish due: %v %v", ids, err)
		}
		d, _ = models.DocumentByID(ctx, o.db, d.ID)
		if d.Status != models.StatusPublished || !d.PublishedAt.Equal(later) {
			t.Fatalf("after the embargo: %s %v", d.Status, d.PublishedAt)
		}
	})
}

// TestConcurrentApprovalsGetConsecutiveSerials approves many releases of one
// series at once: every one gets a distinct serial, consecutive from 1.
func TestConcurrentApprovalsGetConsecutiveSerials(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		n := 20
		if db.Dialect == models.Postgres {
			n = 50
		}
		if _, err := models.SaveWorkflow(ctx, o.db, models.WorkflowInput{Name: "One step", Steps: []models.StepInput{{Group: "Legal", ApprovalsNeeded: 1}}}); err != nil {
			t.Fatal(err)
		}
		ids := make([]string, n)
		for i := range ids {
			d, err := models.CreateDocument(ctx, o.db, o.press, models.DocumentInput{Kind: models.KindPressRelease, Headline: ptr(fmt.Sprintf("Release %d", i)), Body: ptr("Text."), Workflow: ptr("One step")}, o.now)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := models.SubmitDocument(ctx, o.db, o.press, d.ID, false, o.now); err != nil {
				t.Fatal(err)
			}
			ids[i] = d.ID
		}
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i, id := range ids {
			wg.Add(1)
			go func(i int, id string) {
				defer wg.Done()
				approver := o.legal
				if i%2 == 1 {
					approver = o.dir
				}
				_, err := models.ApproveDocument(ctx, o.db, approver, id, "", o.now)
				errs <- err
			}(i, id)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("approval failed: %v", err)
			}
		}
		var serials []int
		if err := o.db.Model(&models.Document{}).Where("index_serial IS NOT NULL").Order("index_serial").Pluck("index_serial", &serials).Error; err != nil {
			t.Fatal(err)
		}
		if len(serials) != n {
			t.Fatalf("%d serials for %d approvals", len(serials), n)
		}
		for i, s := range serials {
			if s != i+1 {
				t.Fatalf("serials are not 1..%d without gaps: %v", n, serials)
			}
		}
	})
}

func TestRapidResponseEscalatesOnce(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		g, _ := models.GroupByName(ctx, o.db, "Press desk")
		if err := models.SetBackup(ctx, o.db, g.ID, o.desk2.ID, true); err != nil {
			t.Fatal(err)
		}
		d := o.draft(t, "Rapid")
		opened, err := models.SubmitDocument(ctx, o.db, o.press, d.ID, true, o.now)
		if err != nil || len(opened.Steps) != 2 {
			t.Fatalf("rapid submit opened %d steps: %v", len(opened.Steps), err)
		}
		// Legal may approve before the press desk in rapid mode.
		if _, err := models.ApproveDocument(ctx, o.db, o.legal, d.ID, "", o.now); err != nil {
			t.Fatalf("parallel approval: %v", err)
		}
		var notified []string
		notify := func(tx *gorm.DB, e models.Escalation) error {
			for _, b := range e.Backups {
				notified = append(notified, e.Group.Name+":"+b.Email)
			}
			return nil
		}
		// Within the 15-minute SLA: nothing.
		if n, err := models.EscalateOverdue(ctx, o.db, o.now.Add(14*time.Minute), notify); err != nil || n != 0 {
			t.Fatalf("before the SLA: %d %v", n, err)
		}
		// Past it: the press desk's backup, once, however often the job runs.
		for i := 0; i < 3; i++ {
			if _, err := models.EscalateOverdue(ctx, o.db, o.now.Add(16*time.Minute+time.Duration(i)*time.Minute), notify); err != nil {
				t.Fatal(err)
			}
		}
		if fmt.Sprint(notified) != "[Press desk:desk2@example.org]" {
			t.Fatalf("notified = %v", notified)
		}
		got, _ := models.DocumentByID(ctx, o.db, d.ID)
		if got.EscalatedAt == nil {
			t.Fatal("document not marked escalated")
		}
	})
}

// TestReviewQueue checks who sees what: the open step's group only, never the
// author or the editor of the current text, and not after approving.
func TestReviewQueue(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		a := o.draft(t, "First in the queue")
		b := o.draft(t, "Second in the queue")
		o.draft(t, "Never submitted")
		for i, d := range []*models.Document{a, b} { // oldest submission first
			if _, err := models.SubmitDocument(ctx, o.db, o.press, d.ID, false, o.now.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		headlines := func(u *models.User) []string {
			t.Helper()
			items, err := models.ReviewQueue(ctx, o.db, u)
			if err != nil {
				t.Fatal(err)
			}
			var hs []string
			for _, it := range items {
				h := it.Document.Revision.Headline + "@" + it.Step.Step.Group.Name
				if it.Barred != "" {
					h += " (barred)"
				}
				hs = append(hs, h)
			}
			return hs
		}
		if got := fmt.Sprint(headlines(o.desk)); got != "[First in the queue@Press desk Second in the queue@Press desk]" {
			t.Fatalf("press desk queue = %s", got)
		}
		if got := headlines(o.legal); len(got) != 0 {
			t.Fatalf("legal sees %v before the press desk approved", got)
		}
		if _, err := models.ApproveDocument(ctx, o.db, o.desk, a.ID, "", o.now); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(headlines(o.desk)); got != "[Second in the queue@Press desk]" {
			t.Fatalf("press desk queue after approving the first = %s", got)
		}
		if got := fmt.Sprint(headlines(o.legal)); got != "[First in the queue@Legal]" {
			t.Fatalf("legal queue = %s", got)
		}
		// An approver who edits the text (an admin in the press desk) no longer
		// sees it as actionable: nobody approves their own words.
		admin, err := models.CreateUser(ctx, o.db, models.NewUserInput{Email: "boss@example.org", Name: "Boss", Role: models.RoleAdmin, Password: "long enough password", Groups: []string{"Press desk"}})
		if err != nil {
			t.Fatal(err)
		}
		admin, _ = models.UserByID(ctx, o.db, admin.ID)
		if _, err := models.UpdateDocument(ctx, o.db, admin, b.ID, models.DocumentInput{Body: ptr("Tightened.")}, o.now); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(headlines(admin)); got != "[Second in the queue@Press desk (barred)]" {
			t.Fatalf("the editor's queue = %s, want their own revision barred", got)
		}
		if got := fmt.Sprint(headlines(o.desk2)); got != "[Second in the queue@Press desk]" {
			t.Fatalf("another press desk member's queue = %s", got)
		}
	})
}

// TestReviewQueuePage: a page of the queue is its oldest items, each read
// whole (author, series, current revision with its text), with the count of
// all that wait; the barred editor rule still applies to items not shown.
func TestReviewQueuePage(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		var ds []*models.Document
		heads := []string{"Oldest waiting", "Second waiting", "Newest waiting"}
		for i, h := range heads {
			d := o.draft(t, h)
			if _, err := models.SubmitDocument(ctx, o.db, o.press, d.ID, false, o.now.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
			ds = append(ds, d)
		}
		items, total, err := models.ReviewQueuePage(ctx, o.db, o.desk, 2)
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || len(items) != 2 {
			t.Fatalf("page of 2: %d items of %d, want 2 of 3", len(items), total)
		}
		for i, it := range items {
			d := it.Document
			if d.ID != ds[i].ID || d.Revision == nil || d.Revision.Headline != heads[i] || d.Revision.Body == "" ||
				d.Author == nil || d.Author.ID != o.press.ID || d.Series == nil || d.Kind == "" || d.Status != models.StatusInReview {
				t.Fatalf("item %d is not its document read whole: %+v", i, d)
			}
		}
		if items[0].Document.Revision.Headline != "Oldest waiting" || items[1].Document.Revision.Headline != "Second waiting" {
			t.Fatalf("page = %s, %s; want the two oldest", items[0].Document.Revision.Headline, items[1].Document.Revision.Headline)
		}
		all, total, err := models.ReviewQueuePage(ctx, o.db, o.desk, 0)
		if err != nil || len(all) != 3 || total != 3 {
			t.Fatalf("whole queue: %d of %d, %v", len(all), total, err)
		}
		if _, err := models.ApproveDocument(ctx, o.db, o.desk, ds[0].ID, "", o.now); err != nil {
			t.Fatal(err)
		}
		items, total, err = models.ReviewQueuePage(ctx, o.db, o.desk, 2)
		if err != nil || total != 2 || items[0].Document.ID != ds[1].ID || items[1].Document.ID != ds[2].ID {
			t.Fatalf("after approving the oldest: %d items of %d, %v", len(items), total, err)
		}
	})
}
