package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// PetitionStatus is where a petition stands: draft → open → closed.
type PetitionStatus string

// Petition statuses.
const (
	PetitionDraft  PetitionStatus = "draft"
	PetitionOpen   PetitionStatus = "open"
	PetitionClosed PetitionStatus = "closed"
)

// Petition asks named officials or bodies (the target) for one thing (the
// demand). Its signatures are the truth; its public count comes from the
// counter rows the count job writes.
type Petition struct {
	ID                string `gorm:"primaryKey"`
	Slug              string
	CampaignID        *string
	ReleaseID         *string
	Title             string
	Target            string
	Demand            string
	Body              string
	Goal              int
	Language          string
	Status            PetitionStatus
	OpenOnEmbargoLift bool
	OpensAt           *time.Time
	ClosesAt          *time.Time
	OpenedAt          *time.Time
	ClosedAt          *time.Time
	// TextUpdatedAt is when the demand or target of the open petition last
	// changed: people signed the old words, so every surface says so.
	TextUpdatedAt *time.Time
	CreatedBy     *string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Targets splits the target into its officials or bodies, one per line.
func (p *Petition) Targets() []string {
	var out []string
	for _, l := range strings.Split(p.Target, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Public reports whether the petition may appear on any public surface at now.
// A draft never does; a petition linked to a release never before the release
// itself is public (the release's own rule, Document.Public, decides), so an
// embargo holds for the petition exactly as for the release.
func (p *Petition) Public(release *Document, now time.Time) bool {
	if p.Status != PetitionOpen && p.Status != PetitionClosed {
		return false
	}
	if p.OpensAt != nil && p.OpensAt.After(now) {
		return false
	}
	if p.ReleaseID != nil {
		return release != nil && release.Public(now)
	}
	return true
}

// Signable reports whether a public petition still takes signatures: it is open
// and its closing time has not come (the closing job may lag a little; the
// closing time decides).
func (p *Petition) Signable(now time.Time) bool {
	return p.Status == PetitionOpen && (p.ClosesAt == nil || p.ClosesAt.After(now))
}

// EndedAt returns when signing ended, or nil while it is open.
func (p *Petition) EndedAt(now time.Time) *time.Time {
	if p.ClosedAt != nil {
		return p.ClosedAt
	}
	if p.ClosesAt != nil && !p.ClosesAt.After(now) {
		return p.ClosesAt
	}
	return nil
}

// CanManagePetitions reports whether a user may create, edit, open and close
// petitions and campaigns: campaigners and admins. Everyone signed in may read.
func CanManagePetitions(u *User) bool {
	return u != nil && (u.Role == RoleAdmin || u.Role == RoleCampaigner)
}

// Petition errors; each wraps ErrForbidden or ErrConflict so handlers map them.
var (
	ErrNotCampaigner = fmt.Errorf("%w: only campaigners and admins manage petitions and campaigns", ErrForbidden)
	// ErrTextChangeUnconfirmed refuses a change to the demand or target of an
	// open petition that the caller has not explicitly confirmed.
	ErrTextChangeUnconfirmed = fmt.Errorf("%w: people have signed the current demand and target; confirm the change to make it (it is shown publicly as updated)", ErrConflict)
	ErrPetitionClosed        = fmt.Errorf("%w: the petition is closed", ErrConflict)
)

// PetitionStateError is an open or close refused in the petition's state.
type PetitionStateError struct{ Msg string }

func (e *PetitionStateError) Error() string { return e.Msg }

// Unwrap makes a PetitionStateError an ErrConflict.
func (e *PetitionStateError) Unwrap() error { return ErrConflict }

// PetitionInput is the writable part of a petition. Nil fields are left alone
// by UpdatePetition and empty for CreatePetition.
type PetitionInput struct {
	Title             *string
	Target            *string
	Demand            *string
	Body              *string
	Goal              *int
	Language          *string
	CampaignID        *string // "" detaches
	ReleaseID         *string // "" detaches
	OpenOnEmbargoLift *bool
	OpensAt           **time.Time
	ClosesAt          **time.Time
	// ConfirmTextChange is the explicit confirmation a change of the demand or
	// target of an open petition needs.
	ConfirmTextChange bool
}

func (in PetitionInput) apply(ctx context.Context, tx *gorm.DB, p *Petition, now time.Time) (textChanged bool, err error) {
	var v ValidationError
	trim := func(s *string) string { return strings.TrimSpace(*s) }
	if in.Title != nil {
		p.Title = trim(in.Title)
	}
	if in.Target != nil {
		t := strings.ReplaceAll(trim(in.Target), "\r\n", "\n")
		textChanged = textChanged || t != p.Target
		p.Target = t
	}
	if in.Demand != nil {
		d := trim(in.Demand)
		textChanged = textChanged || d != p.Demand
		p.Demand = d
	}
	if in.Body != nil {
		p.Body = strings.ReplaceAll(*in.Body, "\r\n", "\n")
	}
	if in.Goal != nil {
		p.Goal = *in.Goal
	}
	if in.Language != nil {
		p.Language = strings.ToLower(trim(in.Language))
	}
	if in.OpenOnEmbargoLift != nil {
		p.OpenOnEmbargoLift = *in.OpenOnEmbargoLift
	}
	if in.OpensAt != nil {
		p.OpensAt = utcPtr(*in.OpensAt)
	}
	if in.ClosesAt != nil {
		p.ClosesAt = utcPtr(*in.ClosesAt)
	}
	if in.CampaignID != nil {
		if id := trim(in.CampaignID); id == "" {
			p.CampaignID = nil
		} else if err := tx.WithContext(ctx).Select("id").First(&Campaign{}, "id = ?", id).Error; err != nil {
			if !errors.Is(err, gorm.ErrRecordNotFound) {
				return false, err
			}
			v.Add("campaign_id", "is not a campaign")
		} else {
			p.CampaignID = &id
		}
	}
	if in.ReleaseID != nil {
		if id := trim(in.ReleaseID); id == "" {
			p.ReleaseID = nil
		} else if err := tx.WithContext(ctx).Select("id").First(&Document{}, "id = ?", id).Error; err != nil {
			if !errors.Is(err, gorm.ErrRecordNotFound) {
				return false, err
			}
			v.Add("release_id", "is not a release")
		} else {
			p.ReleaseID = &id
		}
	}
	switch n := utf8.RuneCountInString(p.Title); {
	case n == 0:
		v.Add("title", "is required")
	case n > 200:
		v.Add("title", "is too long (at most 200 characters)")
	}
	switch n := utf8.RuneCountInString(p.Target); {
	case n == 0:
		v.Add("target", "is required: name the officials or bodies who must act")
	case n > 1000:
		v.Add("target", "is too long (at most 1000 characters)")
	}
	switch n := utf8.RuneCountInString(p.Demand); {
	case n == 0:
		v.Add("demand", "is required: say in one sentence what they must do")
	case n > 300:
		v.Add("demand", "is too long: keep it to one sentence (at most 300 characters)")
	case strings.ContainsAny(p.Demand, "\n\r"):
		v.Add("demand", "must be one sentence on one line")
	}
	if len(p.Body) > 50000 {
		v.Add("body", "is too long (at most 50,000 characters)")
	}
	if p.Goal < 0 || p.Goal > 100_000_000 {
		v.Add("goal", "must be a number from 0 to 100,000,000")
	}
	if p.Language == "" {
		p.Language = "en"
	}
	if len(p.Language) < 2 || len(p.Language) > 8 {
		v.Add("language", "must be a language code such as en or fr")
	}
	if p.OpensAt != nil && p.ClosesAt != nil && !p.ClosesAt.After(*p.OpensAt) {
		v.Add("closes_at", "must be after the opening time")
	}
	if p.OpenOnEmbargoLift && p.ReleaseID == nil {
		v.Add("open_on_embargo_lift", "needs a linked release")
	}
	return textChanged, v.Err()
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// CreatePetition stores a draft petition with a unique slug made from its title.
func CreatePetition(ctx context.Context, db *gorm.DB, by *User, in PetitionInput, now time.Time) (*Petition, error) {
	if !CanManagePetitions(by) {
		return nil, ErrNotCampaigner
	}
	p := &Petition{ID: NewID(), Status: PetitionDraft, Language: "en", CreatedBy: &by.ID, CreatedAt: now, UpdatedAt: now}
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		if _, err := in.apply(ctx, tx, p, now); err != nil {
			return err
		}
		s, err := uniqueSlug(ctx, tx, "petitions", p.Title)
		if err != nil {
			return err
		}
		p.Slug = s
		if err := tx.Create(p).Error; err != nil {
			return err
		}
		return tx.Create(&PetitionCounter{PetitionID: p.ID, UpdatedAt: now}).Error
	})
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return nil, ve
		}
		return nil, fmt.Errorf("models: create petition: %w", translate(err))
	}
	_ = Audit(ctx, db, AuditEvent{ActorID: &by.ID, Action: "petition_created", SubjectType: "petition", SubjectID: p.ID, ToStatus: string(p.Status), Details: p.Title})
	return p, nil
}

