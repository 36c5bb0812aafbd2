package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Target is an official an Urgent Action asks supporters to write to: a
// minister, a prosecutor, an ambassador. The directory is shared by every
// action, so a corrected address helps them all. A bounce from the address
// marks the target (EmailBouncedAt) and no letter is mailed to it until
// someone changes the address.
type Target struct {
	ID             string `gorm:"primaryKey"`
	Name           string
	Title          string
	Organisation   string
	Country        string
	Email          string
	PostalAddress  string
	Salutation     string
	Language       string
	Notes          string
	EmailBouncedAt *time.Time
	BounceReason   string
	// NextLetterAt is the target's pacing slot: the earliest time the next
	// letter to them may be sent (ReserveLetterSlots).
	NextLetterAt *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Greeting is how a letter to the target opens: its salutation, or "Dear" and
// the name when none is recorded.
func (t *Target) Greeting() string {
	if s := strings.TrimSpace(t.Salutation); s != "" {
		return strings.TrimRight(s, ",")
	}
	return "Dear " + t.Name
}

// Describe is the target as a line of text: name, title, organisation.
func (t *Target) Describe() string {
	parts := []string{t.Name}
	for _, p := range []string{t.Title, t.Organisation} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// Mailable reports whether letters may go to the target by email now.
func (t *Target) Mailable() bool { return t.Email != "" && t.EmailBouncedAt == nil }

// CanManageTargets reports whether u may create, edit and import targets:
// campaigners (who run the actions) and admins.
func CanManageTargets(u *User) bool {
	return u != nil && (u.Role == RoleAdmin || u.Role == RoleCampaigner)
}

// ErrNotYourTargets refuses a change to the directory by another role.
var ErrNotYourTargets = fmt.Errorf("%w: only campaigners and admins manage targets", ErrForbidden)

// TargetInput is the writable part of a target; nil fields are left alone by
// UpdateTarget and empty for CreateTarget.
type TargetInput struct {
	Name, Title, Organisation, Country, Email, PostalAddress, Salutation, Language, Notes *string
}

func (in TargetInput) apply(t *Target) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(strings.ReplaceAll(*src, "\r\n", "\n"))
		}
	}
	set(&t.Name, in.Name)
	set(&t.Title, in.Title)
	set(&t.Organisation, in.Organisation)
	set(&t.Country, in.Country)
	set(&t.PostalAddress, in.PostalAddress)
	set(&t.Salutation, in.Salutation)
	set(&t.Language, in.Language)
	set(&t.Notes, in.Notes)
	if in.Email != nil {
		t.Email = NormalizeEmail(*in.Email)
	}
	t.Country = strings.ToUpper(t.Country)
	t.Language = strings.ToLower(t.Language)
}

// Validate checks a target: a name, and at least one way to reach them (an
// email address or a postal address).
func (t *Target) Validate() error {
	var v ValidationError
	switch n := utf8.RuneCountInString(t.Name); {
	case n == 0:
		v.Add("name", "is required")
	case n > 200:
		v.Add("name", "is too long (at most 200 characters)")
	}
	for f, s := range map[string]string{"title": t.Title, "organisation": t.Organisation, "salutation": t.Salutation} {
		if utf8.RuneCountInString(s) > 200 {
			v.Add(f, "is too long (at most 200 characters)")
		}
	}
	if t.Email != "" && (!ValidEmail(t.Email) || len(t.Email) > 254) {
		v.Add("email", "is not a valid email address")
	}
	if t.Country != "" && !ValidCountry(t.Country) {
		v.Add("country", "must be a two-letter country code such as GB or EG")
	}
	if t.Language != "" && !validLanguage(t.Language) {
		v.Add("language", "must be a language code such as en, fr or ar")
	}
	if utf8.RuneCountInString(t.PostalAddress) > 1000 {
		v.Add("postal_address", "is too long (at most 1000 characters)")
	}
	if utf8.RuneCountInString(t.Notes) > 5000 {
		v.Add("notes", "is too long (at most 5000 characters)")
	}
	if t.Email == "" && t.PostalAddress == "" {
		v.Add("email", "give an email address or a postal address, so letters can reach this official")
	}
	return v.Err()
}

// duplicateTargetEmail turns the unique index on the address into a message.
func duplicateTargetEmail(err error) error {
	if errors.Is(translate(err), ErrConflict) {
		return &ValidationError{Fields: map[string]string{"email": "is already the address of another target"}}
	}
	return err
}

