package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Approval is one approver's sign-off of one revision, identified by its content
// hash, for one workflow step.
type Approval struct {
	ID          string `gorm:"primaryKey"`
	DocumentID  string
	Revision    int
	ContentHash string
	StepID      string
	GroupID     string
	UserID      string
	Comment     string
	CreatedAt   time.Time
	User        *User  `gorm:"foreignKey:UserID"`
	Group       *Group `gorm:"foreignKey:GroupID"`
}

// Comment is a remark on a document, attached to the revision it was made on.
type Comment struct {
	ID         string `gorm:"primaryKey"`
	DocumentID string
	Revision   int
	UserID     string
	Body       string
	CreatedAt  time.Time
	User       *User `gorm:"foreignKey:UserID"`
}

// Review is a document's review progress: what its current text has collected
// and which steps are open.
type Review struct {
	Steps     []StepState
	Approvals []Approval // every approval ever given, newest first
	Complete  bool
	// authorID and editors are who may not approve: the document's author, and
	// everyone who wrote a revision since the last approved one (with the latest
	// revision each wrote).
	authorID string
	editors  map[string]int
	// current and approved are the revision under review and the last
	// approved one (0: never), for Barred's wording.
	current, approved int
	// callIns keeps backup approvers out of a step until it escalates.
	callIns callIns
}

// editorsSince lists who wrote a revision of d since its last approved one (or
// since the draft began, if it was never approved), each with the latest
// revision they wrote. Approving one's own words is refused however small a
// colleague's later edit was: the approval is of the whole text under review,
// and each of them wrote part of it.
func editorsSince(tx *gorm.DB, d *Document) (map[string]int, error) {
	var rows []struct {
		EditorID string
		Number   int
	}
	if err := tx.Table("revisions").Select("editor_id, MAX(number) AS number").Where("document_id = ? AND number > ?", d.ID, d.ApprovedRevision).
		Group("editor_id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: editors since approval: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.EditorID] = r.Number
	}
	return out, nil
}

// Barred says why u may not approve (or ask for changes to) the text under
// review at all, in words for them; "" when nothing bars them. Nobody approves
// their own work: not the document's author, and not anyone who wrote any
// revision since the last approved one.
func (r *Review) Barred(u *User) string {
	if u == nil {
		return ""
	}
	if n, ok := r.editors[u.ID]; ok {
		const must = "so you cannot approve it: someone who has not edited it must."
		switch {
		case n == r.current:
			return "You wrote this revision, " + must
		case r.approved == 0:
			return fmt.Sprintf("You wrote revision %d of this text, %s", n, must)
		default:
			return fmt.Sprintf("You wrote revision %d since the last approval, %s", n, must)
		}
	}
	if r.authorID != "" && r.authorID == u.ID {
		return "You started this release, so you cannot approve it: someone else must."
	}
	return ""
}

// reviewable reports whether approvers may act on the document now.
func (d *Document) reviewable() bool {
	return d.Status == StatusInReview || (d.Status == StatusPublished && d.CorrectionPending)
}

// ReviewOf works out a document's review progress.
func ReviewOf(ctx context.Context, db *gorm.DB, d *Document) (*Review, error) {
	return reviewOf(db.WithContext(ctx), d)
}

func reviewOf(tx *gorm.DB, d *Document) (*Review, error) {
	wf := d.Workflow
	if wf == nil || wf.ID != d.WorkflowID {
		var err error
		if wf, err = WorkflowByID(tx.Statement.Context, tx, d.WorkflowID); err != nil {
			return nil, err
		}
	}
	cur, err := revisionOf(tx, d.ID, d.CurrentRevision)
	if err != nil {
		return nil, err
	}
	var all []Approval
	if err := tx.Preload("User").Preload("Group").Where("document_id = ?", d.ID).Order("created_at DESC").Find(&all).Error; err != nil {
		return nil, fmt.Errorf("models: approvals: %w", err)
	}
	editors, err := editorsSince(tx, d)
	if err != nil {
		return nil, err
	}
	r := newReview(wf, d, cur.ContentHash, all, editors)
	groupIDs := make([]string, len(wf.Steps))
	for i, st := range wf.Steps {
		groupIDs[i] = st.GroupID
	}
	if r.callIns.backups, err = backupsOf(tx, groupIDs, ""); err != nil {
		return nil, err
	}
	if len(r.callIns.backups) > 0 {
		escalated, err := escalatedSteps(tx, []Document{*d})
		if err != nil {
			return nil, err
		}
		r.callIns.escalated = escalated[d.ID]
	}
	if !d.reviewable() {
		for i := range r.Steps {
			r.Steps[i].Open = false
		}
	}
	return r, nil
}

