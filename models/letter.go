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

// Letter is one supporter's letter on one Urgent Action, in their own words,
// to one or more of its targets. It goes only once the writer's address is
// confirmed (a confirmed writer's later letters go at once), one message per
// target, each with its delivery record (LetterDelivery). Abuse handling is
// the petitions': rate limits and the honeypot flag silently (a flagged
// letter is never sent), a per-IP ceiling refuses.
type Letter struct {
	ID              string `gorm:"primaryKey"`
	DocumentID      string
	Name            string
	Email           *string
	NormalisedEmail string
	EmailDomain     string
	Country         string
	Subject         string
	Body            string
	Unchanged       bool
	OptIn           bool
	ConsentWording  string
	State           SignatureState
	FlagReason      string
	IP              string `gorm:"column:ip"`
	IPErased        bool   `gorm:"column:ip_erased"`
	Source          string
	// SendID is the send whose email link brought the writer (SendSource).
	SendID      *string
	SupporterID *string
	EmailsSent  int
	CreatedAt   time.Time
	ConfirmedAt *time.Time
}

// Address is the writer's email, or "" once erased.
func (l *Letter) Address() string {
	if l.Email == nil {
		return ""
	}
	return *l.Email
}

// Delivery statuses of a letter to one target.
const (
	DeliveryPending   = "pending"   // the writer has not confirmed yet (or the letter is flagged)
	DeliveryQueued    = "queued"    // a job will send it at its slot
	DeliveryWaiting   = "waiting"   // the target cannot be mailed (bounced, or post only)
	DeliverySent      = "sent"      // the provider accepted it
	DeliveryDelivered = "delivered" // the provider delivered it
	DeliveryBounced   = "bounced"   // the target's server refused it
	DeliveryCancelled = "cancelled" // the action was withdrawn before it went
)

// LetterDelivery is the delivery record of one letter to one target. Its
// unique index on (action, target, writer's mailbox) is the rule that a
// writer writes to a target once per action.
type LetterDelivery struct {
	ID              string `gorm:"primaryKey"`
	LetterID        string
	DocumentID      string
	TargetID        string
	NormalisedEmail string
	Country         string
	Status          string
	ScheduledAt     *time.Time
	SentAt          *time.Time
	DeliveredAt     *time.Time
	BouncedAt       *time.Time
	PostedAt        *time.Time
	MessageID       string
	Error           string
	// SubmittingAt is set while a request with this letter may be out at the
	// provider; SettleBy is when waiting for the provider's word on it ends
	// (see SettleDelivery).
	SubmittingAt *time.Time
	SettleBy     *time.Time
	CreatedAt    time.Time
}

// LetterToken is one emailed confirmation link of a letter; only its hash is
// stored.
type LetterToken struct {
	TokenHash string `gorm:"primaryKey"`
	LetterID  string
	CreatedAt time.Time
}

// LetterWriter is a mailbox that has confirmed a letter once.
type LetterWriter struct {
	NormalisedEmail string `gorm:"primaryKey"`
	ConfirmedAt     time.Time
}

// LetterConsentWording is the opt-in sentence of the letter form, stored
// verbatim with every letter that ticks it.
const LetterConsentWording = "Yes, email me about this case and other urgent actions and petitions. I can unsubscribe at any time with one click."

// PublicAction is an action alert as the public sees it: the approved text
// (under the one visibility rule, PublicReleaseBySlug), its action fields and
// targets, and whether it still takes letters.
type PublicAction struct {
	Release *PublicRelease
	Action  *ActionContent
	Targets []Target
	Status  ActionStatus
	// UpdateOf is the original action when this alert is an update of one.
	UpdateOf *PublicRelease
	// CaseID is the action whose letters these are: the alert's own id, or
	// for a translation its original's (one case in two languages: one
	// letter per writer per official across them).
	CaseID string
}

// Open reports whether the action takes letters.
func (a *PublicAction) Open() bool { return a.Status.Open && !a.Release.Withdrawn() }

// Target returns the action's target with an id, or nil.
func (a *PublicAction) Target(id string) *Target {
	for i := range a.Targets {
		if a.Targets[i].ID == id {
			return &a.Targets[i]
		}
	}
	return nil
}