// CreateTarget adds an official to the directory.
func CreateTarget(ctx context.Context, db *gorm.DB, by *User, in TargetInput, now time.Time) (*Target, error) {
	if !CanManageTargets(by) {
		return nil, ErrNotYourTargets
	}
	t := &Target{ID: NewID(), CreatedAt: now, UpdatedAt: now}
	in.apply(t)
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := db.WithContext(ctx).Create(t).Error; err != nil {
		if err := duplicateTargetEmail(err); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				return nil, ve
			}
			return nil, fmt.Errorf("models: create target: %w", err)
		}
	}
	_ = Audit(ctx, db, AuditEvent{ActorID: &by.ID, Action: "target_created", SubjectType: "target", SubjectID: t.ID, Details: t.Describe()})
	return t, nil
}

// UpdateTarget changes a target. A new email address clears the bounce mark
// (someone fixed it), and the caller re-queues the letters that waited for it
// (LettersWaitingFor).
func UpdateTarget(ctx context.Context, db *gorm.DB, by *User, id string, in TargetInput, now time.Time) (t *Target, fixed bool, err error) {
	if !CanManageTargets(by) {
		return nil, false, ErrNotYourTargets
	}
	err = Transaction(ctx, db, func(tx *gorm.DB) error {
		var err error
		if t, err = TargetByID(ctx, tx, id); err != nil {
			return err
		}
		old := t.Email
		in.apply(t)
		if err := t.Validate(); err != nil {
			return err
		}
		updates := map[string]any{"name": t.Name, "title": t.Title, "organisation": t.Organisation, "country": t.Country, "email": t.Email,
			"postal_address": t.PostalAddress, "salutation": t.Salutation, "language": t.Language, "notes": t.Notes, "updated_at": now}
		if t.Email != old && t.EmailBouncedAt != nil {
			updates["email_bounced_at"], updates["bounce_reason"] = nil, ""
			t.EmailBouncedAt, t.BounceReason, fixed = nil, "", true
		}
		if err := tx.Model(&Target{}).Where("id = ?", id).Updates(updates).Error; err != nil {
			return duplicateTargetEmail(err)
		}
		return Audit(ctx, tx, AuditEvent{At: now, ActorID: &by.ID, Action: "target_updated", SubjectType: "target", SubjectID: t.ID, Details: t.Describe()})
	})
	var ve *ValidationError
	if errors.As(err, &ve) {
		return nil, false, ve
	}
	if err != nil {
		return nil, false, fmt.Errorf("models: update target: %w", err)
	}
	return t, fixed, nil
}

// TargetByID loads one target.
func TargetByID(ctx context.Context, db *gorm.DB, id string) (*Target, error) {
	var t Target
	if err := db.WithContext(ctx).Take(&t, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: target: %w", translate(err))
	}
	return &t, nil
}

// TargetsByID loads targets in the order of ids, skipping unknown ones.
func TargetsByID(ctx context.Context, db *gorm.DB, ids []string) ([]Target, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var ts []Target
	if err := db.WithContext(ctx).Where("id IN ?", ids).Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("models: targets: %w", err)
	}
	out := make([]Target, 0, len(ts))
	for _, id := range ids {
		if i := slices.IndexFunc(ts, func(t Target) bool { return t.ID == id }); i >= 0 {
			out = append(out, ts[i])
		}
	}
	return out, nil
}

// TargetFilter narrows the directory.
type TargetFilter struct {
	Query   string // words of the name, title, organisation or address
	Country string
	AfterID string // keyset: targets after this one in name order
	Limit   int
}

// Targets lists the directory by name.
func Targets(ctx context.Context, db *gorm.DB, f TargetFilter) ([]Target, error) {
	q := db.WithContext(ctx).Model(&Target{})
	for _, w := range strings.Fields(f.Query) {
		like := likePattern(w)
		q = q.Where(`(LOWER(name) LIKE ? ESCAPE '\' OR LOWER(title) LIKE ? ESCAPE '\' OR LOWER(organisation) LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\' OR LOWER(country) = ?)`,
			like, like, like, like, strings.ToLower(w))
	}
	if f.Country != "" {
		q = q.Where("country = ?", strings.ToUpper(f.Country))
	}
	if f.AfterID != "" {
		if after, err := TargetByID(ctx, db, f.AfterID); err == nil {
			q = q.Where("(LOWER(name) > ? OR (LOWER(name) = ? AND id > ?))", strings.ToLower(after.Name), strings.ToLower(after.Name), after.ID)
		}
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	var ts []Target
	if err := q.Order("LOWER(name), id").Limit(f.Limit).Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("models: targets: %w", err)
	}
	return ts, nil
}

