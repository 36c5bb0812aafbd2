package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// SendStatus is where a send stands.
type SendStatus string

// Label is the status as people read it, like a release's: "Draft", "Sent".
func (s SendStatus) Label() string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// Send statuses (API.md). A send is a draft until dispatched; queued until its
// recipients are materialised (at once, or at its scheduled time); sending while
// batches are outstanding; sent when none is pending or submitting; failed when
// every batch failed.
const (
	SendDraft     SendStatus = "draft"
	SendQueued    SendStatus = "queued"
	SendSending   SendStatus = "sending"
	SendPaused    SendStatus = "paused"
	SendSent      SendStatus = "sent"
	SendCancelled SendStatus = "cancelled"
	SendFailed    SendStatus = "failed"
)

// Schedule kinds of a send.
const (
	ScheduleNow     = "now"
	ScheduleAt      = "at"
	ScheduleEmbargo = "embargo"
)

// Batch statuses. The checkpoint that matters is "submitted": it is written only
// after the provider accepted the batch, so a crash can never skip a recipient
// (listmonk's worst bug was advancing its checkpoint on fetch).
const (
	BatchPending    = "pending"
	BatchSubmitting = "submitting"
	BatchSubmitted  = "submitted"
	BatchFailed     = "failed"
	BatchCancelled  = "cancelled"
)

// Recipient kinds and statuses.
const (
	RecipientJournalist = "journalist"
	RecipientSupporter  = "supporter"

	RecipientPending    = "pending"
	RecipientSubmitted  = "submitted"
	RecipientFailed     = "failed"
	RecipientSuppressed = "suppressed"
)

// SendBatchSize is the most recipients one batch holds: SendGrid's limit of
// personalizations per request (jobs.MaxBatchRecipients).
const SendBatchSize = 1000

// Send is one pinned document revision going to an audience.
type Send struct {
	ID             string `gorm:"primaryKey"`
	DocumentID     string
	Kind           Kind
	Revision       int
	Subject        string
	FromEmail      string
	FromName       string
	ReplyTo        string
	Schedule       string
	ScheduledAt    *time.Time
	Status         SendStatus
	Error          string
	Recipients     int
	Suppressed     int
	Batches        int
	Delivered      int
	Opened         int
	Clicked        int
	Bounced        int
	Spam           int
	Unsubscribed   int
	DispatchJobID  *int64
	CreatedBy      *string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DispatchedAt   *time.Time
	MaterialisedAt *time.Time
	CompletedAt    *time.Time

	// HeldReason says why the send is held (status paused): its document left
	// the approved text the send pins. "" when it is not held (SendableNow).
	HeldReason string
}

// SendAudience is one list or segment a send goes to.
type SendAudience struct {
	SendID   string `gorm:"primaryKey"`
	Audience string `gorm:"primaryKey"`
	RefID    string `gorm:"primaryKey"`
}

// Audience kinds of a send.
const (
	AudienceMediaList        = "media_list"
	AudienceSupporterList    = "supporter_list"
	AudienceMediaSegment     = "media_segment"
	AudienceSupporterSegment = "supporter_segment"
	// AudienceActionParticipants is everyone who acted on or received an
	// Urgent Action (ref: the original action): the writers of its letters,
	// and everyone its sends and its updates' sends reached.
	AudienceActionParticipants = "action_participants"
)

// SendRecipient is one materialised recipient of a send.
type SendRecipient struct {
	ID             int64 `gorm:"primaryKey"`
	SendID         string
	BatchNo        *int
	Kind           string
	ContactID      *string
	SupporterID    *string
	Email          string
	Name           string
	Status         string
	Reason         string
	MessageID      string
	Error          string
	SubmittedAt    *time.Time
	DeliveredAt    *time.Time
	OpenedAt       *time.Time
	ClickedAt      *time.Time
	BouncedAt      *time.Time
	SpamAt         *time.Time
	UnsubscribedAt *time.Time
}