// PublicActionBySlug loads a public action alert: ErrNotFound unless the
// visibility rule lets the public see it.
func PublicActionBySlug(ctx context.Context, db *gorm.DB, slug string, now time.Time) (*PublicAction, error) {
	rel, err := PublicReleaseBySlug(ctx, db, slug, now)
	if err != nil {
		return nil, err
	}
	if rel.Kind != KindActionAlert {
		return nil, fmt.Errorf("models: public action %q: %w", slug, ErrNotFound)
	}
	return publicAction(ctx, db, rel, now)
}

func publicAction(ctx context.Context, db *gorm.DB, rel *PublicRelease, now time.Time) (*PublicAction, error) {
	rev, err := revisionOf(db.WithContext(ctx), rel.ID, rel.ApprovedRevision)
	if err != nil {
		return nil, err
	}
	var doc Document
	if err := db.WithContext(ctx).Select("id, update_of, update_number").Take(&doc, "id = ?", rel.ID).Error; err != nil {
		return nil, fmt.Errorf("models: public action: %w", translate(err))
	}
	rel.UpdateOf, rel.UpdateNumber = doc.UpdateOf, doc.UpdateNumber
	a := rev.Content().Action
	if a == nil {
		a = &ActionContent{}
	}
	pa := &PublicAction{Release: rel, Action: a, CaseID: rel.ID}
	if pa.Targets, err = TargetsByID(ctx, db, a.TargetIDs); err != nil {
		return nil, err
	}
	statusOf, caseAction := &rel.Document, a
	if rel.OriginalID != nil {
		orig, oa, err := translatedCase(ctx, db, *rel.OriginalID)
		if err != nil {
			return nil, err
		}
		if orig != nil {
			pa.CaseID, statusOf, caseAction = orig.ID, orig, oa
			own := *a
			own.AppealDeadline, own.AppealTimezone = oa.AppealDeadline, oa.AppealTimezone
			pa.Action = &own
		}
	}
	if pa.Status, err = ActionStatusOf(ctx, db, statusOf, caseAction, now); err != nil {
		return nil, err
	}
	if doc.UpdateOf != nil {
		var orig Document
		if err := db.WithContext(ctx).Select("slug").Take(&orig, "id = ?", *doc.UpdateOf).Error; err == nil && orig.Slug != nil {
			if o, err := PublicReleaseBySlug(ctx, db, *orig.Slug, now); err == nil {
				pa.UpdateOf = o
			}
		}
	}
	return pa, nil
}

// Errors of writing letters.
var (
	ErrActionClosed = fmt.Errorf("%w: this action has closed and takes no more letters", ErrConflict)
)

// AlreadyWrittenError refuses a letter to targets the writer has already
// written to on this action.
type AlreadyWrittenError struct{ Targets []string }

func (e *AlreadyWrittenError) Error() string {
	return "you have already written to " + strings.Join(e.Targets, " and ") + " about this action: thank you! Each official gets one letter from each writer"
}

// Unwrap makes an AlreadyWrittenError an ErrConflict.
func (e *AlreadyWrittenError) Unwrap() error { return ErrConflict }

// LetterInput is a public letter.
type LetterInput struct {
	Name, Email, Country string
	Subject, Body        string
	TargetIDs            []string // empty: every target of the action
	OptIn                bool
	Honeypot             string
	IP                   string
	Source               string
	Src                  string // the ?src= of an emailed link: the send it came from (SendSource)
	// ProvenWriter is the normalised mailbox the writer's browser proved it
	// confirmed (its signed writer cookie), or "". Only then does a confirmed
	// writer's letter go at once: an address alone proves nothing.
	ProvenWriter string
}

// LetterStatus is the public answer to a letter.
type LetterStatus string

// The two answers: confirm the address first, or it is on its way.
const (
	LetterCheckEmail LetterStatus = "check_your_email"
	LetterQueued     LetterStatus = "queued"
)

// LetterResult is what RequestLetter did.
type LetterResult struct {
	Letter *Letter
	Status LetterStatus
	// Token is set when a confirmation email must go (in the same transaction).
	Token string
	// Deliveries are ready to schedule now (a confirmed writer's letter).
	Deliveries []LetterDelivery
	// Skipped names the targets left out because this writer already wrote to them.
	Skipped []string
	// AlreadyWritten, with the check-your-email answer, names the targets of
	// a repeated letter whose sender has not proved the mailbox is theirs:
	// the answer must not tell them, so the note goes to the mailbox (in the
	// same transaction, like a confirmation).
	AlreadyWritten []string
}

