package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// A send pins one approved revision of its document, but the document lives on:
// it can be edited (back to review), re-embargoed, corrected or withdrawn after
// the send was scheduled or while it is going out. SendableNow is the one rule
// that decides whether a send may go out at a given moment; materialisation
// (MaterialiseSend), every batch (HoldIfUnsendable), dispatch, resume and every
// change of the document (HoldSendsOfDocument) ask it.

// SendCheck is SendableNow's verdict on a send at one moment.
type SendCheck struct {
	// Hold is why the send must stop until staff re-point it to the document's
	// approved revision (RepointSend) or cancel it; "" when nothing holds it.
	Hold string
	// Until, when set, is the earliest the send may go: its scheduled time, or
	// for supporter mail the embargo lift. Nothing is held; it only waits.
	Until time.Time
}

// Ready reports whether the send may go out now.
func (c SendCheck) Ready() bool { return c.Hold == "" && c.Until.IsZero() }

// SendableStatus reports whether a document in a status has approved text that
// may go out: approved, scheduled or published.
func SendableStatus(st Status) bool {
	return st == StatusApproved || st == StatusScheduled || st == StatusPublished
}

// supporterPublishWait is how long supporter mail waits for a release whose
// embargo has passed but which the publish job (every second) has not yet
// published: supporters never get a text that is not on the newsroom.
const supporterPublishWait = time.Second

// SendableNow applies the sending rule to a send and its document's current
// state (DocumentStateByID: one row):
//
//   - the document must be approved, scheduled or published, and the send's
//     pinned revision must still be its approved revision; otherwise the send is
//     held, with the reason, whatever else is true;
//   - nothing goes before the send's scheduled time;
//   - mail to supporters (toSupporters) never goes before the document's
//     current embargo lifts and the release is published.
//
// The embargo is the document's current one, never a copy taken when the send
// was made: an embargo moved later holds supporter mail until the new lift, an
// embargo moved earlier lets it go at the new lift.
func SendableNow(s *Send, d DocumentState, toSupporters bool, now time.Time) SendCheck {
	switch {
	case d.Status == StatusWithdrawn:
		return SendCheck{Hold: "release was withdrawn after this send was scheduled"}
	case !SendableStatus(d.Status):
		return SendCheck{Hold: fmt.Sprintf("release changed after this send was scheduled: it is %s now, so revision %d, which this send carries, is no longer the approved text",
			statusPhrase(d.Status), s.Revision)}
	case d.ApprovedRevision != s.Revision:
		return SendCheck{Hold: fmt.Sprintf("release changed after this send was scheduled: revision %d is approved now, this send carries revision %d",
			d.ApprovedRevision, s.Revision)}
	}
	var c SendCheck
	if s.ScheduledAt != nil && s.ScheduledAt.After(now) {
		c.Until = s.ScheduledAt.UTC()
	}
	if toSupporters {
		if d.EmbargoAt != nil && d.EmbargoAt.After(now) {
			if d.EmbargoAt.After(c.Until) {
				c.Until = d.EmbargoAt.UTC()
			}
		} else if d.Status != StatusPublished && c.Until.IsZero() {
			c.Until = now.Add(supporterPublishWait)
		}
	}
	return c
}

// statusPhrase names a document's status in a sentence: "it is in review now".
func statusPhrase(st Status) string {
	switch st {
	case StatusChangesRequested:
		return "back with its author for changes"
	case StatusDraft:
		return "a draft"
	}
	return strings.ToLower(st.Label())
}

// NotDueError is what MaterialiseSend answers for a send that may not go yet:
// the dispatch job waits until Until and tries again.
type NotDueError struct {
	Until time.Time
}

func (e *NotDueError) Error() string {
	return "send is not due until " + e.Until.UTC().Format(time.RFC3339)
}

// HeldError refuses an action on a send that is held because its document
// changed; Reason says how, and what staff can do.
type HeldError struct {
	Reason string
}

func (e *HeldError) Error() string {
	return "this send is held: " + e.Reason + ". Re-point it to the approved revision, or cancel it"
}

// Unwrap makes a HeldError a conflict (409).
func (e *HeldError) Unwrap() error { return ErrConflict }

// RepointError refuses to re-point a send, saying why in words for staff.
type RepointError struct {
	Reason string
}

func (e *RepointError) Error() string { return "cannot re-point this send: " + e.Reason }

// Unwrap makes a RepointError a conflict (409).
func (e *RepointError) Unwrap() error { return ErrConflict }