// uniqueSlug makes a URL slug from a title, adding a number when it is taken.
func uniqueSlug(ctx context.Context, tx *gorm.DB, table, title string) (string, error) {
	base := MakeSlug(title)
	if base == "" {
		base = strings.ToLower(NewID()[:8])
	}
	s := base
	for i := 2; ; i++ {
		var n int64
		if err := tx.WithContext(ctx).Table(table).Where("slug = ?", s).Count(&n).Error; err != nil {
			return "", err
		}
		if n == 0 {
			return s, nil
		}
		s = fmt.Sprintf("%s-%d", base, i)
	}
}

// UpdatePetition edits a petition. Changing the demand or target of an open
// petition needs in.ConfirmTextChange and is stamped TextUpdatedAt; a closed
// petition's words are final.
func UpdatePetition(ctx context.Context, db *gorm.DB, by *User, id string, in PetitionInput, now time.Time) (*Petition, error) {
	if !CanManagePetitions(by) {
		return nil, ErrNotCampaigner
	}
	var p *Petition
	var textChanged bool
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var err error
		if p, err = PetitionByID(ctx, tx, id); err != nil {
			return err
		}
		if p.Status == PetitionClosed {
			return &PetitionStateError{Msg: "a closed petition cannot be changed"}
		}
		if textChanged, err = in.apply(ctx, tx, p, now); err != nil {
			return err
		}
		if textChanged && p.Status == PetitionOpen {
			if !in.ConfirmTextChange {
				return ErrTextChangeUnconfirmed
			}
			p.TextUpdatedAt = &now
		}
		p.UpdatedAt = now
		return tx.Save(p).Error
	})
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return nil, ve
		}
		return nil, fmt.Errorf("models: update petition: %w", translate(err))
	}
	details := ""
	if textChanged && p.Status == PetitionOpen {
		details = "demand or target changed while open"
	}
	_ = Audit(ctx, db, AuditEvent{ActorID: &by.ID, Action: "petition_updated", SubjectType: "petition", SubjectID: p.ID, Details: details})
	return p, nil
}