// SameLetter reports whether a letter is the suggested one, unchanged but for
// spacing: such letters carry less weight, so the page suggests a personal
// sentence.
func SameLetter(body, suggested string) bool {
	return strings.Join(strings.Fields(body), " ") == strings.Join(strings.Fields(suggested), " ")
}

func (in *LetterInput) validate(pa *PublicAction) (string, error) {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	email := NormalizeEmail(in.Email)
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	in.Subject = strings.TrimSpace(in.Subject)
	in.Body = strings.TrimSpace(strings.ReplaceAll(in.Body, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		v.Add("name", "is required: it signs your letter")
	case n > 200:
		v.Add("name", "is too long (at most 200 characters)")
	}
	if !ValidEmail(email) || len(email) > 254 {
		v.Add("email", "is not a valid email address")
	}
	if !ValidCountry(in.Country) {
		v.Add("country", "choose your country from the list")
	}
	switch n := utf8.RuneCountInString(in.Subject); {
	case n == 0:
		v.Add("subject", "is required")
	case n > MaxLetterSubject:
		v.Add("subject", fmt.Sprintf("is too long (at most %d characters)", MaxLetterSubject))
	}
	switch {
	case in.Body == "":
		v.Add("body", "is empty: write your letter, or keep the suggested one")
	case len(in.Body) > MaxLetterBody:
		v.Add("body", fmt.Sprintf("is too long (at most %d characters)", MaxLetterBody))
	}
	var ids []string
	for _, id := range in.TargetIDs {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		for _, t := range pa.Targets {
			ids = append(ids, t.ID)
		}
	}
	for _, id := range ids {
		if pa.Target(id) == nil {
			v.Add("target_ids", "choose the officials from this action's list")
		}
	}
	if len(ids) == 0 {
		v.Add("target_ids", "this action names no officials to write to")
	}
	in.TargetIDs = ids
	if len(in.Source) > 100 {
		in.Source = in.Source[:100]
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	if !pa.Open() {
		return "", ErrActionClosed
	}
	return email, nil
}

// RequestLetter records a letter on a public, open action and decides what
// happens next: call it in a transaction, and in the same transaction
// enqueue the confirmation email (Token) or schedule the deliveries
// (Deliveries, with ScheduleLetterDeliveries). Targets the writer has
// already written to on this action are left out (Skipped); when that is
// every chosen target the letter is refused with an *AlreadyWrittenError,
// unless the earlier letter still waits for its confirmation, whose link is
// then sent again (at most MaxSignatureEmails emails per letter). Only a
// writer whose browser proved the mailbox (ProvenWriter) hears the refusal:
// anyone else gets the first-letter answer and the mailbox gets the note
// (AlreadyWritten), as a petition never tells who signed.
func RequestLetter(ctx context.Context, tx *gorm.DB, pa *PublicAction, in LetterInput, limits SignLimits, rules EmailRules, now time.Time) (*LetterResult, error) {
	email, err := in.validate(pa)
	if err != nil {
		return nil, err
	}
	db := tx.WithContext(ctx)
	state, reason, err := abuseState(db, &Letter{}, "document_id", pa.Release.ID, in.IP, in.Honeypot, limits, now)
	if err != nil {
		return nil, err
	}
	norm := NormaliseEmail(email, rules)
	var taken []LetterDelivery
	if err := db.Where("document_id IN (SELECT id FROM documents WHERE id = ? OR original_id = ?) AND normalised_email = ? AND target_id IN ?", pa.CaseID, pa.CaseID, norm, in.TargetIDs).
		Find(&taken).Error; err != nil {
		return nil, fmt.Errorf("models: letter: %w", err)
	}
	var remaining, skipped []string
	for _, id := range in.TargetIDs {
		if slices.ContainsFunc(taken, func(d LetterDelivery) bool { return d.TargetID == id }) {
			skipped = append(skipped, pa.Target(id).Name)
		} else {
			remaining = append(remaining, id)
		}
	}
	if len(remaining) == 0 {
		return repeatLetter(ctx, tx, taken, skipped, in.ProvenWriter == norm, now)
	}
	var writer LetterWriter
	confirmedWriter := false
	if in.ProvenWriter != norm {
		// Not proven by this browser: confirm by email like a first letter,
		// whether or not the mailbox wrote before (the answer is the same).
	} else if err := db.Take(&writer, "normalised_email = ?", norm).Error; err == nil {
		confirmedWriter = true
	} else if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("models: letter: %w", err)
	}
	l := &Letter{ID: NewID(), DocumentID: pa.Release.ID, Name: in.Name, Email: &email, NormalisedEmail: norm, EmailDomain: norm[strings.LastIndex(norm, "@")+1:],
		Country: in.Country, Subject: in.Subject, Body: in.Body, Unchanged: SameLetter(in.Body, pa.Action.LetterBody), OptIn: in.OptIn, State: state,
		FlagReason: reason, IP: in.IP, Source: in.Source, SendID: SendSource(in.Src), CreatedAt: now}
	if in.OptIn {
		l.ConsentWording = LetterConsentWording
	}
	if confirmedWriter {
		l.ConfirmedAt = &now
		if state == SignaturePending {
			l.State = SignatureConfirmed
		}
	} else {
		l.EmailsSent = 1
	}
	if err := db.Create(l).Error; err != nil {
		return nil, fmt.Errorf("models: letter: %w", err)
	}
	dels := make([]LetterDelivery, 0, len(remaining))
	for _, id := range remaining {
		dels = append(dels, LetterDelivery{ID: NewID(), LetterID: l.ID, DocumentID: pa.Release.ID, TargetID: id, NormalisedEmail: norm, Country: in.Country,
			Status: DeliveryPending, CreatedAt: now})
	}
	// A concurrent letter by the same mailbox may have taken a target since
	// the read above: the unique index keeps the first, and this one skips it.
	kept := dels[:0]
	for _, d := range dels {
		res := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "document_id"}, {Name: "target_id"}, {Name: "normalised_email"}}, DoNothing: true}).Create(&d)
		if res.Error != nil {
			return nil, fmt.Errorf("models: letter: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			kept = append(kept, d)
		} else {
			skipped = append(skipped, pa.Target(d.TargetID).Name)
		}
	}
	if len(kept) == 0 {
		return nil, &AlreadyWrittenError{Targets: skipped}
	}
	res := &LetterResult{Letter: l, Skipped: skipped}
	if in.OptIn {
		supID, err := pendingSupporter(ctx, tx, email, in.Name, in.Country, "action:"+deref(pa.Release.Slug), in.IP, now)
		if err != nil {
			return nil, err
		}
		if supID != "" {
			l.SupporterID = &supID
			if err := db.Model(&Letter{}).Where("id = ?", l.ID).Update("supporter_id", supID).Error; err != nil {
				return nil, fmt.Errorf("models: letter: %w", err)
			}
			if confirmedWriter {
				if err := subscribeSigner(ctx, tx, supID, "action:"+deref(pa.Release.Slug), in.IP, now); err != nil {
					return nil, err
				}
			}
		}
	}
	if confirmedWriter {
		res.Status = LetterQueued
		if l.State == SignatureConfirmed {
			res.Deliveries = kept
		}
		return res, nil
	}
	res.Status = LetterCheckEmail
	if res.Token, err = newLetterToken(ctx, tx, l.ID, now); err != nil {
		return nil, err
	}
	return res, nil
}