// hasSupporterAudience reports whether a send goes to any supporter list or
// segment.
func hasSupporterAudience(auds []SendAudience) bool {
	for _, a := range auds {
		if a.Audience == AudienceSupporterList || a.Audience == AudienceSupporterSegment || a.Audience == AudienceActionParticipants {
			return true
		}
	}
	return false
}

// sendToSupporters reports whether a send has a supporter audience.
func sendToSupporters(ctx context.Context, tx *gorm.DB, sendID string) (bool, error) {
	auds, err := SendAudiences(ctx, tx, sendID)
	if err != nil {
		return false, err
	}
	return hasSupporterAudience(auds), nil
}

// holdSend pauses a send with the reason its document no longer allows it to
// go, inside tx. A send already held only has its reason brought up to date
// (the release went from in review to a newer approved revision, say): the
// audit event is for the hold itself. Recipients already submitted stay
// submitted; the rest wait.
func holdSend(ctx context.Context, tx *gorm.DB, s *Send, reason string, now time.Time) error {
	res := tx.Model(&Send{}).Where("id = ? AND status IN ? AND held_reason <> ?", s.ID, []SendStatus{SendQueued, SendSending, SendPaused}, reason).
		Updates(map[string]any{"status": SendPaused, "held_reason": reason, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return nil
	}
	wasHeld := s.HeldReason != ""
	s.Status, s.HeldReason = SendPaused, reason
	if wasHeld {
		return nil
	}
	return Audit(ctx, tx, AuditEvent{At: now, Action: "send_held", SubjectType: "document", SubjectID: s.DocumentID, Revision: s.Revision,
		Details: "send " + s.ID + ": " + reason})
}

// HoldSendsOfDocument holds, inside the transaction that changed a document
// (an edit, an approval, a withdrawal), every send of it still to go out that
// SendableNow no longer allows, so staff see the hold on the send page at once
// rather than when its time comes, and brings held sends' reasons up to date.
// The batch and materialisation checks enforce the rule whether or not this ran.
func HoldSendsOfDocument(ctx context.Context, tx *gorm.DB, docID string, now time.Time) error {
	var ss []Send
	if err := tx.WithContext(ctx).Where("document_id = ? AND status IN ?", docID, []SendStatus{SendQueued, SendSending, SendPaused}).
		Find(&ss).Error; err != nil {
		return fmt.Errorf("models: hold sends: %w", err)
	}
	if len(ss) == 0 {
		return nil
	}
	st, err := DocumentStateByID(ctx, tx, docID)
	if err != nil {
		return err
	}
	for i := range ss {
		if c := SendableNow(&ss[i], st, false, now); c.Hold != "" && c.Hold != ss[i].HeldReason {
			if err := holdSend(ctx, tx, &ss[i], c.Hold, now); err != nil {
				return fmt.Errorf("models: hold sends: %w", err)
			}
		}
	}
	return nil
}

// HoldIfUnsendable checks a claimed batch's send against its document right
// before the request: one row lookup (DocumentStateByID), whose result the
// batch job reuses to render. When the send may not go now the batch's claim
// is given back (it is pending again, its attempt not spent) and, if the
// document left the approved text, the send is held with the reason. The
// caller sends the batch only when the returned check is Ready.
func HoldIfUnsendable(ctx context.Context, db *gorm.DB, s *Send, batchNo int, toSupporters bool, now time.Time) (DocumentState, SendCheck, error) {
	st, err := DocumentStateByID(ctx, db, s.DocumentID)
	if err != nil {
		return st, SendCheck{}, err
	}
	c := SendableNow(s, st, toSupporters, now)
	if c.Ready() {
		return st, c, nil
	}
	err = Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Model(&SendBatch{}).Where("send_id = ? AND batch_no = ? AND status = ?", s.ID, batchNo, BatchSubmitting).
			Updates(map[string]any{"status": BatchPending, "claimed_by": "", "attempts": gorm.Expr("CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"), "updated_at": now}).Error; err != nil {
			return err
		}
		if c.Hold != "" {
			return holdSend(ctx, tx, s, c.Hold, now)
		}
		return nil
	})
	if err != nil {
		return st, c, fmt.Errorf("models: hold send %s: %w", s.ID, err)
	}
	return st, c, nil
}