// SendBatch is one provider request's worth of recipients.
type SendBatch struct {
	SendID      string `gorm:"primaryKey"`
	BatchNo     int    `gorm:"primaryKey"`
	Status      string
	Attempts    int
	Recipients  int
	Submitted   int
	Suppressed  int
	Failed      int
	MessageID   string
	Error       string
	JobID       *int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	SubmittedAt *time.Time
	// ClaimedBy is the worker (River client id) that last claimed the batch;
	// see ClaimBatch.
	ClaimedBy string
}

// SendInput is what staff choose for a new send.
type SendInput struct {
	DocumentID          string
	MediaListIDs        []string
	SupporterListIDs    []string
	MediaSegmentIDs     []string
	SupporterSegmentIDs []string
	// ActionParticipantsOf are original Urgent Actions whose participants
	// (AudienceActionParticipants) the send goes to.
	ActionParticipantsOf []string
	Subject              string
	// Schedule is now, at (ScheduledAt) or embargo (when the release's embargo
	// lifts); empty means at ScheduledAt when given, else now.
	Schedule    string
	ScheduledAt *time.Time
	FromEmail   string
	FromName    string
	ReplyTo     string
}

// CanSend reports whether a user may send documents of a kind: press officers
// send press releases, campaigners action alerts, admins both.
func CanSend(u *User, k Kind) bool { return u != nil && CanEdit(u, k) }

// ErrNotSendable refuses a send of a document that has no approved text to send.
var ErrNotSendable = fmt.Errorf("%w: only an approved, scheduled or published release can be sent", ErrConflict)