// repeatLetter answers a letter whose every target the writer has already
// written to: a letter still waiting for its confirmation gets its link once
// more; otherwise the writer's own browser (proven) hears the refusal naming
// the targets, and anyone else the first-letter answer while the mailbox
// gets the note. Each email counts against the earlier letter's limit of
// MaxSignatureEmails, so repeating a letter cannot flood a mailbox.
func repeatLetter(ctx context.Context, tx *gorm.DB, taken []LetterDelivery, names []string, proven bool, now time.Time) (*LetterResult, error) {
	db := tx.WithContext(ctx)
	var old Letter
	if err := db.Take(&old, "id = ?", taken[0].LetterID).Error; err != nil {
		return nil, fmt.Errorf("models: letter: %w", translate(err))
	}
	written := old.ConfirmedAt != nil || old.State == SignatureInvalidated
	if written && proven {
		return nil, &AlreadyWrittenError{Targets: names}
	}
	claim := db.Model(&Letter{}).Where("id = ? AND emails_sent < ?", old.ID, MaxSignatureEmails).Update("emails_sent", gorm.Expr("emails_sent + 1"))
	if claim.Error != nil {
		return nil, fmt.Errorf("models: letter: %w", claim.Error)
	}
	res := &LetterResult{Letter: &old, Status: LetterCheckEmail}
	if claim.RowsAffected == 0 {
		return res, nil
	}
	if written {
		res.AlreadyWritten = names
		return res, nil
	}
	token, err := newLetterToken(ctx, tx, old.ID, now)
	if err != nil {
		return nil, err
	}
	res.Token = token
	return res, nil
}