// checkSendable refuses an action that would let a send go out while
// SendableNow holds it (dispatch, resume).
func checkSendable(ctx context.Context, tx *gorm.DB, s *Send, now time.Time) error {
	if s.HeldReason != "" {
		return &HeldError{Reason: s.HeldReason}
	}
	st, err := DocumentStateByID(ctx, tx, s.DocumentID)
	if err != nil {
		return err
	}
	if c := SendableNow(s, st, false, now); c.Hold != "" {
		return &HeldError{Reason: c.Hold}
	}
	return nil
}

// RepointSend moves a held send (or a draft or waiting one whose document has
// a newer approved revision) to the document's approved revision, and lets it
// go on: a send not yet materialised is queued again with a dispatch job
// (enqueue, in the same transaction) for its time; one that was going out
// carries on with the batches still pending, in the new text. Recipients
// already submitted are not sent again.
//
// A send "at embargo" takes the document's current embargo; any send with
// supporters waits for the current embargo to lift, however it was scheduled.
func RepointSend(ctx context.Context, db *gorm.DB, by *User, id string, now time.Time, enqueue func(tx *gorm.DB, s *Send) error) (*Send, error) {
	var s *Send
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var err error
		if s, err = lockSend(tx, id); err != nil {
			return err
		}
		if by != nil && !CanSend(by, s.Kind) {
			return ErrWrongKind
		}
		switch s.Status {
		case SendDraft, SendQueued, SendSending, SendPaused:
		default:
			return &TransitionError{Action: "re-point", From: Status(s.Status)}
		}
		// Read, not locked: edits lock the document and then its sends, so
		// locking here (send, then document) could deadlock with one. An edit
		// committed meanwhile holds the send again (HoldSendsOfDocument), and
		// every batch checks anyway.
		var d Document
		if err := tx.First(&d, "id = ?", s.DocumentID).Error; err != nil {
			return translate(err)
		}
		if d.ApprovedRevision == 0 || !SendableStatus(d.Status) {
			return &RepointError{Reason: "the release is " + statusPhrase(d.Status) + "; a send can be re-pointed once it is approved again"}
		}
		if d.ApprovedRevision == s.Revision && s.HeldReason == "" {
			return &RepointError{Reason: fmt.Sprintf("it already carries the approved revision %d", s.Revision)}
		}
		toSupporters, err := sendToSupporters(ctx, tx, s.ID)
		if err != nil {
			return err
		}
		from := s.Revision
		scheduled := s.ScheduledAt
		if s.Schedule == ScheduleEmbargo {
			scheduled = nil
			if d.EmbargoAt != nil {
				t := d.EmbargoAt.UTC()
				scheduled = &t
			}
		}
		if toSupporters && d.EmbargoAt != nil && d.EmbargoAt.After(now) && (scheduled == nil || scheduled.Before(*d.EmbargoAt)) {
			t := d.EmbargoAt.UTC()
			scheduled = &t
		}
		status := s.Status
		switch {
		case s.Status == SendDraft:
		case s.MaterialisedAt == nil:
			status = SendQueued
		default:
			status = SendSending
		}
		if err := tx.Model(&Send{}).Where("id = ?", s.ID).Updates(map[string]any{"revision": d.ApprovedRevision, "held_reason": "",
			"status": status, "scheduled_at": scheduled, "updated_at": now}).Error; err != nil {
			return err
		}
		s.Revision, s.HeldReason, s.Status, s.ScheduledAt, s.UpdatedAt = d.ApprovedRevision, "", status, scheduled, now
		switch status {
		case SendQueued:
			if enqueue != nil {
				if err := enqueue(tx, s); err != nil {
					return err
				}
			}
		case SendSending:
			// The pending batches' jobs are waiting on the pause and go on by
			// themselves; with none left, the send is complete.
			if err := CompleteSendIfDone(ctx, tx, s.ID, now); err != nil {
				return err
			}
			if err := tx.Take(s, "id = ?", s.ID).Error; err != nil {
				return err
			}
		}
		ev := AuditEvent{At: now, Action: "send_repointed", SubjectType: "document", SubjectID: s.DocumentID, Revision: s.Revision,
			Details: fmt.Sprintf("send %s: revision %d to %d", s.ID, from, s.Revision)}
		if by != nil {
			ev.ActorID = &by.ID
		}
		return Audit(ctx, tx, ev)
	})
	if err != nil {
		return nil, fmt.Errorf("models: re-point send: %w", err)
	}
	return s, nil
}

// IsNotDue reports whether err says a send is not due yet, and until when.
func IsNotDue(err error) (time.Time, bool) {
	var nd *NotDueError
	if errors.As(err, &nd) {
		return nd.Until, true
	}
	return time.Time{}, false
}