// newReview works out a document's review from its workflow, the hash of its
// current text, its approvals (only those of that text count) and who edited
// it since its last approval: the rules the release page and the review queue
// share.
func newReview(wf *Workflow, d *Document, currentHash string, approvals []Approval, editors map[string]int) *Review {
	var valid []Approval
	for _, a := range approvals {
		if a.ContentHash == currentHash {
			valid = append(valid, a)
		}
	}
	submitted := d.CreatedAt
	if d.SubmittedAt != nil {
		submitted = *d.SubmittedAt
	}
	r := &Review{Steps: stepStates(wf.Steps, valid, d.Rapid, submitted), Approvals: approvals, Complete: true, authorID: d.AuthorID, editors: editors,
		current: d.CurrentRevision, approved: d.ApprovedRevision}
	for _, s := range r.Steps {
		if !s.Done {
			r.Complete = false
		}
	}
	return r
}

// OpenStepFor returns the open step the user may approve (the first of their
// groups' open steps they have not yet approved), or nil; always nil for a
// user Barred from approving.
func (r *Review) OpenStepFor(u *User, contentHash string) *StepState {
	if r.Barred(u) != "" {
		return nil
	}
	return r.openStep(u)
}

// openStep is OpenStepFor without the bar on authors and editors.
func (r *Review) openStep(u *User) *StepState {
	groups := map[string]bool{}
	for _, g := range u.Groups {
		groups[g.ID] = true
	}
	for i, s := range r.Steps {
		if !s.Open || !groups[s.Step.GroupID] || !r.callIns.actsOn(u, &r.Steps[i]) {
			continue
		}
		already := false
		for _, a := range s.Approvals {
			if a.UserID == u.ID {
				already = true
			}
		}
		if !already {
			return &r.Steps[i]
		}
	}
	return nil
}

// BarredError refuses an approval (or a request for changes) by someone who
// wrote part of the text under review, saying which part (Review.Barred).
type BarredError struct{ Reason string }

func (e *BarredError) Error() string { return e.Reason }

// Unwrap makes a BarredError an ErrSelfApproval (and so a 403).
func (e *BarredError) Unwrap() error { return ErrSelfApproval }

// Opened lists the workflow steps that a transition opened, so their groups can be
// asked for approval.
type Opened struct {
	Document *Document
	Steps    []WorkflowStep
}

