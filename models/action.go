package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ActionContent is what turns an action alert into an Urgent Action: the
// officials to write to, the date before which appeals must arrive, and the
// suggested letter (Markdown, in the alert's own language: a translation of
// the alert carries its own letter). It is part of the revision, so changing
// a target or the letter voids approvals like any other edit.
type ActionContent struct {
	TargetIDs      []string   `json:"targets"`
	AppealDeadline *time.Time `json:"appeal_deadline"`
	AppealTimezone string     `json:"appeal_timezone"`
	LetterSubject  string     `json:"letter_subject"`
	LetterBody     string     `json:"letter_body"`
	// CallToAction is the ask in one or two plain sentences ("Write to the
	// Minister of Justice before 12 June asking for Sara Ahmed's immediate
	// release."), shown where a supporter decides to act. Omitted when empty
	// so the hashes of revisions saved before it existed are unchanged.
	CallToAction string `json:"call_to_action,omitempty"`
	// Outcome, on a Further Information update, records how the case ended
	// (released, charges dropped, no change…); publishing such a final update
	// closes the original action.
	Outcome string `json:"outcome,omitempty"`
}

// Limits of the action fields.
const (
	MaxActionTargets = 20
	MaxLetterSubject = 200
	MaxLetterBody    = 20_000
	// MaxCallToAction fits two sentences, and the rapid-response package's
	// one-sentence demand it is filled from.
	MaxCallToAction = 300
)

// Location is the zone the deadline is shown in by default.
func (a *ActionContent) Location(fallback *time.Location) *time.Location {
	if a != nil && a.AppealTimezone != "" {
		if loc, err := time.LoadLocation(a.AppealTimezone); err == nil {
			return loc
		}
	}
	return fallback
}

// Open reports whether letters may still be written at now: before the
// deadline (none set: open).
func (a *ActionContent) Open(now time.Time) bool {
	return a != nil && (a.AppealDeadline == nil || a.AppealDeadline.After(now))
}