// OpenPetition moves a draft to open. A petition linked to a release that is
// not public yet opens only when open_on_embargo_lift is set, and then stays off
// every public surface until the release lifts (Petition.Public).
func OpenPetition(ctx context.Context, db *gorm.DB, by *User, id string, now time.Time) (*Petition, error) {
	return transitionPetition(ctx, db, by, id, now, func(tx *gorm.DB, p *Petition) error {
		if p.Status != PetitionDraft {
			return &PetitionStateError{Msg: "only a draft petition can be opened; this one is " + string(p.Status)}
		}
		if p.ClosesAt != nil && !p.ClosesAt.After(now) {
			return &PetitionStateError{Msg: "the closing time has passed: set a later one first"}
		}
		if p.ReleaseID != nil && !p.OpenOnEmbargoLift {
			rel, err := petitionRelease(ctx, tx, p)
			if err != nil {
				return err
			}
			if rel == nil || !rel.Public(now) {
				return &PetitionStateError{Msg: "the linked release is not public yet: set “open when the embargo lifts”, or wait for it"}
			}
		}
		p.Status, p.OpenedAt = PetitionOpen, &now
		return nil
	})
}

// ClosePetition ends signing now.
func ClosePetition(ctx context.Context, db *gorm.DB, by *User, id string, now time.Time) (*Petition, error) {
	return transitionPetition(ctx, db, by, id, now, func(tx *gorm.DB, p *Petition) error {
		if p.Status != PetitionOpen {
			return &PetitionStateError{Msg: "only an open petition can be closed; this one is " + string(p.Status)}
		}
		p.Status, p.ClosedAt = PetitionClosed, &now
		return nil
	})
}