// SubmitDocument sends a draft (or a release returned for changes) to review. In
// rapid-response mode every step opens at once, each with its SLA.
func SubmitDocument(ctx context.Context, db *gorm.DB, u *User, id string, rapid bool, now time.Time) (*Opened, error) {
	var out Opened
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		d, err := lockDocument(tx, id)
		if err != nil {
			return err
		}
		if !CanEdit(u, d.Kind) {
			return ErrWrongKind
		}
		if d.Status != StatusDraft && d.Status != StatusChangesRequested {
			return &TransitionError{Action: "submit", From: d.Status}
		}
		cur, err := revisionOf(tx, d.ID, d.CurrentRevision)
		if err != nil {
			return err
		}
		var v ValidationError
		// A draft may be saved half-written; what goes to review has a text.
		if strings.TrimSpace(cur.Body) == "" {
			v.Add("body", "is required")
		}
		checkFutureEmbargo(&v, cur.EmbargoAt, now)
		if err := v.Err(); err != nil {
			return err
		}
		if d.OriginalID != nil {
			var orig Document
			if err := tx.First(&orig, "id = ?", *d.OriginalID).Error; err != nil {
				return err
			}
			if orig.IndexNumber == nil {
				return &ValidationError{Fields: map[string]string{"original_id": "the original must be approved first: a translation shares its index number"}}
			}
		}
		if err := tx.Model(&Document{}).Where("id = ?", d.ID).Updates(map[string]any{"status": StatusInReview, "rapid": rapid,
			"submitted_at": now, "escalated_at": nil, "updated_at": now}).Error; err != nil {
			return err
		}
		d.Status, d.Rapid, d.SubmittedAt = StatusInReview, rapid, &now
		comment := ""
		if rapid {
			comment = "rapid response: all steps review in parallel"
		}
		if err := Audit(ctx, tx, AuditEvent{At: now, ActorID: &u.ID, Action: "document_submitted", SubjectType: "document", SubjectID: d.ID,
			Revision: d.CurrentRevision, FromStatus: string(StatusDraft), ToStatus: string(StatusInReview), Comment: comment}); err != nil {
			return err
		}
		r, err := reviewOf(tx, d)
		if err != nil {
			return err
		}
		out.Document = d
		for _, s := range r.Steps {
			if s.Open {
				out.Steps = append(out.Steps, s.Step)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("models: submit: %w", err)
	}
	return &out, nil
}

// ApproveResult says what an approval did.
type ApproveResult struct {
	Document *Document
	Final    bool           // the last needed approval: the document is approved
	Opened   []WorkflowStep // steps that opened because the previous one completed
}

// ApproveDocument records u's approval of the current revision for the first open
// step of their groups. The last needed approval approves the document in the same
// transaction: it assigns the index number (once: a correction keeps it) and the
// slug, pins the approved revision, and moves the document to scheduled (future
// embargo) or published.
//
// An embargo that passed while the release was in review stops the last
// approval with ErrEmbargoPassed, recording nothing, unless the approver
// answered PublishNowIfEmbargoPassed.
func ApproveDocument(ctx context.Context, db *gorm.DB, u *User, id, comment string, now time.Time, opts ...ApproveOption) (*ApproveResult, error) {
	var res ApproveResult
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		d, err := lockDocument(tx, id)
		if err != nil {
			return err
		}
		if !d.reviewable() {
			return &TransitionError{Action: "approve", From: d.Status}
		}
		r, err := reviewOf(tx, d)
		if err != nil {
			return err
		}
		if why := r.Barred(u); why != "" {
			return &BarredError{Reason: why}
		}
		cur, err := revisionOf(tx, d.ID, d.CurrentRevision)
		if err != nil {
			return err
		}
		step := r.OpenStepFor(u, cur.ContentHash)
		if step == nil {
			for _, s := range r.Steps {
				for _, a := range s.Approvals {
					if a.UserID == u.ID {
						return ErrAlreadyApproved
					}
				}
			}
			return ErrNotYourStep
		}
		a := Approval{ID: NewID(), DocumentID: d.ID, Revision: d.CurrentRevision, ContentHash: cur.ContentHash, StepID: step.Step.ID,
			GroupID: step.Step.GroupID, UserID: u.ID, Comment: strings.TrimSpace(comment), CreatedAt: now}
		if err := tx.Omit(clause.Associations).Create(&a).Error; err != nil {
			if errors.Is(translate(err), ErrConflict) {
				return ErrAlreadyApproved
			}
			return err
		}
		groupName := ""
		if step.Step.Group != nil {
			groupName = step.Step.Group.Name
		}
		if err := Audit(ctx, tx, AuditEvent{At: now, ActorID: &u.ID, Action: "approved", SubjectType: "document", SubjectID: d.ID,
			Revision: d.CurrentRevision, Comment: a.Comment, Details: "step " + fmt.Sprint(step.Step.Position) + " (" + groupName + ")"}); err != nil {
			return err
		}
		after, err := reviewOf(tx, d)
		if err != nil {
			return err
		}
		if !after.Complete {
			wasOpen := map[string]bool{}
			for _, s := range r.Steps {
				wasOpen[s.Step.ID] = s.Open
			}
			for _, s := range after.Steps {
				if s.Open && !wasOpen[s.Step.ID] {
					res.Opened = append(res.Opened, s.Step)
				}
			}
			return nil
		}
		res.Final = true
		if d.Status != StatusPublished && cur.EmbargoAt != nil && !cur.EmbargoAt.After(now) && !slices.Contains(opts, PublishNowIfEmbargoPassed) {
			return ErrEmbargoPassed
		}
		if err := finalizeApproval(ctx, tx, d, cur, u, now); err != nil {
			return err
		}
		if err := HoldSendsOfDocument(ctx, tx, d.ID, now); err != nil {
			return err
		}
		return IndexDocumentForSearch(ctx, tx, d.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("models: approve: %w", err)
	}
	res.Document, err = DocumentByID(ctx, db, id)
	return &res, err
}

// finalizeApproval is the last approval's work, inside its transaction.
func finalizeApproval(ctx context.Context, tx *gorm.DB, d *Document, cur *Revision, u *User, now time.Time) error {
	updates := map[string]any{"approved_revision": cur.Number, "updated_at": now}
	if d.Status == StatusPublished { // an approved correction: the new text goes public now
		updates["correction_pending"] = false
		if err := tx.Model(&Document{}).Where("id = ?", d.ID).Updates(updates).Error; err != nil {
			return err
		}
		return Audit(ctx, tx, AuditEvent{At: now, ActorID: &u.ID, Action: "corrected", SubjectType: "document", SubjectID: d.ID,
			Revision: cur.Number, FromStatus: string(StatusPublished), ToStatus: string(StatusPublished), Comment: d.CorrectionNote})
	}
	if d.IndexNumber == nil {
		if err := assignIndex(tx, d, now); err != nil {
			return err
		}
		updates["index_number"], updates["index_year"], updates["index_serial"] = d.IndexNumber, d.IndexYear, d.IndexSerial
	}
	s := strings.Trim(MakeSlug(cur.Headline)+"-"+strings.ToLower(IndexPath(*d.IndexNumber)), "-")
	if d.UpdateOf != nil {
		s = slugWords(s) // the update's number, "(Update 2)", in slug form
	}
	if d.OriginalID != nil {
		s += "-" + d.Language
	}
	if d.Slug == nil {
		updates["slug"] = s
	}
	embargo := cur.EmbargoAt
	if d.OriginalID != nil {
		// A translation never goes public before its original: it inherits the
		// original's embargo when that is later than its own.
		var orig Document
		if err := tx.First(&orig, "id = ?", *d.OriginalID).Error; err != nil {
			return err
		}
		if !orig.Public(now) && orig.EmbargoAt != nil && (embargo == nil || orig.EmbargoAt.After(*embargo)) {
			embargo = orig.EmbargoAt
		}
	}
	// An alert made from a release (a package) never goes public before that
	// release: while the release is not public it waits, due no earlier than
	// the release's embargo, and PublishDue lifts it with the release.
	waitsForRelease := false
	if d.FollowsReleaseID != nil {
		var rel Document
		if err := tx.First(&rel, "id = ?", *d.FollowsReleaseID).Error; err != nil {
			return err
		}
		if rel.Status == StatusWithdrawn {
			// The organisation took the release back: an alert made from it
			// must not go out on its strength.
			return &ValidationError{Fields: map[string]string{"follows_release": "the press release this alert was made from (" + deref(rel.IndexNumber) +
				") has been withdrawn, so the alert cannot be published with it: make a new alert if the case still stands"}}
		}
		if !rel.Public(now) {
			waitsForRelease = true
			if rel.EmbargoAt != nil && (embargo == nil || rel.EmbargoAt.After(*embargo)) {
				embargo = rel.EmbargoAt
			}
			if embargo == nil {
				embargo = &now
			}
		}
	}
	to := StatusPublished
	if waitsForRelease || (embargo != nil && embargo.After(now)) {
		to = StatusScheduled
	} else {
		updates["published_at"] = now
	}
	updates["status"] = to
	updates["embargo_at"] = embargo
	if err := tx.Model(&Document{}).Where("id = ?", d.ID).Updates(updates).Error; err != nil {
		return translate(err)
	}
	// The alerts that follow this release take its embargo, wherever it moved
	// (or now, when it publishes at once): they lift with it.
	followAt := now
	if to == StatusScheduled && embargo != nil {
		followAt = *embargo
	}
	if err := tx.Model(&Document{}).Where("follows_release_id = ? AND status = ?", d.ID, StatusScheduled).
		Updates(map[string]any{"embargo_at": followAt, "updated_at": now}).Error; err != nil {
		return err
	}
	if err := Audit(ctx, tx, AuditEvent{At: now, ActorID: &u.ID, Action: "status_changed", SubjectType: "document", SubjectID: d.ID,
		Revision: cur.Number, FromStatus: string(StatusInReview), ToStatus: string(StatusApproved), Details: "index number " + *d.IndexNumber}); err != nil {
		return err
	}
	return Audit(ctx, tx, AuditEvent{At: now, ActorID: &u.ID, Action: "status_changed", SubjectType: "document", SubjectID: d.ID,
		Revision: cur.Number, FromStatus: string(StatusApproved), ToStatus: string(to)})
}

// assignIndex gives a document its index number: a translation takes its
// original's; anything else takes the next serial of its series for the year.
func assignIndex(tx *gorm.DB, d *Document, now time.Time) error {
	if d.OriginalID != nil {
		var orig Document
		if err := tx.First(&orig, "id = ?", *d.OriginalID).Error; err != nil {
			return err
		}
		if orig.IndexNumber == nil {
			return &ValidationError{Fields: map[string]string{"original_id": "the original has no index number yet"}}
		}
		d.IndexNumber, d.IndexYear, d.IndexSerial = orig.IndexNumber, orig.IndexYear, orig.IndexSerial
		return nil
	}
	if d.UpdateOf != nil && d.UpdateNumber != nil {
		// A Further Information update shares its case's index, with a suffix.
		var orig Document
		if err := tx.First(&orig, "id = ?", *d.UpdateOf).Error; err != nil {
			return err
		}
		if orig.IndexNumber == nil {
			return &ValidationError{Fields: map[string]string{"update_of": "the original action has no index number yet: approve it first"}}
		}
		n := UpdateIndex(*orig.IndexNumber, *d.UpdateNumber)
		d.IndexNumber = &n
		return nil
	}
	var series IndexSeries
	if err := tx.First(&series, "id = ?", d.SeriesID).Error; err != nil {
		return fmt.Errorf("models: series of document: %w", err)
	}
	year := now.Year()
	serial, err := nextSerial(tx, series.ID, year)
	if err != nil {
		return err
	}
	n := FormatIndex(series.Format, series.Code, serial, year)
	d.IndexNumber, d.IndexYear, d.IndexSerial = &n, &year, &serial
	return nil
}

// RequestChanges returns a release in review to its author with a comment saying
// what to change. Only an approver of an open step may ask.
func RequestChanges(ctx context.Context, db *gorm.DB, u *User, id, comment string, now time.Time) (*Document, error) {
	comment = strings.TrimSpace(comment)
	if comment == "" {
		return nil, &ValidationError{Fields: map[string]string{"comment": "is required: say what needs to change"}}
	}
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		d, err := lockDocument(tx, id)
		if err != nil {
			return err
		}
		if d.Status != StatusInReview {
			return &TransitionError{Action: "request changes to", From: d.Status}
		}
		r, err := reviewOf(tx, d)
		if err != nil {
			return err
		}
		if why := r.Barred(u); why != "" {
			return &BarredError{Reason: why}
		}
		if u.Role != RoleAdmin && !r.hasOpenStepFor(u) {
			return ErrNotYourStep
		}
		if err := tx.Model(&Document{}).Where("id = ?", d.ID).Updates(map[string]any{"status": StatusChangesRequested, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := tx.Create(&Comment{ID: NewID(), DocumentID: d.ID, Revision: d.CurrentRevision, UserID: u.ID, Body: comment, CreatedAt: now}).Error; err != nil {
			return err
		}
		return Audit(ctx, tx, AuditEvent{At: now, ActorID: &u.ID, Action: "changes_requested", SubjectType: "document", SubjectID: d.ID,
			Revision: d.CurrentRevision, FromStatus: string(StatusInReview), ToStatus: string(StatusChangesRequested), Comment: comment})
	})
	if err != nil {
		return nil, fmt.Errorf("models: request changes: %w", err)
	}
	return DocumentByID(ctx, db, id)
}

func (r *Review) hasOpenStepFor(u *User) bool {
	for i, s := range r.Steps {
		if !s.Open || !r.callIns.actsOn(u, &r.Steps[i]) {
			continue
		}
		for _, g := range u.Groups {
			if g.ID == s.Step.GroupID {
				return true
			}
		}
	}
	return false
}

// WithdrawDocument takes a published release down, leaving a public notice in its
// place, and withdraws its translations with it in the same transaction.
func WithdrawDocument(ctx context.Context, db *gorm.DB, u *User, id, notice string, now time.Time) (*Document, error) {
	notice = strings.TrimSpace(notice)
	if notice == "" {
		return nil, &ValidationError{Fields: map[string]string{"notice": "is required: it is shown publicly in place of the release"}}
	}
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		d, err := lockDocument(tx, id)
		if err != nil {
			return err
		}
		if !CanEdit(u, d.Kind) {
			return ErrWrongKind
		}
		if d.Status != StatusPublished {
			return &TransitionError{Action: "withdraw", From: d.Status}
		}
		if err := tx.Model(&Document{}).Where("id = ?", d.ID).Updates(map[string]any{"status": StatusWithdrawn, "withdrawn_at": now,
			"withdrawal_notice": notice, "correction_pending": false, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := Audit(ctx, tx, AuditEvent{At: now, ActorID: &u.ID, Action: "withdrawn", SubjectType: "document", SubjectID: d.ID,
			Revision: d.ApprovedRevision, FromStatus: string(StatusPublished), ToStatus: string(StatusWithdrawn), Comment: notice}); err != nil {
			return err
		}
		if err := HoldSendsOfDocument(ctx, tx, d.ID, now); err != nil {
			return err
		}
		if err := IndexDocumentForSearch(ctx, tx, d.ID); err != nil {
			return err
		}
		return withdrawTranslations(ctx, tx, u, d, notice, now)
	})
	if err != nil {
		return nil, fmt.Errorf("models: withdraw: %w", err)
	}
	return DocumentByID(ctx, db, id)
}

// withdrawTranslations withdraws every translation of a withdrawn original with
// the same notice, inside the original's transaction: a translation is never
// more public than its original, and one not yet published (a draft, in review,
// scheduled) must not go out later with the text that was withdrawn. Each gets
// its own audit event.
func withdrawTranslations(ctx context.Context, tx *gorm.DB, u *User, orig *Document, notice string, now time.Time) error {
	if orig.OriginalID != nil {
		return nil // a translation's withdrawal leaves its original and siblings alone
	}
	var ids []string
	if err := tx.Model(&Document{}).Where("original_id = ? AND status <> ?", orig.ID, StatusWithdrawn).Order("id").Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("models: translations to withdraw: %w", err)
	}
	for _, id := range ids {
		t, err := lockDocument(tx, id)
		if err != nil {
			return err
		}
		if t.Status == StatusWithdrawn {
			continue
		}
		if err := tx.Model(&Document{}).Where("id = ?", t.ID).Updates(map[string]any{"status": StatusWithdrawn, "withdrawn_at": now,
			"withdrawal_notice": notice, "correction_pending": false, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := Audit(ctx, tx, AuditEvent{At: now, ActorID: &u.ID, Action: "withdrawn", SubjectType: "document", SubjectID: t.ID,
			Revision: t.ApprovedRevision, FromStatus: string(t.Status), ToStatus: string(StatusWithdrawn), Comment: notice,
			Details: "with its original " + orig.ID}); err != nil {
			return err
		}
		if err := HoldSendsOfDocument(ctx, tx, t.ID, now); err != nil {
			return err
		}
		if err := IndexDocumentForSearch(ctx, tx, t.ID); err != nil {
			return err
		}
	}
	return nil
}

// AddComment records a comment on the current revision.
func AddComment(ctx context.Context, db *gorm.DB, u *User, id, body string, now time.Time) (*Comment, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return nil, &ValidationError{Fields: map[string]string{"comment": "is empty"}}
	}
	var d Document
	if err := db.WithContext(ctx).First(&d, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: comment: %w", translate(err))
	}
	if !CanComment(u, d.Kind) {
		return nil, fmt.Errorf("models: comment: %w", ErrMayNotComment)
	}
	c := &Comment{ID: NewID(), DocumentID: d.ID, Revision: d.CurrentRevision, UserID: u.ID, Body: body, CreatedAt: now}
	if err := db.WithContext(ctx).Create(c).Error; err != nil {
		return nil, fmt.Errorf("models: comment: %w", err)
	}
	return c, nil
}

// Comments lists a document's comments, oldest first.
func Comments(ctx context.Context, db *gorm.DB, docID string) ([]Comment, error) {
	var cs []Comment
	if err := db.WithContext(ctx).Preload("User").Where("document_id = ?", docID).Order("created_at, id").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("models: comments: %w", err)
	}
	return cs, nil
}

