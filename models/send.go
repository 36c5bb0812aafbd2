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

// MaterialiseSend turns a queued send's audience into recipient rows and batches,
// once, set-based in SQL, and enqueues one job per batch in the same transaction:
// either every recipient row, batch row and batch job exists, or none does.
//
// Recipients are deduplicated across lists and segments by lower-cased address
// (a sendable row wins over a blocked one, a journalist over a supporter).
// Suppressed, do-not-contact, erased and not-subscribed people are kept as
// "suppressed" rows with the reason, so staff see why someone was left out.
// Sendable rows are numbered by address and split into batches of SendBatchSize.
// A send that is not queued (already materialised, cancelled) is left alone.
//
// SendableNow is asked first: a send whose document left the approved text it
// pins is held (paused, with the reason) and nothing is materialised; one that
// may not go yet (its time, or for supporters the embargo lift, is still to
// come) is left queued and a *NotDueError says until when.
func MaterialiseSend(ctx context.Context, db *gorm.DB, id string, now time.Time, enqueue EnqueueFunc) (*Send, error) {
	var s *Send
	var notDue *NotDueError
	wrote := int64(0) // recipients this call materialised
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var err error
		if s, err = lockSend(tx, id); err != nil {
			return err
		}
		if s.Status != SendQueued || s.MaterialisedAt != nil {
			return nil
		}
		auds, err := SendAudiences(ctx, tx, id)
		if err != nil {
			return err
		}
		// The document may have changed since the send was scheduled.
		st, err := DocumentStateByID(ctx, tx, s.DocumentID)
		if err != nil {
			return err
		}
		if c := SendableNow(s, st, hasSupporterAudience(auds), now); c.Hold != "" {
			return holdSend(ctx, tx, s, c.Hold, now)
		} else if !c.Until.IsZero() {
			notDue = &NotDueError{Until: c.Until}
			return nil
		}
		if tx.Dialector.Name() == "postgres" {
			// One big sort (dedupe and numbering): let it stay in memory.
			if err := tx.Exec("SET LOCAL work_mem = '256MB'").Error; err != nil {
				return err
			}
		}
		union, err := audienceUnion(ctx, tx, auds)
		if err != nil {
			return err
		}
		var total, suppressed int64
		if union != nil {
			// One sort by address serves both windows: the first keeps one row per
			// address (sendable before blocked, journalist before supporter), the
			// second numbers the sendable rows in the same order as a running count,
			// so batch n holds sendable rows n*1000+1 … (n+1)*1000. Byte order
			// (COLLATE "C") sorts a million addresses far faster than a locale.
			collate := ""
			if tx.Dialector.Name() == "postgres" {
				collate = ` COLLATE "C"`
			}
			insert := `INSERT INTO send_recipients (send_id, batch_no, kind, contact_id, supporter_id, email, name, status, reason)
SELECT ?, CASE WHEN f.reason = '' THEN (f.sn - 1) / ? END, f.kind, f.contact_id, f.supporter_id, f.email, f.name,
       CASE WHEN f.reason = '' THEN 'pending' ELSE 'suppressed' END, f.reason
FROM (
  SELECT d.*, SUM(CASE WHEN d.reason = '' THEN 1 ELSE 0 END) OVER (ORDER BY d.email ROWS UNBOUNDED PRECEDING) AS sn
  FROM (
    SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.email ORDER BY CASE WHEN r.reason = '' THEN 0 ELSE 1 END, r.prio, r.ref) AS dn
    FROM (
      SELECT u.kind, u.contact_id, u.supporter_id, LOWER(u.email)` + collate + ` AS email, u.name, u.prio, u.ref,
             COALESCE(sp.reason, u.block) AS reason
      FROM (?) u LEFT JOIN suppressions sp ON sp.email_hash = u.email_hash
    ) r
  ) d WHERE d.dn = 1
) f`
			res := tx.Exec(insert, id, SendBatchSize, union)
			if res.Error != nil {
				return fmt.Errorf("insert recipients: %w", res.Error)
			}
			total = res.RowsAffected
			wrote = total
			// Suppressed rows are the ones without a batch: counted on the batch index.
			if err := tx.Raw(`SELECT COUNT(*) FROM send_recipients WHERE send_id = ? AND batch_no IS NULL`, id).Scan(&suppressed).Error; err != nil {
				return err
			}
		}
		// Batches are full but the last, so their rows follow from the count
		// alone: no second pass over the recipients.
		sendable := int(total - suppressed)
		batches := make([]SendBatch, 0, (sendable+SendBatchSize-1)/SendBatchSize)
		batchNos := make([]int, 0, cap(batches))
		for n := 0; n*SendBatchSize < sendable; n++ {
			batches = append(batches, SendBatch{SendID: id, BatchNo: n, Status: BatchPending, Recipients: min(SendBatchSize, sendable-n*SendBatchSize),
				CreatedAt: now, UpdatedAt: now})
			batchNos = append(batchNos, n)
		}
		if len(batches) > 0 {
			if err := tx.CreateInBatches(&batches, 1000).Error; err != nil {
				return fmt.Errorf("insert batches: %w", err)
			}
		}
		status := SendSending
		var completed *time.Time
		if len(batchNos) == 0 {
			status, completed = SendSent, &now
		}
		if err := tx.Model(&Send{}).Where("id = ?", id).Updates(map[string]any{"status": status, "recipients": total,
			"suppressed": suppressed, "batches": len(batchNos), "materialised_at": now, "updated_at": now, "completed_at": completed}).Error; err != nil {
			return err
		}
		s.Status, s.Recipients, s.Suppressed, s.Batches, s.MaterialisedAt = status, int(total), int(suppressed), len(batchNos), &now
		if len(batchNos) > 0 && enqueue != nil {
			return enqueue(tx, s, batchNos)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("models: materialise send: %w", translate(err))
	}
	if notDue != nil {
		return s, fmt.Errorf("models: materialise send: %w", notDue)
	}
	// A large send changes send_recipients more than autovacuum notices in
	// time, and every batch's queries are planned from its statistics: with
	// stale ones PostgreSQL chose a parallel plan at eight times the cost. After
	// the commit, so the lock it takes is not held through the transaction; a
	// failure only leaves the statistics as they were.
	if wrote >= analyseAfter && db.Dialector.Name() == "postgres" {
		_ = db.WithContext(ctx).Exec("ANALYZE send_recipients").Error
	}
	return s, nil
}