func transitionPetition(ctx context.Context, db *gorm.DB, by *User, id string, now time.Time, fn func(*gorm.DB, *Petition) error) (*Petition, error) {
	if !CanManagePetitions(by) {
		return nil, ErrNotCampaigner
	}
	var p *Petition
	var from PetitionStatus
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var err error
		if p, err = PetitionByID(ctx, tx, id); err != nil {
			return err
		}
		from = p.Status
		if err := fn(tx, p); err != nil {
			return err
		}
		p.UpdatedAt = now
		res := tx.Model(&Petition{}).Where("id = ? AND status = ?", p.ID, from).
			Updates(map[string]any{"status": p.Status, "opened_at": p.OpenedAt, "closed_at": p.ClosedAt, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return &PetitionStateError{Msg: "the petition changed meanwhile; reload it"}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("models: petition %s: %w", id, translate(err))
	}
	_ = Audit(ctx, db, AuditEvent{ActorID: &by.ID, Action: "petition_" + string(p.Status), SubjectType: "petition", SubjectID: p.ID, FromStatus: string(from), ToStatus: string(p.Status)})
	return p, nil
}

// CloseDuePetitions closes every open petition whose closing time has come, in
// one conditional statement (overlapping sweeps are harmless), and returns
// their ids. It also touches the open petitions linked to a release whose
// opening time has come since they last changed: such a petition turns
// public by the clock alone, and the touch bumps the newsroom's version
// (migration 00046), so its release's cached page starts asking readers to
// sign within a sweep of the opening time.
func CloseDuePetitions(ctx context.Context, db *gorm.DB, now time.Time) ([]string, error) {
	var ids []string
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Model(&Petition{}).Where("status = ? AND release_id IS NOT NULL AND opens_at IS NOT NULL AND opens_at <= ? AND updated_at < opens_at", PetitionOpen, now).
			Update("updated_at", now).Error; err != nil {
			return err
		}
		if err := tx.Model(&Petition{}).Where("status = ? AND closes_at IS NOT NULL AND closes_at <= ?", PetitionOpen, now).Pluck("id", &ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		return tx.Model(&Petition{}).Where("id IN ? AND status = ?", ids, PetitionOpen).
			Updates(map[string]any{"status": PetitionClosed, "closed_at": now, "updated_at": now}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("models: close due petitions: %w", err)
	}
	return ids, nil
}

// PetitionByID loads one petition.
func PetitionByID(ctx context.Context, db *gorm.DB, id string) (*Petition, error) {
	var p Petition
	if err := db.WithContext(ctx).First(&p, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: petition: %w", translate(err))
	}
	return &p, nil
}

// petitionRelease loads the release a petition is linked to, or nil.
func petitionRelease(ctx context.Context, db *gorm.DB, p *Petition) (*Document, error) {
	if p.ReleaseID == nil {
		return nil, nil
	}
	st, err := DocumentStateByID(ctx, db, *p.ReleaseID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &Document{ID: *p.ReleaseID, Status: st.Status, PublishedAt: st.PublishedAt, EmbargoAt: st.EmbargoAt, Slug: st.Slug}, nil
}

// PublicPetitionBySlug loads a petition the public may see at now; anything
// else (a draft, an unknown slug, a petition waiting for its release's embargo)
// is ErrNotFound, indistinguishably.
func PublicPetitionBySlug(ctx context.Context, db *gorm.DB, slug string, now time.Time) (*Petition, error) {
	p, rel, err := PetitionAndReleaseBySlug(ctx, db, slug)
	if err != nil {
		return nil, err
	}
	if !p.Public(rel, now) {
		return nil, fmt.Errorf("models: public petition: %w", ErrNotFound)
	}
	return p, nil
}

// PetitionAndReleaseBySlug loads a petition by slug with the state of the
// release it is linked to (nil when none), whatever its visibility: for a
// cache that asks Public again at every use, so time alone (an embargo lifting,
// a closing time passing) takes effect at once.
func PetitionAndReleaseBySlug(ctx context.Context, db *gorm.DB, slug string) (*Petition, *Document, error) {
	var p Petition
	if err := db.WithContext(ctx).First(&p, "slug = ?", slug).Error; err != nil {
		return nil, nil, fmt.Errorf("models: public petition: %w", translate(err))
	}
	rel, err := petitionRelease(ctx, db, &p)
	if err != nil {
		return nil, nil, fmt.Errorf("models: public petition: %w", err)
	}
	return &p, rel, nil
}

// PetitionFilter narrows the staff list of petitions.
type PetitionFilter struct {
	Status     PetitionStatus
	CampaignID string
	AfterID    string
	Limit      int
}

// Petitions lists petitions for staff, newest first, keyset-paged by id.
func Petitions(ctx context.Context, db *gorm.DB, f PetitionFilter) ([]Petition, error) {
	q := db.WithContext(ctx).Model(&Petition{})
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.CampaignID != "" {
		q = q.Where("campaign_id = ?", f.CampaignID)
	}
	if f.AfterID != "" {
		var after Petition
		if err := db.WithContext(ctx).First(&after, "id = ?", f.AfterID).Error; err == nil {
			q = q.Where("(created_at < ? OR (created_at = ? AND id < ?))", after.CreatedAt, after.CreatedAt, after.ID)
		}
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var out []Petition
	if err := q.Order("created_at DESC, id DESC").Limit(f.Limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: petitions: %w", err)
	}
	return out, nil
}

// ReleaseOfPetition loads the state of the release a petition is linked to
// (nil without one), for asking Petition.Public.
func ReleaseOfPetition(ctx context.Context, db *gorm.DB, p *Petition) (*Document, error) {
	rel, err := petitionRelease(ctx, db, p)
	if err != nil {
		return nil, fmt.Errorf("models: release of petition: %w", err)
	}
	return rel, nil
}