// CreateSend stores a draft send of a document's approved revision. The revision
// is pinned here: what goes out is exactly what was approved, even if the
// document is edited afterwards. Supporter mail of an embargoed release cannot go
// out before the embargo lifts (journalists receive it embargoed; the public
// does not).
func CreateSend(ctx context.Context, db *gorm.DB, by *User, in SendInput, now time.Time) (*Send, error) {
	var v ValidationError
	in.Subject = strings.TrimSpace(in.Subject)
	if in.DocumentID == "" {
		v.Add("release_id", "is required")
	}
	if len(in.Subject) > MaxHeadline+60 {
		v.Add("subject", "is too long")
	}
	in.MediaListIDs, in.SupporterListIDs = compactIDs(in.MediaListIDs), compactIDs(in.SupporterListIDs)
	in.MediaSegmentIDs, in.SupporterSegmentIDs = compactIDs(in.MediaSegmentIDs), compactIDs(in.SupporterSegmentIDs)
	in.ActionParticipantsOf = compactIDs(in.ActionParticipantsOf)
	if len(in.MediaListIDs)+len(in.SupporterListIDs)+len(in.MediaSegmentIDs)+len(in.SupporterSegmentIDs)+len(in.ActionParticipantsOf) == 0 {
		v.Add("media_list_ids", "choose at least one list or segment")
	}
	if in.Schedule == "" {
		in.Schedule = ScheduleNow
		if in.ScheduledAt != nil {
			in.Schedule = ScheduleAt
		}
	}
	switch in.Schedule {
	case ScheduleNow:
		in.ScheduledAt = nil
	case ScheduleAt:
		if in.ScheduledAt == nil {
			v.Add("scheduled_at", "is required to send at a time")
		} else if !in.ScheduledAt.After(now) {
			v.Add("scheduled_at", "must be in the future")
		} else if in.ScheduledAt.After(now.Add(366 * 24 * time.Hour)) {
			v.Add("scheduled_at", "must be within a year")
		}
	case ScheduleEmbargo:
	default:
		v.Add("schedule", "must be now, at or embargo")
	}
	if in.FromEmail != "" && !ValidEmail(NormalizeEmail(in.FromEmail)) {
		v.Add("from_email", "is not a valid address")
	}
	if in.ReplyTo != "" && !ValidEmail(NormalizeEmail(in.ReplyTo)) {
		v.Add("reply_to", "is not a valid address")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var d Document
	if err := db.WithContext(ctx).First(&d, "id = ?", in.DocumentID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, &ValidationError{Fields: map[string]string{"release_id": "is not a release"}}
		}
		return nil, fmt.Errorf("models: create send: %w", err)
	}
	if !CanSend(by, d.Kind) {
		return nil, fmt.Errorf("models: create send: %w", ErrWrongKind)
	}
	if d.ApprovedRevision == 0 || (d.Status != StatusApproved && d.Status != StatusScheduled && d.Status != StatusPublished) {
		return nil, fmt.Errorf("models: create send of a %s release: %w", d.Status, ErrNotSendable)
	}
	embargoed := d.EmbargoAt != nil && d.EmbargoAt.After(now)
	if in.Schedule == ScheduleEmbargo {
		if d.EmbargoAt == nil {
			v.Add("schedule", "this release has no embargo")
		} else {
			t := d.EmbargoAt.UTC()
			in.ScheduledAt = &t
		}
	}
	toSupporters := len(in.SupporterListIDs)+len(in.SupporterSegmentIDs)+len(in.ActionParticipantsOf) > 0
	if toSupporters && embargoed && (in.ScheduledAt == nil || in.ScheduledAt.Before(*d.EmbargoAt)) {
		v.Add("schedule", "supporter mail of an embargoed release must wait until the embargo lifts")
	}
	checkIDs := func(field, table string, ids []string, where string, args ...any) {
		if len(ids) == 0 {
			return
		}
		var n int64
		q := db.WithContext(ctx).Table(table).Where("id IN ?", ids)
		if where != "" {
			q = q.Where(where, args...)
		}
		if err := q.Count(&n).Error; err != nil || int(n) != len(ids) {
			v.Add(field, "contains an unknown list or segment")
		}
	}
	checkIDs("media_list_ids", "media_lists", in.MediaListIDs, "")
	checkIDs("supporter_list_ids", "supporter_lists", in.SupporterListIDs, "")
	checkIDs("media_segment_ids", "segments", in.MediaSegmentIDs, "audience = ?", AudienceMedia)
	checkIDs("supporter_segment_ids", "segments", in.SupporterSegmentIDs, "audience = ?", AudienceSupporters)
	checkIDs("action_participants_of", "documents", in.ActionParticipantsOf, "kind = ? AND update_of IS NULL", KindActionAlert)
	if err := v.Err(); err != nil {
		return nil, err
	}
	s := &Send{ID: NewID(), DocumentID: d.ID, Kind: d.Kind, Revision: d.ApprovedRevision, Subject: in.Subject,
		FromEmail: NormalizeEmail(in.FromEmail), FromName: strings.TrimSpace(in.FromName), ReplyTo: NormalizeEmail(in.ReplyTo),
		Schedule: in.Schedule, ScheduledAt: in.ScheduledAt, Status: SendDraft, CreatedAt: now, UpdatedAt: now}
	if by != nil {
		s.CreatedBy = &by.ID
	}
	var auds []SendAudience
	for _, g := range []struct {
		kind string
		ids  []string
	}{{AudienceMediaList, in.MediaListIDs}, {AudienceSupporterList, in.SupporterListIDs}, {AudienceMediaSegment, in.MediaSegmentIDs}, {AudienceSupporterSegment, in.SupporterSegmentIDs},
		{AudienceActionParticipants, in.ActionParticipantsOf}} {
		for _, id := range g.ids {
			auds = append(auds, SendAudience{SendID: s.ID, Audience: g.kind, RefID: id})
		}
	}
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Create(s).Error; err != nil {
			return err
		}
		if err := tx.Create(&auds).Error; err != nil {
			return err
		}
		return Audit(ctx, tx, AuditEvent{At: now, ActorID: s.CreatedBy, Action: "send_created", SubjectType: "document", SubjectID: d.ID,
			Revision: d.ApprovedRevision, Details: "send " + s.ID})
	})
	if err != nil {
		return nil, fmt.Errorf("models: create send: %w", translate(err))
	}
	return s, nil
}

func compactIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// SendByID loads one send.
func SendByID(ctx context.Context, db *gorm.DB, id string) (*Send, error) {
	var s Send
	if err := db.WithContext(ctx).First(&s, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: send by id: %w", translate(err))
	}
	return &s, nil
}