// analyseAfter is how many recipients a send must have for its materialisation
// to refresh send_recipients' planner statistics.
const analyseAfter = 10_000

// lockSend loads a send for update (PostgreSQL row lock; SQLite transactions are
// already exclusive).
func lockSend(tx *gorm.DB, id string) (*Send, error) {
	q := tx
	if tx.Dialector.Name() == "postgres" {
		q = tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var s Send
	if err := q.First(&s, "id = ?", id).Error; err != nil {
		return nil, translate(err)
	}
	return &s, nil
}

// audienceUnion builds one subquery over every list and segment of a send, with
// the columns kind, contact_id, supporter_id, email, email_hash, name, prio, ref
// and block (why the person may not be mailed, "" when they may).
func audienceUnion(ctx context.Context, tx *gorm.DB, auds []SendAudience) (*gorm.DB, error) {
	const journalistCols = `'journalist' AS kind, media_contacts.id AS contact_id, CAST(NULL AS text) AS supporter_id, media_contacts.email AS email,
media_contacts.email_hash AS email_hash, media_contacts.name AS name, 0 AS prio, media_contacts.id AS ref,
CASE WHEN media_contacts.do_not_contact THEN 'do_not_contact' WHEN media_contacts.newsroom_status = 'pending' THEN 'unconfirmed' ELSE '' END AS block`
	const supporterCols = `'supporter' AS kind, CAST(NULL AS text) AS contact_id, supporters.id AS supporter_id, supporters.email AS email,
supporters.email_hash AS email_hash, supporters.name AS name, 1 AS prio, supporters.id AS ref,
CASE WHEN supporters.status <> 'subscribed' THEN supporters.status ELSE '' END AS block`
	var mediaLists, supporterLists []string
	var parts []*gorm.DB
	fresh := func() *gorm.DB { return tx.Session(&gorm.Session{NewDB: true}).WithContext(ctx) }
	for _, a := range auds {
		switch a.Audience {
		case AudienceMediaList:
			mediaLists = append(mediaLists, a.RefID)
		case AudienceSupporterList:
			supporterLists = append(supporterLists, a.RefID)
		case AudienceMediaSegment:
			seg, err := SegmentByID(ctx, tx, AudienceMedia, a.RefID)
			if err != nil {
				return nil, err
			}
			parts = append(parts, seg.MediaFilter().Apply(fresh().Table("media_contacts").Select(journalistCols)))
		case AudienceActionParticipants:
			parts = append(parts, actionParticipants(fresh, a.RefID, journalistCols, supporterCols)...)
		case AudienceSupporterSegment:
			seg, err := SegmentByID(ctx, tx, AudienceSupporters, a.RefID)
			if err != nil {
				return nil, err
			}
			parts = append(parts, seg.SupporterFilter().Apply(fresh().Table("supporters").Select(supporterCols)).Where("supporters.email IS NOT NULL"))
		}
	}
	if len(mediaLists) > 0 {
		parts = append(parts, fresh().Table("media_contacts").Select(journalistCols).
			Where("media_contacts.id IN (SELECT contact_id FROM media_list_members WHERE list_id IN ?)", mediaLists))
	}
	if len(supporterLists) > 0 {
		parts = append(parts, fresh().Table("supporters").Select(supporterCols).
			Where("supporters.erased_at IS NULL AND supporters.email IS NOT NULL").
			Where("supporters.id IN (SELECT supporter_id FROM supporter_list_members WHERE list_id IN ?)", supporterLists))
	}
	if len(parts) == 0 {
		return nil, nil
	}
	sql := strings.TrimSuffix(strings.Repeat("? UNION ALL ", len(parts)), " UNION ALL ")
	args := make([]any, len(parts))
	for i, p := range parts {
		args[i] = p
	}
	return fresh().Raw(sql, args...), nil
}

// BatchClaim is what a batch job may do with its batch.
type BatchClaim int

// Claim outcomes.
const (
	// ClaimSend: the batch is now "submitting"; send it.
	ClaimSend BatchClaim = iota
	// ClaimDone: the batch was already submitted, failed or cancelled; do nothing.
	ClaimDone
	// ClaimPaused: the send is paused; try again later.
	ClaimPaused
	// ClaimCancelled: the send was cancelled; the batch is now cancelled.
	ClaimCancelled
	// ClaimBusy: the batch is "submitting" for another worker that is still
	// alive, and may be sending it right now; try again later.
	ClaimBusy
)

// ClaimBatch marks a batch "submitting" before its request goes out, in its own
// short transaction, and returns the send with it (so the batch job needs no
// second read). A batch found "submitting" here was interrupted before its
// checkpoint: it is claimed again and re-sent, so nobody is skipped. On
// PostgreSQL, where several worker processes share the batches, that needs
// proof the claim is stale: the batch is worker's own (its earlier attempt is
// over, since this one runs), or its claimant's liveness lock is free (the
// claimant is dead); otherwise the claimant may be sending it right now and the
// answer is ClaimBusy. A batch found "submitted" whose recipient rows were not
// yet recorded (a crash right after the checkpoint) gets them recorded now.
// worker is the claiming River client's id ("" claims like a worker of its own).
func ClaimBatch(ctx context.Context, db *gorm.DB, sendID string, batchNo int, worker string, now time.Time) (BatchClaim, int, *Send, error) {
	claim, attempts := ClaimDone, 0
	var s Send
	// The common case, a sending send and a pending batch, takes one read and one
	// guarded UPDATE; anything else is sorted out in a transaction below.
	if err := db.WithContext(ctx).Take(&s, "id = ?", sendID).Error; err != nil {
		return ClaimDone, 0, nil, fmt.Errorf("models: claim batch %s/%d: %w", sendID, batchNo, translate(err))
	}
	if s.Status == SendSending {
		var claimed []int
		// SQLite runs one worker process: any "submitting" batch is its own.
		anyOwner := db.Dialector.Name() != "postgres"
		err := db.WithContext(ctx).Raw(`UPDATE send_batches SET status = ?, attempts = attempts + 1, claimed_by = ?, updated_at = ?
WHERE send_id = ? AND batch_no = ? AND (status = ? OR (status = ? AND (claimed_by = ? OR ?))) RETURNING attempts`,
			BatchSubmitting, worker, now, sendID, batchNo, BatchPending, BatchSubmitting, worker, anyOwner).Scan(&claimed).Error
		if err != nil {
			return ClaimDone, 0, nil, fmt.Errorf("models: claim batch %s/%d: %w", sendID, batchNo, err)
		}
		if len(claimed) == 1 {
			return ClaimSend, claimed[0], &s, nil
		}
	}
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Take(&s, "id = ?", sendID).Error; err != nil {
			return translate(err)
		}
		var b SendBatch
		if err := tx.Take(&b, "send_id = ? AND batch_no = ?", sendID, batchNo).Error; err != nil {
			return translate(err)
		}
		if b.Status == BatchSubmitted {
			claim = ClaimDone
			return recordSubmitted(tx, sendID, batchNo, b.MessageID, b.SubmittedAt)
		}
		if b.Status != BatchPending && b.Status != BatchSubmitting {
			claim = ClaimDone
			return nil
		}
		switch s.Status {
		case SendCancelled:
			claim = ClaimCancelled
			return tx.Model(&SendBatch{}).Where("send_id = ? AND batch_no = ?", sendID, batchNo).
				Updates(map[string]any{"status": BatchCancelled, "updated_at": now}).Error
		case SendPaused:
			claim = ClaimPaused
			return nil
		}
		if b.Status == BatchSubmitting && b.ClaimedBy != "" && b.ClaimedBy != worker && tx.Dialector.Name() == "postgres" {
			gone, err := workerGone(tx, b.ClaimedBy)
			if err != nil {
				return err
			}
			if !gone {
				claim = ClaimBusy
				return nil
			}
		}
		// Guarded by the state read above: a claim by someone else meanwhile wins.
		res := tx.Model(&SendBatch{}).Where("send_id = ? AND batch_no = ? AND status = ? AND claimed_by = ?", sendID, batchNo, b.Status, b.ClaimedBy).
			Updates(map[string]any{"status": BatchSubmitting, "attempts": gorm.Expr("attempts + 1"), "claimed_by": worker, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			claim = ClaimBusy
			return nil
		}
		claim, attempts = ClaimSend, b.Attempts+1
		return nil
	})
	if err != nil {
		return ClaimDone, 0, nil, fmt.Errorf("models: claim batch %s/%d: %w", sendID, batchNo, err)
	}
	return claim, attempts, &s, nil
}