// PublishDue publishes every scheduled document whose embargo has lifted by now,
// dating each publication at its embargo time. It returns their ids.
func PublishDue(ctx context.Context, db *gorm.DB, now time.Time) ([]string, error) {
	// A translation waits for its original (if the original's embargo moved
	// later, the translation must not go out first), an alert for the release
	// it follows. Due translations of an
	// original that lifts now go public in the original's own transaction, so no
	// reader ever sees one language without the other.
	var due []Document
	err := db.WithContext(ctx).Where("status = ? AND embargo_at <= ?", StatusScheduled, now).
		Where("(original_id IS NULL OR EXISTS (SELECT 1 FROM documents o WHERE o.id = documents.original_id AND o.status IN ('published', 'withdrawn') AND o.published_at <= ?))", now).
		Where("(follows_release_id IS NULL OR EXISTS (SELECT 1 FROM documents r WHERE r.id = documents.follows_release_id AND r.status IN ('published', 'withdrawn') AND r.published_at <= ?))", now).
		Order("embargo_at").Find(&due).Error
	if err != nil {
		return nil, fmt.Errorf("models: due documents: %w", err)
	}
	var ids []string
	for _, d := range due {
		var published []string
		err := Transaction(ctx, db, func(tx *gorm.DB) error {
			batch := []Document{d}
			if d.OriginalID == nil {
				// Its translations and the alerts made from it lift with it.
				var trans []Document
				if err := tx.Where("(original_id = ? OR follows_release_id = ?) AND status = ? AND embargo_at <= ?", d.ID, d.ID, StatusScheduled, now).Find(&trans).Error; err != nil {
					return err
				}
				batch = append(batch, trans...)
			}
			for _, doc := range batch {
				res := tx.Model(&Document{}).Where("id = ? AND status = ?", doc.ID, StatusScheduled).
					Updates(map[string]any{"status": StatusPublished, "published_at": doc.EmbargoAt, "updated_at": now})
				if res.Error != nil {
					return res.Error
				}
				if res.RowsAffected == 0 {
					continue // published by an overlapping sweep
				}
				published = append(published, doc.ID)
				if err := Audit(ctx, tx, AuditEvent{At: now, Action: "embargo_lifted", SubjectType: "document", SubjectID: doc.ID, Revision: doc.ApprovedRevision,
					FromStatus: string(StatusScheduled), ToStatus: string(StatusPublished)}); err != nil {
					return err
				}
				if err := IndexDocumentForSearch(ctx, tx, doc.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return ids, fmt.Errorf("models: publish %s: %w", d.ID, err)
		}
		ids = append(ids, published...)
	}
	return ids, nil
}

// LastApprovedRevisions is, for each of docIDs, the latest revision userID
// approved (the text they last signed off), for the review queue's "changes
// since you approved": absent where they approved none.
func LastApprovedRevisions(ctx context.Context, db *gorm.DB, userID string, docIDs []string) (map[string]int, error) {
	out := map[string]int{}
	if len(docIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		DocumentID string
		Revision   int
	}
	if err := db.WithContext(ctx).Table("approvals").Select("document_id, MAX(revision) AS revision").
		Where("user_id = ? AND document_id IN ?", userID, docIDs).Group("document_id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: last approved revisions: %w", err)
	}
	for _, r := range rows {
		out[r.DocumentID] = r.Revision
	}
	return out, nil
}
