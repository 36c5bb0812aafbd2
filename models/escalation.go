package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Escalation is a rapid-response step whose SLA lapsed: its group's backup
// approvers are called in.
type Escalation struct {
	Document *Document
	Step     WorkflowStep
	Group    Group
	Backups  []User
	Due      time.Time
}

// escalationRow is the record that makes each escalation happen once.
type escalationRow struct {
	DocumentID  string
	StepID      string
	SubmittedAt time.Time
	CreatedAt   time.Time
}

func (escalationRow) TableName() string { return "escalations" }

// EscalateOverdue finds open rapid-response steps past their SLA at now and, for
// each one not escalated before in this round of review, records the escalation,
// marks the document escalated and calls notify — all in one transaction, so the
// backups are told exactly once even if this runs concurrently or repeatedly.
func EscalateOverdue(ctx context.Context, db *gorm.DB, now time.Time, notify func(tx *gorm.DB, e Escalation) error) (int, error) {
	var docs []Document
	if err := db.WithContext(ctx).Where("status = ? AND rapid = ?", StatusInReview, true).Find(&docs).Error; err != nil {
		return 0, fmt.Errorf("models: overdue documents: %w", err)
	}
	count := 0
	for i := range docs {
		d := &docs[i]
		r, err := ReviewOf(ctx, db, d)
		if err != nil {
			return count, err
		}
		for _, s := range r.Steps {
			if !s.Open || s.Due.IsZero() || s.Due.After(now) || d.SubmittedAt == nil {
				continue
			}
			err := Transaction(ctx, db, func(tx *gorm.DB) (err error) {
				res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&escalationRow{DocumentID: d.ID, StepID: s.Step.ID, SubmittedAt: *d.SubmittedAt, CreatedAt: now})
				if res.Error != nil {
					return res.Error
				}
				if res.RowsAffected == 0 {
					return nil // escalated already
				}
				var g Group
				if err := tx.First(&g, "id = ?", s.Step.GroupID).Error; err != nil {
					return err
				}
				var backups []User
				if err := tx.Joins("JOIN group_members ON group_members.user_id = users.id").
					Where("group_members.group_id = ? AND group_members.backup = ? AND users.disabled_at IS NULL", g.ID, true).
					Find(&backups).Error; err != nil {
					return err
				}
				if err := tx.Model(&Document{}).Where("id = ?", d.ID).Update("escalated_at", now).Error; err != nil {
					return err
				}
				if err := Audit(ctx, tx, AuditEvent{At: now, Action: "escalated", SubjectType: "document", SubjectID: d.ID, Revision: d.CurrentRevision,
					Details: fmt.Sprintf("step %d (%s) past its %d-minute SLA; %d backup approver(s) notified", s.Step.Position, g.Name, s.Step.SLAMinutes, len(backups))}); err != nil {
					return err
				}
				count++
				if notify == nil {
					return nil
				}
				// Load what the email needs here, on tx: on SQLite the one
				// connection is this transaction's until it commits.
				if d.Revision == nil {
					if d.Revision, err = revisionOf(tx, d.ID, d.CurrentRevision); err != nil {
						return err
					}
				}
				return notify(tx, Escalation{Document: d, Step: s.Step, Group: g, Backups: backups, Due: s.Due})
			})
			if err != nil {
				return count, fmt.Errorf("models: escalate: %w", err)
			}
		}
	}
	return count, nil
}