// BatchRecipient is a pending recipient of a batch as it stands right before the
// request: Block is why they may no longer be mailed ("" when they may), checked
// against the suppression list, supporter status and do-not-contact flag now, so
// an unsubscribe takes effect before the next batch.
type BatchRecipient struct {
	ID          int64
	Kind        string
	ContactID   *string
	SupporterID *string
	Email       string
	Name        string
	Block       string
}

// BatchRecipients lists the still-pending recipients of a batch, re-checked.
func BatchRecipients(ctx context.Context, db *gorm.DB, sendID string, batchNo int) ([]BatchRecipient, error) {
	rows, err := db.WithContext(ctx).Raw(`SELECT r.id, r.kind, r.contact_id, r.supporter_id, r.email, r.name,
  COALESCE(sp.reason, CASE
    WHEN r.kind = 'journalist' AND c.id IS NULL THEN 'deleted'
    WHEN r.kind = 'journalist' AND c.do_not_contact THEN 'do_not_contact'
    WHEN r.kind = 'journalist' AND c.newsroom_status = 'pending' THEN 'unconfirmed'
    WHEN r.kind = 'supporter' AND (s.id IS NULL OR s.erased_at IS NOT NULL) THEN 'erased'
    WHEN r.kind = 'supporter' AND s.status <> 'subscribed' THEN s.status
    ELSE '' END) AS block
FROM send_recipients r
LEFT JOIN media_contacts c ON c.id = r.contact_id
LEFT JOIN supporters s ON s.id = r.supporter_id
LEFT JOIN suppressions sp ON sp.email_hash = COALESCE(c.email_hash, s.email_hash)
WHERE r.send_id = ? AND r.batch_no = ? AND r.status = 'pending'
ORDER BY r.id`, sendID, batchNo).Rows()
	if err != nil {
		return nil, fmt.Errorf("models: batch recipients: %w", err)
	}
	defer rows.Close()
	// Scanned by hand: a thousand rows per batch through GORM's reflection cost
	// more than the query.
	out := make([]BatchRecipient, 0, SendBatchSize)
	for rows.Next() {
		var r BatchRecipient
		if err := rows.Scan(&r.ID, &r.Kind, &r.ContactID, &r.SupporterID, &r.Email, &r.Name, &r.Block); err != nil {
			return nil, fmt.Errorf("models: batch recipients: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("models: batch recipients: %w", err)
	}
	return out, nil
}

// markBlocked records recipients found blocked at submission time.
func markBlocked(tx *gorm.DB, blocked map[int64]string) error {
	byReason := map[string][]int64{}
	for id, reason := range blocked {
		byReason[reason] = append(byReason[reason], id)
	}
	for reason, ids := range byReason {
		if err := tx.Model(&SendRecipient{}).Where("id IN ? AND status = ?", ids, RecipientPending).
			Updates(map[string]any{"status": RecipientSuppressed, "reason": reason}).Error; err != nil {
			return err
		}
	}
	return nil
}

// MarkRecipientsBlocked records, before a batch's request, the recipients found
// blocked since materialisation: they are left out of the request whatever the
// provider answers, so they need not wait for the checkpoint.
func MarkRecipientsBlocked(ctx context.Context, db *gorm.DB, sendID string, batchNo int, blocked map[int64]string, now time.Time) error {
	if len(blocked) == 0 {
		return nil
	}
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := markBlocked(tx, blocked); err != nil {
			return err
		}
		return tx.Model(&SendBatch{}).Where("send_id = ? AND batch_no = ?", sendID, batchNo).
			Updates(map[string]any{"suppressed": gorm.Expr("suppressed + ?", len(blocked)), "updated_at": now}).Error
	})
	if err != nil {
		return fmt.Errorf("models: mark recipients blocked: %w", err)
	}
	return nil
}