func newLetterToken(ctx context.Context, tx *gorm.DB, letterID string, now time.Time) (string, error) {
	token := NewSecret(20)
	if err := tx.WithContext(ctx).Create(&LetterToken{TokenHash: HashSecret(token), LetterID: letterID, CreatedAt: now}).Error; err != nil {
		return "", fmt.Errorf("models: letter token: %w", err)
	}
	return token, nil
}

// LetterByToken finds the letter of a confirmation link. It changes nothing.
func LetterByToken(ctx context.Context, db *gorm.DB, token string) (*Letter, error) {
	var lt LetterToken
	if err := db.WithContext(ctx).Take(&lt, "token_hash = ?", HashSecret(token)).Error; err != nil {
		return nil, fmt.Errorf("models: letter token: %w", translate(err))
	}
	var l Letter
	if err := db.WithContext(ctx).Take(&l, "id = ?", lt.LetterID).Error; err != nil {
		return nil, fmt.Errorf("models: letter token: %w", translate(err))
	}
	return &l, nil
}

// ConfirmLetter confirms the letter of a link: the writer's address is now
// known to be theirs (their later letters go at once), an opt-in writer is
// subscribed, and the letter's deliveries are returned to schedule in the
// same transaction (none for a flagged letter, which never goes). Call it
// only on a POST, and only while the action is open. Confirming twice
// changes nothing.
func ConfirmLetter(ctx context.Context, tx *gorm.DB, l *Letter, source, ip string, now time.Time) ([]LetterDelivery, error) {
	db := tx.WithContext(ctx)
	if l.ConfirmedAt != nil || l.State == SignatureInvalidated {
		return nil, nil
	}
	state := l.State
	if state == SignaturePending {
		state = SignatureConfirmed
	}
	res := db.Model(&Letter{}).Where("id = ? AND confirmed_at IS NULL", l.ID).Updates(map[string]any{"state": state, "confirmed_at": now})
	if res.Error != nil || res.RowsAffected == 0 {
		return nil, res.Error
	}
	l.State, l.ConfirmedAt = state, &now
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&LetterWriter{NormalisedEmail: l.NormalisedEmail, ConfirmedAt: now}).Error; err != nil {
		return nil, fmt.Errorf("models: confirm letter: %w", err)
	}
	if l.SupporterID != nil && l.OptIn {
		if err := subscribeSigner(ctx, tx, *l.SupporterID, source, ip, now); err != nil {
			return nil, err
		}
	}
	if state != SignatureConfirmed {
		return nil, nil
	}
	var dels []LetterDelivery
	if err := db.Where("letter_id = ? AND status = ?", l.ID, DeliveryPending).Find(&dels).Error; err != nil {
		return nil, fmt.Errorf("models: confirm letter: %w", err)
	}
	return dels, nil
}

// ScheduledDelivery is a delivery given its slot: the job to enqueue.
type ScheduledDelivery struct {
	ID string
	At time.Time
}