func (a *ActionContent) validate(v *ValidationError) {
	if a == nil {
		return
	}
	a.LetterSubject = strings.TrimSpace(a.LetterSubject)
	a.LetterBody = strings.ReplaceAll(a.LetterBody, "\r\n", "\n")
	a.Outcome = strings.TrimSpace(a.Outcome)
	// Plain text on one line: a line break typed in the editor's box is a
	// space, as it would read aloud.
	a.CallToAction = strings.Join(strings.Fields(a.CallToAction), " ")
	var ids []string
	for _, id := range a.TargetIDs {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	a.TargetIDs = ids
	if len(ids) > MaxActionTargets {
		v.Add("targets", fmt.Sprintf("at most %d targets per action", MaxActionTargets))
	}
	if a.AppealTimezone != "" {
		if _, err := time.LoadLocation(a.AppealTimezone); err != nil {
			v.Add("appeal_timezone", "is not a known time zone, such as Europe/London")
		}
	}
	if a.AppealDeadline != nil {
		t := a.AppealDeadline.UTC().Truncate(time.Second)
		a.AppealDeadline = &t
	}
	if utf8.RuneCountInString(a.LetterSubject) > MaxLetterSubject {
		v.Add("letter_subject", fmt.Sprintf("is longer than %d characters", MaxLetterSubject))
	}
	if len(a.LetterBody) > MaxLetterBody {
		v.Add("letter_body", fmt.Sprintf("is longer than %d characters", MaxLetterBody))
	}
	if n := utf8.RuneCountInString(a.CallToAction); n > MaxCallToAction {
		v.Add("call_to_action", fmt.Sprintf("is too long: keep it to one or two sentences (at most %d characters; it has %d)", MaxCallToAction, n))
	}
	if utf8.RuneCountInString(a.Outcome) > 500 {
		v.Add("outcome", "is longer than 500 characters")
	}
}

// ActionInput is the writable part of an action; nil fields are left alone.
type ActionInput struct {
	TargetIDs      *[]string
	AppealDeadline **time.Time
	AppealTimezone *string
	LetterSubject  *string
	LetterBody     *string
	CallToAction   *string
	Outcome        *string
}

// Any reports whether the input sets any action field.
func (in ActionInput) Any() bool {
	return in.TargetIDs != nil || in.AppealDeadline != nil || in.AppealTimezone != nil || in.LetterSubject != nil || in.LetterBody != nil || in.CallToAction != nil || in.Outcome != nil
}

func (in ActionInput) apply(c *Content) {
	if !in.Any() {
		return
	}
	if c.Action == nil {
		c.Action = &ActionContent{}
	} else {
		cp := *c.Action
		cp.TargetIDs = slices.Clone(cp.TargetIDs)
		c.Action = &cp
	}
	a := c.Action
	if in.TargetIDs != nil {
		a.TargetIDs = slices.Clone(*in.TargetIDs)
	}
	if in.AppealDeadline != nil {
		a.AppealDeadline = *in.AppealDeadline
	}
	if in.AppealTimezone != nil {
		a.AppealTimezone = strings.TrimSpace(*in.AppealTimezone)
	}
	if in.LetterSubject != nil {
		a.LetterSubject = *in.LetterSubject
	}
	if in.LetterBody != nil {
		a.LetterBody = *in.LetterBody
	}
	if in.CallToAction != nil {
		a.CallToAction = *in.CallToAction
	}
	if in.Outcome != nil {
		a.Outcome = *in.Outcome
	}
	if a.TargetIDs == nil {
		a.TargetIDs = []string{}
	}
}

// checkActionRefs checks that every target of an action exists.
func checkActionRefs(ctx context.Context, tx *gorm.DB, a *ActionContent, v *ValidationError) error {
	if a == nil || len(a.TargetIDs) == 0 {
		return nil
	}
	var found []string
	if err := tx.WithContext(ctx).Model(&Target{}).Where("id IN ?", a.TargetIDs).Pluck("id", &found).Error; err != nil {
		return fmt.Errorf("models: action targets: %w", err)
	}
	for _, id := range a.TargetIDs {
		if !slices.Contains(found, id) {
			v.Add("targets", fmt.Sprintf("%q is not a target in the directory", id))
		}
	}
	return nil
}

// syncActionTargets makes action_targets list the targets of the document's
// current revision.
func syncActionTargets(ctx context.Context, tx *gorm.DB, docID string, a *ActionContent) error {
	db := tx.WithContext(ctx)
	if err := db.Where("document_id = ?", docID).Delete(&ActionTarget{}).Error; err != nil {
		return fmt.Errorf("models: action targets: %w", err)
	}
	if a == nil || len(a.TargetIDs) == 0 {
		return nil
	}
	rows := make([]ActionTarget, len(a.TargetIDs))
	for i, id := range a.TargetIDs {
		rows[i] = ActionTarget{DocumentID: docID, TargetID: id, Position: i}
	}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error; err != nil {
		return fmt.Errorf("models: action targets: %w", err)
	}
	return nil
}

// ActionTarget is one target of an action's current revision.
type ActionTarget struct {
	DocumentID string `gorm:"primaryKey"`
	TargetID   string `gorm:"primaryKey"`
	Position   int
}

// linkUpdate makes a new document a Further Information update of an
// original action alert: same kind, the next update number.
func linkUpdate(ctx context.Context, tx *gorm.DB, doc *Document, originalID string, v *ValidationError) error {
	var orig Document
	if err := tx.WithContext(ctx).First(&orig, "id = ?", originalID).Error; err != nil {
		v.Add("update_of", "is not an action alert")
		return nil
	}
	switch {
	case orig.Kind != KindActionAlert || doc.Kind != KindActionAlert:
		v.Add("update_of", "only an action alert can be an update, of another action alert")
		return nil
	case orig.UpdateOf != nil:
		v.Add("update_of", "is itself an update; link to the original action")
		return nil
	case orig.OriginalID != nil:
		v.Add("update_of", "is a translation; link to the original action")
		return nil
	case doc.OriginalID != nil:
		v.Add("update_of", "a translation follows its original; make the update in the original language first")
		return nil
	}
	var n int
	if err := tx.WithContext(ctx).Model(&Document{}).Select("COALESCE(MAX(update_number), 0)").Where("update_of = ?", orig.ID).Scan(&n).Error; err != nil {
		return fmt.Errorf("models: link update: %w", err)
	}
	n++
	doc.UpdateOf, doc.UpdateNumber = &orig.ID, &n
	doc.CampaignID = orig.CampaignID
	doc.SeriesID = orig.SeriesID
	return nil
}

// UpdateIndex is the index number of a Further Information update: the
// original's with its update number, "UA 123/26 (Update 1)".
func UpdateIndex(original string, n int) string {
	return fmt.Sprintf("%s (Update %d)", original, n)
}

// ActionUpdate is one Further Information update of an action, for the links
// between them.
type ActionUpdate struct {
	ID          string
	Number      int
	IndexNumber *string
	Slug        *string
	Status      Status
	PublishedAt *time.Time
	Headline    string
	Outcome     string
}

// ActionUpdates lists the updates of an original action in order, with the
// headline and outcome of their approved (else current) revision. publicOnly
// keeps only those the public may see at now.
func ActionUpdates(ctx context.Context, db *gorm.DB, originalID string, publicOnly bool, now time.Time) ([]ActionUpdate, error) {
	var docs []Document
	if err := db.WithContext(ctx).Where("update_of = ?", originalID).Order("update_number").Find(&docs).Error; err != nil {
		return nil, fmt.Errorf("models: action updates: %w", err)
	}
	out := make([]ActionUpdate, 0, len(docs))
	for _, d := range docs {
		if publicOnly && !d.Public(now) {
			continue
		}
		num := d.CurrentRevision
		if publicOnly && d.ApprovedRevision > 0 {
			num = d.ApprovedRevision
		}
		rev, err := revisionOf(db.WithContext(ctx), d.ID, num)
		if err != nil {
			return nil, err
		}
		u := ActionUpdate{ID: d.ID, IndexNumber: d.IndexNumber, Slug: d.Slug, Status: d.Status, PublishedAt: d.PublishedAt, Headline: rev.Headline}
		if d.UpdateNumber != nil {
			u.Number = *d.UpdateNumber
		}
		if a := rev.Content().Action; a != nil {
			u.Outcome = a.Outcome
		}
		out = append(out, u)
	}
	return out, nil
}

// ActionStatus is where a public action stands for its writers.
type ActionStatus struct {
	Open bool
	// Reason says why it is not open: "deadline" or "closed" (a final update
	// recorded the outcome).
	Reason  string
	Outcome string
	Updates []ActionUpdate // public updates, oldest first
}

// ActionStatusOf decides whether an original action still takes letters:
// not after its deadline, and not once a public update recorded an outcome.
func ActionStatusOf(ctx context.Context, db *gorm.DB, doc *Document, a *ActionContent, now time.Time) (ActionStatus, error) {
	root := doc.ID
	if doc.UpdateOf != nil {
		root = *doc.UpdateOf
	}
	ups, err := ActionUpdates(ctx, db, root, true, now)
	if err != nil {
		return ActionStatus{}, err
	}
	st := ActionStatus{Open: a.Open(now), Updates: ups}
	if !st.Open {
		st.Reason = "deadline"
	}
	for _, u := range ups {
		if u.Outcome != "" {
			st.Open, st.Reason, st.Outcome = false, "closed", u.Outcome
		}
	}
	return st, nil
}

// actionParticipants selects, for a send, everyone who acted on or received
// an original action: supporters who wrote a confirmed letter on it, one of
// its updates or one of its translations (matched by address; a writer who did not opt in has no
// supporter record and consented to no further mail, so is not included),
// and the supporters and journalists its sends and its updates' sends
// reached. The send's usual rules then apply to each (suppressions,
// subscription status, do-not-contact), and duplicates collapse.
func actionParticipants(fresh func() *gorm.DB, originalID, journalistCols, supporterCols string) []*gorm.DB {
	const docs = "(SELECT id FROM documents WHERE id = ? OR update_of = ? OR original_id = ?)"
	// Reached: submitted, on the recipient row or (the usual case) by its batch.
	reached := "(SELECT r.%s FROM send_recipients r JOIN sends ON sends.id = r.send_id " + RecipientBatchJoin + " WHERE sends.document_id IN " + docs +
		" AND " + RecipientStatusSQL + " = 'submitted' AND r.%s IS NOT NULL)"
	writers := fresh().Table("supporters").Select(supporterCols).
		Where("supporters.erased_at IS NULL AND supporters.email IS NOT NULL").
		Where("(supporters.email IN (SELECT email FROM letters WHERE document_id IN "+docs+" AND state = 'confirmed' AND email IS NOT NULL)"+
			" OR supporters.id IN "+fmt.Sprintf(reached, "supporter_id", "supporter_id")+")", originalID, originalID, originalID, originalID, originalID, originalID)
	journalists := fresh().Table("media_contacts").Select(journalistCols).
		Where("media_contacts.id IN "+fmt.Sprintf(reached, "contact_id", "contact_id"), originalID, originalID, originalID)
	return []*gorm.DB{writers, journalists}
}

// PublicActionCall is what a public release's newsroom page shows of its
// Urgent Action: whether it names officials (the page then leads readers to
// the letter composer) and its call to action.
type PublicActionCall struct {
	NamesTargets bool
	CallToAction string
}

// PublicActionCallOf is the action part of a public release's newsroom page,
// from its approved revision; zero for a press release or a withdrawn alert,
// whose page asks nothing. It depends only on the approved revision (not on
// the deadline), so a page cached by the newsroom's version stays right.
func PublicActionCallOf(ctx context.Context, db *gorm.DB, rel *PublicRelease) (PublicActionCall, error) {
	if rel.Kind != KindActionAlert || rel.Withdrawn() || rel.ApprovedRevision == 0 {
		return PublicActionCall{}, nil
	}
	rev, err := revisionOf(db.WithContext(ctx), rel.ID, rel.ApprovedRevision)
	if err != nil {
		return PublicActionCall{}, fmt.Errorf("models: public action call: %w", err)
	}
	a := rev.Content().Action
	if a == nil {
		return PublicActionCall{}, nil
	}
	return PublicActionCall{NamesTargets: len(a.TargetIDs) > 0, CallToAction: a.CallToAction}, nil
}

// translatedCase is the original action alert a translation belongs to, with
// its approved action fields, or nils when the original is not an action
// alert. A translation is the same case in another language: it carries its
// own letter, but the deadline, its zone and the case's closure (a final
// update) are the original's.
func translatedCase(ctx context.Context, db *gorm.DB, originalID string) (*Document, *ActionContent, error) {
	var orig Document
	if err := db.WithContext(ctx).Take(&orig, "id = ?", originalID).Error; err != nil {
		return nil, nil, fmt.Errorf("models: translated action: %w", translate(err))
	}
	if orig.Kind != KindActionAlert || orig.ApprovedRevision == 0 {
		return nil, nil, nil
	}
	rev, err := revisionOf(db.WithContext(ctx), orig.ID, orig.ApprovedRevision)
	if err != nil {
		return nil, nil, err
	}
	a := rev.Content().Action
	if a == nil {
		a = &ActionContent{}
	}
	return &orig, a, nil
}