// CheckpointBatch records that the provider accepted a batch's (last) request:
// the batch becomes "submitted" with the provider's message id. This is the
// checkpoint, and it is one row: between the provider's answer and this commit a
// crash duplicates the batch, so the window is kept as short as it can be. The
// recipient rows follow with RecordBatchRecipients (or, after a crash, when the
// batch is claimed again).
//
// It may be repeated (a commit whose answer was lost with its connection): the
// same checkpoint again changes nothing.
func CheckpointBatch(ctx context.Context, db *gorm.DB, sendID string, batchNo int, messageID string, sent int, now time.Time) error {
	err := db.WithContext(ctx).Model(&SendBatch{}).Where("send_id = ? AND batch_no = ?", sendID, batchNo).
		Where("NOT (status = ? AND message_id = ?)", BatchSubmitted, messageID).Updates(map[string]any{
		"status": BatchSubmitted, "submitted": gorm.Expr("submitted + ?", sent), "message_id": messageID, "error": "",
		"submitted_at": now, "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("models: checkpoint batch: %w", err)
	}
	return nil
}

// RecordBatchRecipients marks the still-pending recipients of a submitted batch
// "submitted" with the provider's message id: one UPDATE on the batch index.
func RecordBatchRecipients(ctx context.Context, db *gorm.DB, sendID string, batchNo int, messageID string, at time.Time) error {
	if err := recordSubmitted(db.WithContext(ctx), sendID, batchNo, messageID, &at); err != nil {
		return fmt.Errorf("models: record batch recipients: %w", err)
	}
	return nil
}

func recordSubmitted(tx *gorm.DB, sendID string, batchNo int, messageID string, at *time.Time) error {
	return tx.Model(&SendRecipient{}).Where("send_id = ? AND batch_no = ? AND status = ?", sendID, batchNo, RecipientPending).
		Updates(map[string]any{"status": RecipientSubmitted, "message_id": messageID, "submitted_at": at}).Error
}

// MarkRecipientsSubmitted records part of a batch as accepted (a batch holding
// journalists and supporters goes out as two requests), so a retry of the rest
// never repeats the part already accepted.
func MarkRecipientsSubmitted(ctx context.Context, db *gorm.DB, sendID string, batchNo int, ids []int64, messageID string, now time.Time) error {
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		res := tx.Model(&SendRecipient{}).Where("id IN ? AND status = ?", ids, RecipientPending).
			Updates(map[string]any{"status": RecipientSubmitted, "message_id": messageID, "submitted_at": now})
		if res.Error != nil {
			return res.Error
		}
		return tx.Model(&SendBatch{}).Where("send_id = ? AND batch_no = ?", sendID, batchNo).
			Updates(map[string]any{"submitted": gorm.Expr("submitted + ?", res.RowsAffected), "updated_at": now}).Error
	})
	if err != nil {
		return fmt.Errorf("models: mark recipients submitted: %w", err)
	}
	return nil
}