// ImportTargets imports a parsed CSV file of officials with the audiences'
// rules (see the top of csvimport.go): rows are matched by email address, a
// new address is a new target, a known one is updated with the row's
// non-empty cells, and every bad row is reported with its reason.
func ImportTargets(ctx context.Context, db *gorm.DB, by *User, t *CSVTable, m Mapping) (*ImportResult, error) {
	if !CanManageTargets(by) {
		return nil, ErrNotYourTargets
	}
	recs, rejects, err := t.Records(AudienceTargets, m, db.NowFunc())
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Rejected: rejects}
	err = Transaction(ctx, db, func(tx *gorm.DB) error {
		now := tx.NowFunc().UTC()
		existing := map[string]Target{}
		for _, part := range chunks(emailsOf(recs), importBatch) {
			var ts []Target
			if err := tx.Where("email IN ?", part).Find(&ts).Error; err != nil {
				return err
			}
			for _, x := range ts {
				existing[x.Email] = x
			}
		}
		rows := make([]Target, 0, len(recs))
		for _, r := range recs {
			v := r.Values
			x, found := existing[r.Email]
			if !found {
				x = Target{ID: NewID(), Email: r.Email, CreatedAt: now}
			}
			x.Name = firstNonEmpty(v["name"], x.Name)
			x.Title = firstNonEmpty(v["title"], x.Title)
			x.Organisation = firstNonEmpty(v["organisation"], x.Organisation)
			x.Country = firstNonEmpty(strings.ToUpper(strings.TrimSpace(v["country"])), x.Country)
			x.PostalAddress = firstNonEmpty(strings.ReplaceAll(v["postal_address"], "\r\n", "\n"), x.PostalAddress)
			x.Salutation = firstNonEmpty(v["salutation"], x.Salutation)
			x.Language = firstNonEmpty(strings.ToLower(v["language"]), x.Language)
			x.Notes = firstNonEmpty(v["notes"], x.Notes)
			x.UpdatedAt = now
			if err := x.Validate(); err != nil {
				var ve *ValidationError
				errors.As(err, &ve)
				res.Rejected = append(res.Rejected, RejectedRow{Row: r.Line, Reason: firstFieldProblem(ve)})
				continue
			}
			if found {
				res.Updated++
			} else {
				res.Imported++
			}
			res.Updated += r.Merged
			rows = append(rows, x)
		}
		if len(rows) == 0 {
			return nil
		}
		upsert := clause.OnConflict{Columns: []clause.Column{{Name: "email"}}, TargetWhere: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "email <> ''"}}},
			DoUpdates: clause.AssignmentColumns([]string{"name", "title", "organisation", "country", "postal_address", "salutation", "language", "notes", "updated_at"})}
		if err := tx.Clauses(upsert).CreateInBatches(rows, batchRows(tx, 15)).Error; err != nil {
			return err
		}
		return Audit(ctx, tx, AuditEvent{At: now, ActorID: &by.ID, Action: "targets_imported", SubjectType: "target", SubjectID: "",
			Details: fmt.Sprintf("%d imported, %d updated, %d rejected", res.Imported, res.Updated, len(res.Rejected))})
	})
	if err != nil {
		return nil, fmt.Errorf("models: import targets: %w", translate(err))
	}
	slices.SortFunc(res.Rejected, func(a, b RejectedRow) int { return a.Row - b.Row })
	return res, nil
}

// firstFieldProblem words a validation error as one reason for a row report,
// fields in a stable order.
func firstFieldProblem(ve *ValidationError) string {
	if ve == nil || len(ve.Fields) == 0 {
		return "is not valid"
	}
	keys := make([]string, 0, len(ve.Fields))
	for k := range ve.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys[0] + " " + ve.Fields[keys[0]]
}

// targetAliases adds the target columns to the shared header aliases.
func targetAliases(m map[string]string) map[string]string {
	for _, k := range []string{"title", "jobtitle", "position", "role", "office"} {
		m[k] = "title"
	}
	for _, k := range []string{"organisation", "organization", "ministry", "department", "institution", "body"} {
		m[k] = "organisation"
	}
	for _, k := range []string{"country", "countrycode"} {
		m[k] = "country"
	}
	for _, k := range []string{"postaladdress", "address", "postal", "mailingaddress", "postaddress"} {
		m[k] = "postal_address"
	}
	for _, k := range []string{"salutation", "greeting", "dear"} {
		m[k] = "salutation"
	}
	for _, k := range []string{"language", "lang", "languagecode"} {
		m[k] = "language"
	}
	for _, k := range []string{"notes", "note", "comments", "comment"} {
		m[k] = "notes"
	}
	return m
}

// ActionsUsingTarget lists the action alerts whose current text names the
// target, newest first, with their headline and status.
func ActionsUsingTarget(ctx context.Context, db *gorm.DB, targetID string) ([]DocumentSummary, error) {
	var out []DocumentSummary
	err := db.WithContext(ctx).Table("documents").Select("documents.*, revisions.headline").
		Joins("JOIN revisions ON revisions.document_id = documents.id AND revisions.number = documents.current_revision").
		Where("documents.id IN (SELECT document_id FROM action_targets WHERE target_id = ?)", targetID).
		Order("documents.updated_at DESC").Limit(100).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: actions using target: %w", err)
	}
	return out, nil
}