// SendAudiences lists the lists and segments of a send.
func SendAudiences(ctx context.Context, db *gorm.DB, sendID string) ([]SendAudience, error) {
	var as []SendAudience
	if err := db.WithContext(ctx).Where("send_id = ?", sendID).Order("audience, ref_id").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("models: send audiences: %w", err)
	}
	return as, nil
}

// NamedSendAudience is a send's audience with the list's or segment's name, for
// people to read.
type NamedSendAudience struct {
	SendAudience
	Name string
}

// Label reads like "media list Foreign desks".
func (a NamedSendAudience) Label() string {
	kind := strings.ReplaceAll(a.Audience, "_", " ")
	if a.Name == "" {
		return kind + " (deleted)"
	}
	return kind + " " + a.Name
}

// NamedSendAudiences lists a send's audiences with their names, in one query.
func NamedSendAudiences(ctx context.Context, db *gorm.DB, sendID string) ([]NamedSendAudience, error) {
	var as []NamedSendAudience
	err := db.WithContext(ctx).Table("send_audiences a").
		Select("a.send_id, a.audience, a.ref_id, COALESCE(ml.name, sl.name, sg.name, '') AS name").
		Joins("LEFT JOIN media_lists ml ON a.audience = ? AND ml.id = a.ref_id", AudienceMediaList).
		Joins("LEFT JOIN supporter_lists sl ON a.audience = ? AND sl.id = a.ref_id", AudienceSupporterList).
		Joins("LEFT JOIN segments sg ON a.audience LIKE '%segment' AND sg.id = a.ref_id").
		Where("a.send_id = ?", sendID).Order("a.audience, name").Scan(&as).Error
	if err != nil {
		return nil, fmt.Errorf("models: send audiences: %w", err)
	}
	return as, nil
}

// SendSummary is a send with its document's headline, for lists.
type SendSummary struct {
	Send
	Headline string
}

// Sends lists sends newest first, optionally of one document.
func Sends(ctx context.Context, db *gorm.DB, documentID string, limit int) ([]SendSummary, error) {
	return SendsAfter(ctx, db, documentID, limit, "")
}

// SendsAfter is Sends from after the send with id afterID (the last one of the
// previous page; "" for the first page), for keyset pagination.
func SendsAfter(ctx context.Context, db *gorm.DB, documentID string, limit int, afterID string) ([]SendSummary, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := db.WithContext(ctx).Table("sends").Select("sends.*, revisions.headline").
		Joins("JOIN revisions ON revisions.document_id = sends.document_id AND revisions.number = sends.revision").
		Order("sends.created_at DESC, sends.id").Limit(limit)
	if documentID != "" {
		q = q.Where("sends.document_id = ?", documentID)
	}
	if afterID != "" {
		last := "(SELECT l.created_at FROM sends l WHERE l.id = ?)"
		q = q.Where("sends.created_at < "+last+" OR (sends.created_at = "+last+" AND sends.id > ?)", afterID, afterID, afterID)
	}
	var out []SendSummary
	if err := q.Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("models: sends: %w", err)
	}
	return out, nil
}

// EnqueueFunc inserts jobs inside the caller's transaction; models cannot import
// jobs, so the jobs package passes one in. Returns the job id of the first job
// (or 0).
type EnqueueFunc func(tx *gorm.DB, s *Send, batchNos []int) error

// DispatchSend moves a draft send to queued and, in the same transaction, enqueues
// its dispatch job (run at the scheduled time, if any). Dispatching twice is a
// conflict, never a second send.
func DispatchSend(ctx context.Context, db *gorm.DB, by *User, id string, now time.Time, enqueue func(tx *gorm.DB, s *Send) error) (*Send, error) {
	var s *Send
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var err error
		if s, err = SendByID(ctx, tx, id); err != nil {
			return err
		}
		if by != nil && !CanSend(by, s.Kind) {
			return ErrWrongKind
		}
		if s.Status != SendDraft {
			return &TransitionError{Action: "dispatch", From: Status(s.Status)}
		}
		if err := checkSendable(ctx, tx, s, now); err != nil {
			return err
		}
		res := tx.Model(&Send{}).Where("id = ? AND status = ?", id, SendDraft).Updates(map[string]any{"status": SendQueued, "dispatched_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return &TransitionError{Action: "dispatch", From: Status(s.Status)}
		}
		s.Status, s.DispatchedAt = SendQueued, &now
		if err := enqueue(tx, s); err != nil {
			return err
		}
		ev := AuditEvent{At: now, Action: "send_dispatched", SubjectType: "document", SubjectID: s.DocumentID, Revision: s.Revision, Details: "send " + s.ID}
		if by != nil {
			ev.ActorID = &by.ID
		}
		return Audit(ctx, tx, ev)
	})
	if err != nil {
		return nil, fmt.Errorf("models: dispatch send: %w", err)
	}
	return s, nil
}

