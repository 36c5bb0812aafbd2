package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Kind is what a document is.
type Kind string

// The two kinds of document.
const (
	KindPressRelease Kind = "press_release"
	KindActionAlert  Kind = "action_alert"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindPressRelease || k == KindActionAlert }

// Label is the kind as people read it.
func (k Kind) Label() string {
	if k == KindActionAlert {
		return "Action alert"
	}
	return "Press release"
}

// Status is where a document stands in its life.
type Status string

// Document statuses (API.md).
const (
	StatusDraft            Status = "draft"
	StatusInReview         Status = "in_review"
	StatusChangesRequested Status = "changes_requested"
	StatusApproved         Status = "approved"
	StatusScheduled        Status = "scheduled"
	StatusPublished        Status = "published"
	StatusWithdrawn        Status = "withdrawn"
)

// Statuses lists every status in workflow order.
var Statuses = []Status{StatusDraft, StatusInReview, StatusChangesRequested, StatusApproved, StatusScheduled, StatusPublished, StatusWithdrawn}

// Label is the status as people read it.
func (s Status) Label() string {
	switch s {
	case StatusInReview:
		return "In review"
	case StatusChangesRequested:
		return "Changes requested"
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// Document is a press release or an action alert: its identity, workflow state,
// index number and embargo. Its words live in revisions.
type Document struct {
	ID                string `gorm:"primaryKey"`
	Kind              Kind
	Language          string
	OriginalID        *string
	CampaignID        *string
	SeriesID          string
	WorkflowID        string
	AuthorID          string
	Status            Status
	CurrentRevision   int
	ApprovedRevision  int
	CorrectionPending bool
	CorrectionNote    string
	Rapid             bool
	SubmittedAt       *time.Time
	EscalatedAt       *time.Time
	IndexNumber       *string
	IndexYear         *int
	IndexSerial       *int
	Slug              *string
	EmbargoAt         *time.Time
	EmbargoTZ         string `gorm:"column:embargo_tz"`
	PublishedAt       *time.Time
	WithdrawnAt       *time.Time
	WithdrawalNotice  string
	Countries         string
	Regions           string
	Themes            string
	CreatedAt         time.Time
	UpdatedAt         time.Time

	Author   *User        `gorm:"foreignKey:AuthorID"`
	Series   *IndexSeries `gorm:"foreignKey:SeriesID"`
	Workflow *Workflow    `gorm:"foreignKey:WorkflowID"`
	Campaign *Campaign    `gorm:"foreignKey:CampaignID"`
	// Revision is the current revision, loaded by DocumentByID.
	Revision *Revision `gorm:"-"`
}

// Public reports whether the document's own state lets it appear on public
// surfaces at now: it has been published (the embargo, if any, has lifted) or
// withdrawn with a notice. A translation is visible only while its original
// is too: the public queries in newsroom.go apply the whole rule.
func (d *Document) Public(now time.Time) bool {
	return (d.Status == StatusPublished || d.Status == StatusWithdrawn) && d.PublishedAt != nil && !d.PublishedAt.After(now)
}

// EmbargoLocation is the zone the embargo was written in.
func (d *Document) EmbargoLocation(fallback *time.Location) *time.Location {
	if d.EmbargoTZ != "" {
		if loc, err := time.LoadLocation(d.EmbargoTZ); err == nil {
			return loc
		}
	}
	return fallback
}

// Tags splits a comma-separated tag column.
func Tags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func joinTags(ts []string) string {
	var clean []string
	seen := map[string]bool{}
	for _, t := range ts {
		t = strings.TrimSpace(t)
		if t != "" && !seen[strings.ToLower(t)] {
			seen[strings.ToLower(t)] = true
			clean = append(clean, t)
		}
	}
	return strings.Join(clean, ",")
}

// PressContact is a person journalists may call about a release.
type PressContact struct {
	Name  string `json:"name"`
	Role  string `json:"role,omitempty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

// Content is the words of a document, everything an approval signs.
type Content struct {
	Headline       string         `json:"headline"`
	Standfirst     string         `json:"standfirst"`
	Dateline       string         `json:"dateline"`
	Body           string         `json:"body"`
	NotesToEditors string         `json:"notes_to_editors"`
	PressContacts  []PressContact `json:"press_contacts"`
	EmbargoAt      *time.Time     `json:"embargo_at"`
	// LeadImageID and AttachmentIDs are the media the release carries: part of
	// what is approved, so replacing a photo voids approvals like any edit.
	// Omitted when empty so the hashes of revisions without media are unchanged.
	LeadImageID   string   `json:"lead_image_id,omitempty"`
	AttachmentIDs []string `json:"attachment_ids,omitempty"`
}

// Hash is the SHA-256 of the content in a canonical form. Approvals are for a
// hash, so any change to the words, contacts or embargo voids them.
func (c Content) Hash() string {
	canon := c
	if canon.EmbargoAt != nil {
		t := canon.EmbargoAt.UTC().Truncate(time.Second)
		canon.EmbargoAt = &t
	}
	if canon.PressContacts == nil {
		canon.PressContacts = []PressContact{}
	}
	b, _ := json.Marshal(canon)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Limits on content, generous for real releases but bounded.
const (
	MaxHeadline = 300
	MaxBody     = 200_000
)

// Validate checks the content.
func (c *Content) Validate() error {
	var v ValidationError
	c.Headline = strings.TrimSpace(c.Headline)
	c.Standfirst = strings.TrimSpace(c.Standfirst)
	c.Dateline = strings.TrimSpace(c.Dateline)
	if c.Headline == "" {
		v.Add("headline", "is required")
	} else if n := utf8.RuneCountInString(c.Headline); n > MaxHeadline {
		v.Add("headline", fmt.Sprintf("Shorten the headline to %d characters or fewer: it has %d.", MaxHeadline, n))
	}
	if len(c.Body) > MaxBody {
		v.Add("body", fmt.Sprintf("is longer than %d characters", MaxBody))
	}
	var contacts []PressContact
	for i, pc := range c.PressContacts {
		pc.Name, pc.Email, pc.Phone, pc.Role = strings.TrimSpace(pc.Name), NormalizeEmail(pc.Email), strings.TrimSpace(pc.Phone), strings.TrimSpace(pc.Role)
		if pc == (PressContact{}) {
			continue
		}
		if pc.Name == "" {
			v.Add(fmt.Sprintf("press_contacts.%d.name", i), "is required for a press contact")
		}
		if pc.Email != "" && !ValidEmail(pc.Email) {
			v.Add(fmt.Sprintf("press_contacts.%d.email", i), "is not a valid address")
		}
		contacts = append(contacts, pc)
	}
	c.PressContacts = contacts
	c.validateMedia(&v)
	if c.EmbargoAt != nil {
		t := c.EmbargoAt.UTC().Truncate(time.Second)
		c.EmbargoAt = &t
	}
	return v.Err()
}

// Revision is one immutable saved state of a document's content.
type Revision struct {
	ID             string `gorm:"primaryKey"`
	DocumentID     string
	Number         int
	Headline       string
	Standfirst     string
	Dateline       string
	Body           string
	NotesToEditors string
	PressContacts  string // JSON
	EmbargoAt      *time.Time
	LeadImageID    *string
	AttachmentIDs  string // JSON array of media ids
	ContentHash    string
	EditorID       string
	CreatedAt      time.Time
	Editor         *User `gorm:"foreignKey:EditorID"`
}

// Content returns the revision's content.
func (r *Revision) Content() Content {
	c := Content{Headline: r.Headline, Standfirst: r.Standfirst, Dateline: r.Dateline, Body: r.Body, NotesToEditors: r.NotesToEditors, EmbargoAt: r.EmbargoAt}
	_ = json.Unmarshal([]byte(r.PressContacts), &c.PressContacts)
	if r.LeadImageID != nil {
		c.LeadImageID = *r.LeadImageID
	}
	_ = json.Unmarshal([]byte(r.AttachmentIDs), &c.AttachmentIDs)
	if r.EmbargoAt != nil {
		t := r.EmbargoAt.UTC()
		c.EmbargoAt = &t
	}
	return c
}

// Contacts decodes the press contacts.
func (r *Revision) Contacts() []PressContact { return r.Content().PressContacts }

func newRevision(docID string, number int, c Content, editorID string, now time.Time) *Revision {
	pc := c.PressContacts
	if pc == nil {
		pc = []PressContact{}
	}
	b, _ := json.Marshal(pc)
	att := c.AttachmentIDs
	if att == nil {
		att = []string{}
	}
	ab, _ := json.Marshal(att)
	var lead *string
	if c.LeadImageID != "" {
		lead = &c.LeadImageID
	}
	return &Revision{ID: NewID(), DocumentID: docID, Number: number, Headline: c.Headline, Standfirst: c.Standfirst, Dateline: c.Dateline,
		Body: c.Body, NotesToEditors: c.NotesToEditors, PressContacts: string(b), EmbargoAt: c.EmbargoAt, LeadImageID: lead, AttachmentIDs: string(ab),
		ContentHash: c.Hash(), EditorID: editorID, CreatedAt: now}
}

// Campaign groups releases, alerts and petitions about one cause.
type Campaign struct {
	ID          string `gorm:"primaryKey"`
	Slug        string // the public page /c/{slug}; set from the name on create
	Name        string
	Description string
	CreatedAt   time.Time
}

// CanEdit reports whether a role may draft and edit documents of a kind: press
// officers own press releases, campaigners own action alerts, admins everything.
func CanEdit(u *User, k Kind) bool {
	if u == nil {
		return false
	}
	switch u.Role {
	case RoleAdmin:
		return true
	case RolePressOfficer:
		return k == KindPressRelease
	case RoleCampaigner:
		return k == KindActionAlert
	}
	return false
}

// Sentinel errors of the document workflow. Each wraps ErrForbidden or
// ErrConflict so handlers map them to 403 and 409.
var (
	ErrSelfApproval    = fmt.Errorf("%w: nobody approves their own release", ErrForbidden)
	ErrNotYourStep     = fmt.Errorf("%w: no open step of this release needs an approval from your groups", ErrForbidden)
	ErrWrongKind       = fmt.Errorf("%w: your role may not edit this kind of document", ErrForbidden)
	ErrAlreadyApproved = fmt.Errorf("%w: you already approved this revision", ErrConflict)
)

// TransitionError is a workflow action refused in the document's current state.
type TransitionError struct {
	Action string
	From   Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s a release that is %s", e.Action, strings.ToLower(e.From.Label()))
}

// Unwrap makes a TransitionError an ErrConflict.
func (e *TransitionError) Unwrap() error { return ErrConflict }

// StaleRevisionError refuses a save based on an older revision than the current
// one: someone else saved in between, and overwriting them silently would lose
// their words.
type StaleRevisionError struct {
	Base, Current int
	Editor        string
}

func (e *StaleRevisionError) Error() string {
	return fmt.Sprintf("this release was changed by %s (revision %d) after you opened revision %d", e.Editor, e.Current, e.Base)
}

// Unwrap makes a StaleRevisionError an ErrConflict.
func (e *StaleRevisionError) Unwrap() error { return ErrConflict }

// DocumentInput is the writable part of a document. Nil fields are left as they
// are by UpdateDocument; CreateDocument treats them as empty.
type DocumentInput struct {
	Kind           Kind
	Language       *string
	SeriesCode     *string
	Workflow       *string
	CampaignID     *string
	OriginalID     *string
	Headline       *string
	Standfirst     *string
	Dateline       *string
	Body           *string
	NotesToEditors *string
	PressContacts  *[]PressContact
	EmbargoAt      **time.Time // set to a nil *time.Time to clear the embargo
	EmbargoTZ      *string
	LeadImageID    *string   // "" removes the lead image
	AttachmentIDs  *[]string // the attachments in order; empty removes them all
	Countries      *[]string
	Regions        *[]string
	Themes         *[]string
	// BaseRevision, when non-zero, is the revision the editor started from: the
	// lost-update guard.
	BaseRevision int
	// CorrectionNote is required when editing a published release: it is shown
	// publicly with the corrected text.
	CorrectionNote *string
}

func (in *DocumentInput) apply(c *Content) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Headline, in.Headline)
	set(&c.Standfirst, in.Standfirst)
	set(&c.Dateline, in.Dateline)
	set(&c.Body, in.Body)
	set(&c.NotesToEditors, in.NotesToEditors)
	if in.PressContacts != nil {
		c.PressContacts = *in.PressContacts
	}
	if in.EmbargoAt != nil {
		c.EmbargoAt = *in.EmbargoAt
	}
	if in.LeadImageID != nil {
		c.LeadImageID = *in.LeadImageID
	}
	if in.AttachmentIDs != nil {
		c.AttachmentIDs = *in.AttachmentIDs
	}
}

func validLanguage(l string) bool {
	if len(l) < 2 || len(l) > 8 {
		return false
	}
	for _, r := range l {
		if !(r >= 'a' && r <= 'z' || r == '-' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// CreateDocument creates a draft with its first revision.
func CreateDocument(ctx context.Context, db *gorm.DB, author *User, in DocumentInput, now time.Time) (*Document, error) {
	var v ValidationError
	if !in.Kind.Valid() {
		v.Add("kind", "must be press_release or action_alert")
		return nil, &v
	}
	// A translation takes its original's kind (below); the kind rule is checked
	// again against that kind once the original is loaded.
	if !CanEdit(author, in.Kind) {
		return nil, ErrWrongKind
	}
	var c Content
	in.apply(&c)
	var cve *ValidationError
	if errors.As(c.Validate(), &cve) {
		v = *cve
	}
	checkFutureEmbargo(&v, c.EmbargoAt, now)
	doc := &Document{ID: NewID(), Kind: in.Kind, Language: "en", AuthorID: author.ID, Status: StatusDraft, CurrentRevision: 1, CreatedAt: now, UpdatedAt: now}
	if in.Language != nil && *in.Language != "" {
		doc.Language = strings.ToLower(strings.TrimSpace(*in.Language))
	}
	if !validLanguage(doc.Language) {
		v.Add("language", "must be a language code such as en, fr or ar")
	}
	if in.EmbargoTZ != nil && *in.EmbargoTZ != "" {
		if _, err := time.LoadLocation(*in.EmbargoTZ); err != nil {
			v.Add("embargo_timezone", "is not a known time zone")
		}
		doc.EmbargoTZ = *in.EmbargoTZ
	}
	doc.EmbargoAt = c.EmbargoAt
	if in.Countries != nil {
		doc.Countries = joinTags(*in.Countries)
	}
	if in.Regions != nil {
		doc.Regions = joinTags(*in.Regions)
	}
	if in.Themes != nil {
		doc.Themes = joinTags(*in.Themes)
	}
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var series *IndexSeries
		var err error
		if in.SeriesCode != nil && *in.SeriesCode != "" {
			series, err = SeriesByCode(ctx, tx, *in.SeriesCode)
			if err != nil {
				v.Add("series", fmt.Sprintf("%q is not an index series", *in.SeriesCode))
			}
		} else if series, err = DefaultSeries(ctx, tx, in.Kind); err != nil {
			v.Add("series", "no default series is set up for "+strings.ToLower(in.Kind.Label())+"s; name one")
		}
		var wf *Workflow
		if in.Workflow != nil && *in.Workflow != "" {
			if wf, err = WorkflowByName(ctx, tx, *in.Workflow); err != nil {
				v.Add("workflow", fmt.Sprintf("%q is not a workflow", *in.Workflow))
			}
		} else if wf, err = DefaultWorkflow(ctx, tx); err != nil {
			v.Add("workflow", "no default workflow is set up; name one")
		}
		if in.CampaignID != nil && *in.CampaignID != "" {
			if err := tx.First(&Campaign{}, "id = ?", *in.CampaignID).Error; err != nil {
				v.Add("campaign_id", "is not a campaign")
			}
			doc.CampaignID = in.CampaignID
		}
		if in.OriginalID != nil && *in.OriginalID != "" {
			var orig Document
			if err := tx.First(&orig, "id = ?", *in.OriginalID).Error; err != nil {
				v.Add("original_id", "is not a document")
			} else if !CanEdit(author, orig.Kind) {
				// Translating is drafting a document of the original's kind.
				return ErrWrongKind
			} else {
				if orig.OriginalID != nil {
					v.Add("original_id", "is itself a translation; link to the original")
				}
				if orig.Language == doc.Language {
					v.Add("language", "must differ from the original's ("+orig.Language+")")
				}
				doc.OriginalID = &orig.ID
				doc.Kind = orig.Kind
				doc.CampaignID = orig.CampaignID
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		doc.SeriesID, doc.WorkflowID = series.ID, wf.ID
		if err := tx.Omit(clause.Associations).Create(doc).Error; err != nil {
			return translate(err)
		}
		rev := newRevision(doc.ID, 1, c, author.ID, now)
		if err := tx.Omit(clause.Associations).Create(rev).Error; err != nil {
			return err
		}
		doc.Revision = rev
		if err := Audit(ctx, tx, AuditEvent{At: now, ActorID: &author.ID, Action: "document_created", SubjectType: "document", SubjectID: doc.ID,
			Revision: 1, ToStatus: string(StatusDraft)}); err != nil {
			return err
		}
		return IndexDocumentForSearch(ctx, tx, doc.ID)
	})
	var ve *ValidationError
	if errors.As(err, &ve) {
		return nil, ve
	}
	if err != nil {
		return nil, fmt.Errorf("models: create document: %w", err)
	}
	return doc, nil
}

// lockDocument loads a document for change inside tx; on PostgreSQL the row is
// locked until commit so concurrent transitions of one document queue up (SQLite
// transactions are serialised already).
func lockDocument(tx *gorm.DB, id string) (*Document, error) {
	var d Document
	q := tx
	if tx.Dialector.Name() == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.First(&d, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: document: %w", translate(err))
	}
	return &d, nil
}

func revisionOf(tx *gorm.DB, docID string, number int) (*Revision, error) {
	var r Revision
	if err := tx.Preload("Editor").First(&r, "document_id = ? AND number = ?", docID, number).Error; err != nil {
		return nil, fmt.Errorf("models: revision %d: %w", number, translate(err))
	}
	return &r, nil
}

// UpdateDocument saves an edit as a new revision (when anything changed) and
// applies the workflow's rules: an edit after any approval voids it (approvals are
// for a content hash), so an approved or scheduled release goes back to review; an
// edit to a published release is a correction that needs a public note and a fresh
// approval, while the approved text stays public.
func UpdateDocument(ctx context.Context, db *gorm.DB, editor *User, id string, in DocumentInput, now time.Time) (*Document, error) {
	var doc *Document
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var err error
		doc, err = lockDocument(tx, id)
		if err != nil {
			return err
		}
		if !CanEdit(editor, doc.Kind) {
			return ErrWrongKind
		}
		if doc.Status == StatusWithdrawn {
			return &TransitionError{Action: "edit", From: doc.Status}
		}
		cur, err := revisionOf(tx, doc.ID, doc.CurrentRevision)
		if err != nil {
			return err
		}
		if in.BaseRevision != 0 && in.BaseRevision != doc.CurrentRevision {
			name := "someone else"
			if cur.Editor != nil {
				name = cur.Editor.Name
			}
			return &StaleRevisionError{Base: in.BaseRevision, Current: doc.CurrentRevision, Editor: name}
		}
		c := cur.Content()
		in.apply(&c)
		if err := c.Validate(); err != nil {
			return err
		}
		var v ValidationError
		if in.EmbargoAt != nil && !sameTime(c.EmbargoAt, cur.EmbargoAt) {
			// Only a changed embargo is checked: a published release keeps
			// the embargo it lifted at through its corrections.
			checkFutureEmbargo(&v, c.EmbargoAt, now)
		}
		meta := map[string]any{}
		if in.Language != nil && *in.Language != "" && *in.Language != doc.Language {
			if doc.Status != StatusDraft {
				v.Add("language", "can only change while the document is a draft")
			} else if !validLanguage(*in.Language) {
				v.Add("language", "must be a language code such as en, fr or ar")
			}
			meta["language"] = strings.ToLower(*in.Language)
		}
		if in.EmbargoTZ != nil && *in.EmbargoTZ != doc.EmbargoTZ {
			if _, err := time.LoadLocation(*in.EmbargoTZ); *in.EmbargoTZ != "" && err != nil {
				v.Add("embargo_timezone", "is not a known time zone")
			}
			meta["embargo_tz"] = *in.EmbargoTZ
		}
		if in.CampaignID != nil {
			if *in.CampaignID == "" {
				meta["campaign_id"] = nil
			} else if err := tx.First(&Campaign{}, "id = ?", *in.CampaignID).Error; err != nil {
				v.Add("campaign_id", "is not a campaign")
			} else {
				meta["campaign_id"] = *in.CampaignID
			}
		}
		if in.SeriesCode != nil && *in.SeriesCode != "" {
			s, err := SeriesByCode(ctx, tx, *in.SeriesCode)
			switch {
			case err != nil:
				v.Add("series", fmt.Sprintf("%q is not an index series", *in.SeriesCode))
			case s.ID != doc.SeriesID && doc.IndexNumber != nil:
				v.Add("series", "cannot change once an index number is assigned")
			default:
				meta["series_id"] = s.ID
			}
		}
		if in.Workflow != nil && *in.Workflow != "" {
			wf, err := WorkflowByName(ctx, tx, *in.Workflow)
			switch {
			case err != nil:
				v.Add("workflow", fmt.Sprintf("%q is not a workflow", *in.Workflow))
			case wf.ID != doc.WorkflowID && doc.Status != StatusDraft && doc.Status != StatusChangesRequested:
				v.Add("workflow", "can only change before the release is submitted")
			default:
				meta["workflow_id"] = wf.ID
			}
		}
		for col, tags := range map[string]*[]string{"countries": in.Countries, "regions": in.Regions, "themes": in.Themes} {
			if tags != nil {
				meta[col] = joinTags(*tags)
			}
		}
		changed := c.Hash() != cur.ContentHash
		correction := doc.Status == StatusPublished && changed
		if correction {
			if in.CorrectionNote == nil || strings.TrimSpace(*in.CorrectionNote) == "" {
				v.Add("correction_note", "is required to correct a published release: it is shown publicly with the corrected text")
			} else {
				meta["correction_note"] = strings.TrimSpace(*in.CorrectionNote)
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		from := doc.Status
		if changed {
			doc.CurrentRevision++
			rev := newRevision(doc.ID, doc.CurrentRevision, c, editor.ID, now)
			if err := tx.Omit(clause.Associations).Create(rev).Error; err != nil {
				return err
			}
			meta["current_revision"] = doc.CurrentRevision
			meta["embargo_at"] = c.EmbargoAt
			switch doc.Status {
			case StatusApproved, StatusScheduled:
				// What goes out must be exactly what was approved.
				meta["status"] = StatusInReview
				meta["submitted_at"] = now
				meta["escalated_at"] = nil
			case StatusPublished:
				meta["correction_pending"] = true
				meta["submitted_at"] = now
				meta["escalated_at"] = nil
			case StatusInReview:
				meta["submitted_at"] = now // the review starts over for the new text
				meta["escalated_at"] = nil
			}
		}
		if len(meta) == 0 {
			return nil
		}
		meta["updated_at"] = now
		if err := tx.Model(&Document{}).Where("id = ?", doc.ID).Updates(meta).Error; err != nil {
			return fmt.Errorf("models: update document: %w", err)
		}
		ev := AuditEvent{At: now, ActorID: &editor.ID, Action: "document_edited", SubjectType: "document", SubjectID: doc.ID, Revision: doc.CurrentRevision}
		if st, ok := meta["status"].(Status); ok && st != from {
			ev.FromStatus, ev.ToStatus = string(from), string(st)
			ev.Comment = "edited after approval: approvals void, back to review"
		} else if correction {
			ev.Action = "correction_drafted"
		} else if from == StatusInReview && changed {
			ev.Comment = "edited in review: earlier approvals no longer count"
		}
		if err := Audit(ctx, tx, ev); err != nil {
			return err
		}
		if err := HoldSendsOfDocument(ctx, tx, doc.ID, now); err != nil {
			return err
		}
		return IndexDocumentForSearch(ctx, tx, doc.ID)
	})
	var ve *ValidationError
	if errors.As(err, &ve) {
		return nil, ve
	}
	if err != nil {
		return nil, fmt.Errorf("models: update document: %w", err)
	}
	return DocumentByID(ctx, db, id)
}

// DocumentByID loads a document with its current revision, author, series,
// workflow and campaign.
func DocumentByID(ctx context.Context, db *gorm.DB, id string) (*Document, error) {
	var d Document
	err := db.WithContext(ctx).Preload("Author").Preload("Series").Preload("Campaign").First(&d, "id = ?", id).Error
	if err != nil {
		return nil, fmt.Errorf("models: document: %w", translate(err))
	}
	if d.Workflow, err = WorkflowByID(ctx, db, d.WorkflowID); err != nil {
		return nil, err
	}
	if d.Revision, err = revisionOf(db.WithContext(ctx), d.ID, d.CurrentRevision); err != nil {
		return nil, err
	}
	return &d, nil
}

// DocumentState is what can change about a document while a send of its pinned
// revision is going out: whether it is published yet, under embargo, and the
// identifiers a message links to.
type DocumentState struct {
	Status      Status
	PublishedAt *time.Time
	EmbargoAt   *time.Time
	EmbargoTZ   string `gorm:"column:embargo_tz"`
	Slug        *string
	IndexNumber *string
	Language    string

	// ApprovedRevision is the revision a send must pin to go out (SendableNow).
	ApprovedRevision int
}

// DocumentStateByID reads a document's state in one indexed row lookup: a
// thousand-batch send checks it before every batch and renders again only when
// it changed.
func DocumentStateByID(ctx context.Context, db *gorm.DB, id string) (DocumentState, error) {
	var st DocumentState
	err := db.WithContext(ctx).Model(&Document{}).Select("status, published_at, embargo_at, embargo_tz, slug, index_number, language, approved_revision").
		Where("id = ?", id).Take(&st).Error
	if err != nil {
		return st, fmt.Errorf("models: document state: %w", translate(err))
	}
	return st, nil
}

// Revisions lists a document's revisions, newest first.
func Revisions(ctx context.Context, db *gorm.DB, docID string) ([]Revision, error) {
	var rs []Revision
	if err := db.WithContext(ctx).Preload("Editor").Where("document_id = ?", docID).Order("number DESC").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("models: revisions: %w", err)
	}
	return rs, nil
}

// RevisionByNumber loads one revision of a document.
func RevisionByNumber(ctx context.Context, db *gorm.DB, docID string, n int) (*Revision, error) {
	return revisionOf(db.WithContext(ctx), docID, n)
}

// DocumentFilter narrows document lists.
type DocumentFilter struct {
	Status     Status
	Kind       Kind
	Query      string // words of the headline, or an index number
	Index      string
	CampaignID string
	AfterID    string // keyset pagination: documents updated before this one
	Limit      int
}

// DocumentSummary is a row of a document list.
type DocumentSummary struct {
	Document
	Headline string
}

// Documents lists documents, most recently updated first, for staff.
func Documents(ctx context.Context, db *gorm.DB, f DocumentFilter) ([]DocumentSummary, error) {
	q := db.WithContext(ctx).Table("documents").Select("documents.*, revisions.headline").
		Joins("JOIN revisions ON revisions.document_id = documents.id AND revisions.number = documents.current_revision")
	if f.Status != "" {
		q = q.Where("documents.status = ?", f.Status)
	}
	if f.Kind != "" {
		q = q.Where("documents.kind = ?", f.Kind)
	}
	if f.CampaignID != "" {
		q = q.Where("documents.campaign_id = ?", f.CampaignID)
	}
	if f.Index != "" {
		q = q.Where(indexKeySQL+" LIKE ?", "%"+IndexKey(f.Index)+"%")
	}
	if f.Query != "" {
		like := "%" + strings.ToLower(strings.TrimSpace(f.Query)) + "%"
		q = q.Where("(LOWER(revisions.headline) LIKE ? OR "+indexKeySQL+" LIKE ?)", like, "%"+IndexKey(f.Query)+"%")
	}
	if f.AfterID != "" {
		var after Document
		if err := db.WithContext(ctx).First(&after, "id = ?", f.AfterID).Error; err == nil {
			q = q.Where("(documents.updated_at < ? OR (documents.updated_at = ? AND documents.id < ?))", after.UpdatedAt, after.UpdatedAt, after.ID)
		}
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var out []DocumentSummary
	if err := q.Order("documents.updated_at DESC, documents.id DESC").Limit(f.Limit).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("models: documents: %w", err)
	}
	return out, nil
}

// Translations lists the other language versions of a document (its original and
// the original's other translations).
func Translations(ctx context.Context, db *gorm.DB, d *Document) ([]Document, error) {
	root := d.ID
	if d.OriginalID != nil {
		root = *d.OriginalID
	}
	var ds []Document
	err := db.WithContext(ctx).Where("(id = ? OR original_id = ?) AND id <> ?", root, root, d.ID).Order("language").Find(&ds).Error
	if err != nil {
		return nil, fmt.Errorf("models: translations: %w", err)
	}
	return ds, nil
}

// Campaigns lists campaigns by name.
func Campaigns(ctx context.Context, db *gorm.DB) ([]Campaign, error) {
	var cs []Campaign
	if err := db.WithContext(ctx).Order("name").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("models: campaigns: %w", err)
	}
	return cs, nil
}

// CreateCampaign stores a campaign for by, who must manage campaigns
// (campaigners and admins).
func CreateCampaign(ctx context.Context, db *gorm.DB, by *User, name, description string) (*Campaign, error) {
	if !CanManageCampaigns(by) {
		return nil, fmt.Errorf("models: create campaign: %w", ErrNotYourCampaigns)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, &ValidationError{Fields: map[string]string{"name": "is required"}}
	}
	c := &Campaign{ID: NewID(), Name: name, Description: strings.TrimSpace(description)}
	if err := translate(db.WithContext(ctx).Create(c).Error); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, &ValidationError{Fields: map[string]string{"name": "is already a campaign"}}
		}
		return nil, fmt.Errorf("models: create campaign: %w", err)
	}
	return c, nil
}