// ScheduleLetterDeliveries gives each delivery its target's next free slot
// and marks it queued, inside the caller's transaction (which enqueues one
// job per returned delivery, at its time). Letters to a target are spread
// evenly, at most perHour an hour: each takes the target's slot and moves it
// on by an hour / perHour, so an official's mailbox is never flooded and a
// burst of letters becomes a steady stream. perHour <= 0 lifts pacing. A
// target that cannot be mailed (bounced, or post only) gets no job: its
// deliveries wait, marked, until the address is fixed.
func ScheduleLetterDeliveries(ctx context.Context, tx *gorm.DB, dels []LetterDelivery, perHour int, now time.Time) ([]ScheduledDelivery, error) {
	db := tx.WithContext(ctx)
	// Lock targets in one order, so two transactions never wait on each other.
	sorted := slices.Clone(dels)
	slices.SortFunc(sorted, func(a, b LetterDelivery) int { return strings.Compare(a.TargetID, b.TargetID) })
	out := make([]ScheduledDelivery, 0, len(sorted))
	for _, d := range sorted {
		var t Target
		q := db
		if perHour > 0 && db.Dialector.Name() == "postgres" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Select("id, email, email_bounced_at, next_letter_at").Take(&t, "id = ?", d.TargetID).Error; err != nil {
			return nil, fmt.Errorf("models: schedule letters: %w", translate(err))
		}
		if !t.Mailable() {
			reason := "the official's email address bounced; the letter waits until it is fixed"
			if t.Email == "" {
				reason = "this official takes letters by post only"
			}
			if err := db.Model(&LetterDelivery{}).Where("id = ?", d.ID).Updates(map[string]any{"status": DeliveryWaiting, "error": reason}).Error; err != nil {
				return nil, fmt.Errorf("models: schedule letters: %w", err)
			}
			continue
		}
		at := now
		if perHour > 0 {
			if t.NextLetterAt != nil && t.NextLetterAt.After(now) {
				at = t.NextLetterAt.UTC()
			}
			next := at.Add(time.Hour / time.Duration(perHour))
			if err := db.Model(&Target{}).Where("id = ?", t.ID).Update("next_letter_at", next).Error; err != nil {
				return nil, fmt.Errorf("models: schedule letters: %w", err)
			}
		}
		if err := db.Model(&LetterDelivery{}).Where("id = ?", d.ID).Updates(map[string]any{"status": DeliveryQueued, "scheduled_at": at, "error": ""}).Error; err != nil {
			return nil, fmt.Errorf("models: schedule letters: %w", err)
		}
		out = append(out, ScheduledDelivery{ID: d.ID, At: at})
	}
	return out, nil
}

// WaitingDeliveries lists the deliveries to a target that wait for its
// address to be fixed.
func WaitingDeliveries(ctx context.Context, db *gorm.DB, targetID string) ([]LetterDelivery, error) {
	var dels []LetterDelivery
	if err := db.WithContext(ctx).Where("target_id = ? AND status = ?", targetID, DeliveryWaiting).Order("created_at").Find(&dels).Error; err != nil {
		return nil, fmt.Errorf("models: waiting letters: %w", err)
	}
	return dels, nil
}

// LetterMessage is everything the job needs to send one letter to one target.
type LetterMessage struct {
	Delivery LetterDelivery
	Letter   Letter
	Target   Target
	Action   Document
}

// LetterMessageByDelivery loads a delivery with its letter, target and action.
func LetterMessageByDelivery(ctx context.Context, db *gorm.DB, id string) (*LetterMessage, error) {
	var m LetterMessage
	q := db.WithContext(ctx)
	if err := q.Take(&m.Delivery, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: letter delivery: %w", translate(err))
	}
	if err := q.Take(&m.Letter, "id = ?", m.Delivery.LetterID).Error; err != nil {
		return nil, fmt.Errorf("models: letter delivery: %w", translate(err))
	}
	if err := q.Take(&m.Target, "id = ?", m.Delivery.TargetID).Error; err != nil {
		return nil, fmt.Errorf("models: letter delivery: %w", translate(err))
	}
	if err := q.Take(&m.Action, "id = ?", m.Delivery.DocumentID).Error; err != nil {
		return nil, fmt.Errorf("models: letter delivery: %w", translate(err))
	}
	return &m, nil
}