// CompleteSendIfDone marks a sending send "sent" once no batch is pending or
// submitting ("failed" when no batch was accepted at all). Every batch job calls
// it when it finishes, so the last one completes the send. A send held while
// its last batch was in flight has nothing left to hold: it completes too.
func CompleteSendIfDone(ctx context.Context, db *gorm.DB, sendID string, now time.Time) error {
	err := db.WithContext(ctx).Exec(`UPDATE sends SET
  status = CASE WHEN EXISTS (SELECT 1 FROM send_batches b WHERE b.send_id = sends.id AND b.status = 'submitted') THEN 'sent' ELSE 'failed' END,
  held_reason = '', completed_at = ?, updated_at = ?
WHERE id = ? AND (status = 'sending' OR (status = 'paused' AND held_reason <> '' AND materialised_at IS NOT NULL))
  AND NOT EXISTS (SELECT 1 FROM send_batches b WHERE b.send_id = sends.id AND b.status IN ('pending', 'submitting'))`, now, now, sendID).Error
	if err != nil {
		return fmt.Errorf("models: complete send: %w", err)
	}
	return nil
}

// CancelSend stops a send: batches not yet submitted are cancelled (a batch in
// flight finishes). Sent and cancelled sends are a conflict.
func CancelSend(ctx context.Context, db *gorm.DB, by *User, id string, now time.Time) (*Send, error) {
	return changeSendStatus(ctx, db, by, id, now, "cancel", []SendStatus{SendDraft, SendQueued, SendSending, SendPaused}, SendCancelled)
}

// PauseSend holds a send: batch jobs wait until it is resumed.
func PauseSend(ctx context.Context, db *gorm.DB, by *User, id string, now time.Time) (*Send, error) {
	return changeSendStatus(ctx, db, by, id, now, "pause", []SendStatus{SendQueued, SendSending}, SendPaused)
}

// ResumeSend lets a paused send continue.
func ResumeSend(ctx context.Context, db *gorm.DB, by *User, id string, now time.Time) (*Send, error) {
	return changeSendStatus(ctx, db, by, id, now, "resume", []SendStatus{SendPaused}, "")
}

func changeSendStatus(ctx context.Context, db *gorm.DB, by *User, id string, now time.Time, action string, from []SendStatus, to SendStatus) (*Send, error) {
	var s *Send
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var err error
		if s, err = lockSend(tx, id); err != nil {
			return err
		}
		if by != nil && !CanSend(by, s.Kind) {
			return ErrWrongKind
		}
		if !slices.Contains(from, s.Status) {
			return &TransitionError{Action: action, From: Status(s.Status)}
		}
		if action == "resume" {
			// A held send resumes only by being re-pointed (RepointSend).
			if err := checkSendable(ctx, tx, s, now); err != nil {
				return err
			}
		}
		if to == "" { // resume: back to where it was
			to = SendSending
			if s.MaterialisedAt == nil {
				to = SendQueued
			}
		}
		updates := map[string]any{"status": to, "updated_at": now}
		if to == SendCancelled {
			updates["held_reason"] = "" // no longer held: cancelled
		}
		if err := tx.Model(&Send{}).Where("id = ?", id).Updates(updates).Error; err != nil {
			return err
		}
		if to == SendCancelled {
			if err := tx.Model(&SendBatch{}).Where("send_id = ? AND status = ?", id, BatchPending).
				Updates(map[string]any{"status": BatchCancelled, "updated_at": now}).Error; err != nil {
				return err
			}
		}
		s.Status = to
		if to == SendCancelled {
			s.HeldReason = ""
		}
		ev := AuditEvent{At: now, Action: "send_" + action, SubjectType: "document", SubjectID: s.DocumentID, Revision: s.Revision, Details: "send " + s.ID}
		if by != nil {
			ev.ActorID = &by.ID
		}
		return Audit(ctx, tx, ev)
	})
	if err != nil {
		return nil, fmt.Errorf("models: %s send: %w", action, err)
	}
	return s, nil
}