// MarkBatchFailed records a permanent refusal: the batch and its pending
// recipients become "failed" with the provider's message, shown to staff.
func MarkBatchFailed(ctx context.Context, db *gorm.DB, sendID string, batchNo int, message string, blocked map[int64]string, now time.Time) error {
	message = truncate(message, 1000)
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := markBlocked(tx, blocked); err != nil {
			return err
		}
		res := tx.Model(&SendRecipient{}).Where("send_id = ? AND batch_no = ? AND status = ?", sendID, batchNo, RecipientPending).
			Updates(map[string]any{"status": RecipientFailed, "error": message})
		if res.Error != nil {
			return res.Error
		}
		return tx.Model(&SendBatch{}).Where("send_id = ? AND batch_no = ?", sendID, batchNo).Updates(map[string]any{
			"status": BatchFailed, "failed": res.RowsAffected, "suppressed": gorm.Expr("suppressed + ?", len(blocked)), "error": message, "updated_at": now}).Error
	})
	if err != nil {
		return fmt.Errorf("models: mark batch failed: %w", err)
	}
	return nil
}

// MarkBatchRetrying puts a batch back to pending with the last transient error
// (429, 5xx, timeout), which the progress page shows while it waits.
func MarkBatchRetrying(ctx context.Context, db *gorm.DB, sendID string, batchNo int, message string, now time.Time) error {
	err := db.WithContext(ctx).Model(&SendBatch{}).Where("send_id = ? AND batch_no = ? AND status IN ?", sendID, batchNo, []string{BatchPending, BatchSubmitting}).
		Updates(map[string]any{"status": BatchPending, "error": truncate(message, 1000), "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("models: mark batch retrying: %w", err)
	}
	return nil
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

// SendProgress is a send's live counts, summed from its batch rows (at most a
// thousand for a million recipients, so cheap to poll every second).
type SendProgress struct {
	Recipients int // materialised rows, sendable and suppressed
	Sendable   int
	Queued     int // in pending or submitting batches
	Submitted  int
	Failed     int
	Suppressed int // at materialisation and at submission
	Batches    int
	BatchesOut int // pending or submitting
	Percent    int
}

// ProgressOf sums a send's batches.
func ProgressOf(ctx context.Context, db *gorm.DB, s *Send) (*SendProgress, error) {
	var row struct {
		Recipients, Submitted, Failed, Suppressed, Queued, Out, Batches int
	}
	err := db.WithContext(ctx).Raw(`SELECT COALESCE(SUM(recipients), 0) AS recipients, COALESCE(SUM(submitted), 0) AS submitted,
  COALESCE(SUM(failed), 0) AS failed, COALESCE(SUM(suppressed), 0) AS suppressed,
  COALESCE(SUM(CASE WHEN status IN ('pending', 'submitting') THEN recipients - suppressed ELSE 0 END), 0) AS queued,
  COALESCE(SUM(CASE WHEN status IN ('pending', 'submitting') THEN 1 ELSE 0 END), 0) AS out,
  COUNT(*) AS batches
FROM send_batches WHERE send_id = ?`, s.ID).Scan(&row).Error
	if err != nil {
		return nil, fmt.Errorf("models: send progress: %w", err)
	}
	p := &SendProgress{Recipients: s.Recipients, Sendable: row.Recipients, Queued: row.Queued, Submitted: row.Submitted, Failed: row.Failed,
		Suppressed: s.Suppressed + row.Suppressed, Batches: row.Batches, BatchesOut: row.Out}
	if p.Sendable > 0 {
		p.Percent = 100 * (p.Sendable - p.Queued) / p.Sendable
	} else if s.MaterialisedAt != nil {
		p.Percent = 100
	}
	return p, nil
}

// SendFailures lists the failed batches of a send with the provider's message.
func SendFailures(ctx context.Context, db *gorm.DB, sendID string) ([]SendBatch, error) {
	var bs []SendBatch
	if err := db.WithContext(ctx).Where("send_id = ? AND (status = ? OR error <> '')", sendID, BatchFailed).Order("batch_no").Limit(200).Find(&bs).Error; err != nil {
		return nil, fmt.Errorf("models: send failures: %w", err)
	}
	return bs, nil
}

// SuppressedRecipients lists recipients left out of a send, with the reason.
func SuppressedRecipients(ctx context.Context, db *gorm.DB, sendID string, limit int) ([]SendRecipient, error) {
	var rs []SendRecipient
	if err := db.WithContext(ctx).Where("send_id = ? AND status = ?", sendID, RecipientSuppressed).Order("email").Limit(limit).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("models: suppressed recipients: %w", err)
	}
	return rs, nil
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