// MarkDelivery moves a delivery from one status to another (and records the
// provider's message id or the error); it reports whether it moved.
func MarkDelivery(ctx context.Context, db *gorm.DB, id, from, to, messageID, errText string, now time.Time) (bool, error) {
	updates := map[string]any{"status": to, "error": errText}
	if to == DeliverySent {
		updates["sent_at"], updates["message_id"] = now, messageID
	}
	res := db.WithContext(ctx).Model(&LetterDelivery{}).Where("id = ? AND status = ?", id, from).Updates(updates)
	if res.Error != nil {
		return false, fmt.Errorf("models: mark delivery: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// applyLetterEvent applies a provider event about one letter: delivered or
// bounced; a bounce (or a drop for a bad address) marks the target, so no
// letter is mailed to it again until someone fixes the address.
func applyLetterEvent(ctx context.Context, tx *gorm.DB, e WebhookEvent, at time.Time) error {
	db := tx.WithContext(ctx)
	switch e.Event {
	case "delivered":
		return db.Model(&LetterDelivery{}).Where("id = ? AND status = ?", e.LetterDeliveryID, DeliverySent).
			Updates(map[string]any{"status": DeliveryDelivered, "delivered_at": at}).Error
	case "bounce", "dropped":
		var d LetterDelivery
		if err := db.Take(&d, "id = ?", e.LetterDeliveryID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil
			}
			return err
		}
		if err := db.Model(&LetterDelivery{}).Where("id = ? AND status IN ?", d.ID, []string{DeliverySent, DeliveryDelivered, DeliveryQueued}).
			Updates(map[string]any{"status": DeliveryBounced, "bounced_at": at}).Error; err != nil {
			return err
		}
		// Only a bounce from the target's current address marks it: an old
		// address's bounce arriving after a fix must not undo the fix.
		return db.Model(&Target{}).Where("id = ? AND email_bounced_at IS NULL AND (email = ? OR ? = '')", d.TargetID, e.Email, e.Email).
			Updates(map[string]any{"email_bounced_at": at, "bounce_reason": "the provider reported a " + e.Event}).Error
	}
	return nil
}

// TargetLetterCount is one target's letters on an action.
type TargetLetterCount struct {
	TargetID  string `json:"target_id"`
	Name      string `json:"name"`
	Country   string `json:"country"`
	Bounced   bool   `json:"target_bounced"`
	Pending   int64  `json:"pending"`
	Queued    int64  `json:"queued"`
	Waiting   int64  `json:"waiting"`
	Sent      int64  `json:"sent"`
	Delivered int64  `json:"delivered"`
	BouncedN  int64  `json:"bounced"`
	Posted    int64  `json:"posted"`
}

// LetterCounts are an action's letters for staff.
type LetterCounts struct {
	Total     int64               `json:"total"`
	Flagged   int64               `json:"flagged"`
	Rejected  int64               `json:"rejected"`
	Pending   int64               `json:"pending"`
	Unchanged int64               `json:"unchanged"`
	Posted    int64               `json:"posted"`
	ByTarget  []TargetLetterCount `json:"by_target"`
	ByCountry map[string]int64    `json:"by_country"`
	PostedBy  map[string]int64    `json:"posted_by_country"`
	// PostedFlagged are "I posted it" records past their address's abuse
	// limits: kept, but not in Posted.
	PostedFlagged int64 `json:"posted_flagged"`
	targets       map[string]*TargetLetterCount
}

// LetterCountsOf counts an action's letters (the case's: an original and its
// translations together, asked of either): confirmed letters in total and
// per writer's country, deliveries per target by status, and the posted
// letters apart. "sent" counts every letter the provider accepted (delivered
// and bounced ones included), "delivered" and "bounced" what the webhook
// reported.
func LetterCountsOf(ctx context.Context, db *gorm.DB, docID string) (*LetterCounts, error) {
	q := db.WithContext(ctx)
	// One case in several languages: the original's letters and its
	// translations', whichever page asks.
	var doc Document
	if err := q.Select("id, original_id").Take(&doc, "id = ?", docID).Error; err != nil {
		return nil, fmt.Errorf("models: letter counts: %w", translate(err))
	}
	caseID := docID
	if doc.OriginalID != nil {
		caseID = *doc.OriginalID
	}
	const caseDocs = "document_id IN (SELECT id FROM documents WHERE id = ? OR original_id = ?)"
	out := &LetterCounts{ByCountry: map[string]int64{}, PostedBy: map[string]int64{}, ByTarget: []TargetLetterCount{}, targets: map[string]*TargetLetterCount{}}
	var ats []struct {
		TargetID, Name, Country string
		EmailBouncedAt          *time.Time
	}
	if err := q.Table("action_targets").Select("targets.id AS target_id, targets.name, targets.country, targets.email_bounced_at").
		Joins("JOIN targets ON targets.id = action_targets.target_id").Where("action_targets.document_id = ?", caseID).Order("action_targets.position").Scan(&ats).Error; err != nil {
		return nil, fmt.Errorf("models: letter counts: %w", err)
	}
	for _, a := range ats {
		out.ByTarget = append(out.ByTarget, TargetLetterCount{TargetID: a.TargetID, Name: a.Name, Country: a.Country, Bounced: a.EmailBouncedAt != nil})
	}
	for i := range out.ByTarget {
		out.targets[out.ByTarget[i].TargetID] = &out.ByTarget[i]
	}
	target := func(id string) *TargetLetterCount {
		if t, ok := out.targets[id]; ok {
			return t
		}
		out.ByTarget = append(out.ByTarget, TargetLetterCount{TargetID: id})
		for i := range out.ByTarget {
			out.targets[out.ByTarget[i].TargetID] = &out.ByTarget[i]
		}
		return out.targets[id]
	}
	var states []struct {
		State     SignatureState
		Country   string
		Unchanged bool
		N         int64
	}
	if err := q.Model(&Letter{}).Select("state, country, unchanged, COUNT(*) AS n").Where(caseDocs, caseID, caseID).Group("state, country, unchanged").Scan(&states).Error; err != nil {
		return nil, fmt.Errorf("models: letter counts: %w", err)
	}
	for _, s := range states {
		switch s.State {
		case SignatureConfirmed:
			out.Total += s.N
			out.ByCountry[s.Country] += s.N
			if s.Unchanged {
				out.Unchanged += s.N
			}
		case SignatureFlagged:
			out.Flagged += s.N
		case SignatureInvalidated:
			out.Rejected += s.N
		case SignaturePending:
			out.Pending += s.N
		}
	}
	var dels []struct {
		TargetID, Status string
		N                int64
	}
	if err := q.Model(&LetterDelivery{}).Select("target_id, status, COUNT(*) AS n").Where(caseDocs, caseID, caseID).Group("target_id, status").Scan(&dels).Error; err != nil {
		return nil, fmt.Errorf("models: letter counts: %w", err)
	}
	for _, d := range dels {
		t := target(d.TargetID)
		switch d.Status {
		case DeliveryPending:
			t.Pending += d.N
		case DeliveryQueued:
			t.Queued += d.N
		case DeliveryWaiting:
			t.Waiting += d.N
		case DeliverySent:
			t.Sent += d.N
		case DeliveryDelivered:
			t.Sent += d.N
			t.Delivered += d.N
		case DeliveryBounced:
			t.Sent += d.N
			t.BouncedN += d.N
		}
	}
	var posts []struct {
		TargetID, Country string
		Flagged           bool
		N                 int64
	}
	if err := q.Model(&LetterPost{}).Select("target_id, country, flag_reason <> '' AS flagged, COUNT(*) AS n").Where(caseDocs, caseID, caseID).
		Group("target_id, country, flag_reason <> ''").Scan(&posts).Error; err != nil {
		return nil, fmt.Errorf("models: letter counts: %w", err)
	}
	for _, p := range posts {
		if p.Flagged {
			out.PostedFlagged += p.N
			continue
		}
		target(p.TargetID).Posted += p.N
		out.Posted += p.N
		out.PostedBy[p.Country] += p.N
	}
	return out, nil
}

// LetterText is the letter as one target receives it: their greeting, the
// writer's words, and the writer's sign-off with their name and country.
func LetterText(t *Target, body, name, country string) string {
	var b strings.Builder
	b.WriteString(t.Greeting())
	b.WriteString(",\n\n")
	b.WriteString(strings.TrimSpace(body))
	b.WriteString("\n\nYours sincerely,\n\n")
	b.WriteString(name)
	if n := CountryName(country); n != "" {
		b.WriteString("\n" + n)
	}
	b.WriteString("\n")
	return b.String()
}