// RetryFailedBatches puts failed batches (and their failed recipients) back to
// pending and enqueues a job for each, in one transaction. It returns how many
// batches were re-queued.
func RetryFailedBatches(ctx context.Context, db *gorm.DB, by *User, id string, now time.Time, enqueue EnqueueFunc) (int, error) {
	var n int
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		s, err := lockSend(tx, id)
		if err != nil {
			return err
		}
		if by != nil && !CanSend(by, s.Kind) {
			return ErrWrongKind
		}
		if s.Status != SendSent && s.Status != SendFailed && s.Status != SendSending {
			return &TransitionError{Action: "retry failed batches of", From: Status(s.Status)}
		}
		var nos []int
		if err := tx.Table("send_batches").Where("send_id = ? AND status = ?", id, BatchFailed).Order("batch_no").Pluck("batch_no", &nos).Error; err != nil {
			return err
		}
		if len(nos) == 0 {
			return nil
		}
		if err := tx.Model(&SendRecipient{}).Where("send_id = ? AND batch_no IN ? AND status = ?", id, nos, RecipientFailed).
			Updates(map[string]any{"status": RecipientPending, "error": ""}).Error; err != nil {
			return err
		}
		if err := tx.Model(&SendBatch{}).Where("send_id = ? AND batch_no IN ?", id, nos).
			Updates(map[string]any{"status": BatchPending, "failed": 0, "attempts": 0, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := tx.Model(&Send{}).Where("id = ?", id).Updates(map[string]any{"status": SendSending, "completed_at": nil, "updated_at": now}).Error; err != nil {
			return err
		}
		s.Status = SendSending
		n = len(nos)
		if err := enqueue(tx, s, nos); err != nil {
			return err
		}
		ev := AuditEvent{At: now, Action: "send_retry_failed", SubjectType: "document", SubjectID: s.DocumentID, Revision: s.Revision,
			Details: fmt.Sprintf("send %s: %d failed batch(es) re-queued", s.ID, n)}
		if by != nil {
			ev.ActorID = &by.ID
		}
		return Audit(ctx, tx, ev)
	})
	if err != nil {
		return 0, fmt.Errorf("models: retry failed batches: %w", err)
	}
	return n, nil
}

// CreateSendPreviewLinks makes one embargo preview link per journalist of a batch
// (all in one statement, with one audit event) and returns each recipient's token
// by recipient id. Tokens are only ever stored hashed, so a batch retried after a
// crash makes fresh links; the unsent ones simply expire.
func CreateSendPreviewLinks(ctx context.Context, db *gorm.DB, docID, sendID string, recips []BatchRecipient, expires, now time.Time) (map[int64]string, error) {
	tokens := make(map[int64]string, len(recips))
	links := make([]PreviewLink, 0, len(recips))
	for _, r := range recips {
		if r.Kind != RecipientJournalist {
			continue
		}
		token := NewSecret(24)
		tokens[r.ID] = token
		links = append(links, PreviewLink{ID: NewID(), DocumentID: docID, ContactID: r.ContactID, Email: r.Email, TokenHash: HashSecret(token),
			ExpiresAt: expires.UTC(), CreatedAt: now})
	}
	if len(links) == 0 {
		return tokens, nil
	}
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Omit("Views").CreateInBatches(&links, 500).Error; err != nil {
			return err
		}
		return Audit(ctx, tx, AuditEvent{At: now, Action: "preview_link_created", SubjectType: "document", SubjectID: docID,
			Details: fmt.Sprintf("%d links for send %s", len(links), sendID)})
	})
	if err != nil {
		return nil, fmt.Errorf("models: send preview links: %w", err)
	}
	return tokens, nil
}
