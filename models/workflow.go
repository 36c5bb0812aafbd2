package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Workflow is an ordered list of approval steps a document passes through.
type Workflow struct {
	ID        string `gorm:"primaryKey"`
	Name      string
	IsDefault bool
	CreatedAt time.Time
	Steps     []WorkflowStep `gorm:"foreignKey:WorkflowID"`
}

// WorkflowStep needs ApprovalsNeeded approvals from members of a group. In
// rapid-response mode its SLA (minutes) bounds how long it may wait before the
// group's backup approvers are called in.
type WorkflowStep struct {
	ID              string `gorm:"primaryKey"`
	WorkflowID      string
	Position        int
	GroupID         string
	ApprovalsNeeded int
	SLAMinutes      int    `gorm:"column:sla_minutes"`
	Group           *Group `gorm:"foreignKey:GroupID"`
}

// StepInput describes one step when creating or editing a workflow.
type StepInput struct {
	Group           string // group name
	ApprovalsNeeded int
	SLAMinutes      int
}

// WorkflowInput creates or replaces a workflow.
type WorkflowInput struct {
	Name      string
	IsDefault bool
	Steps     []StepInput
}

// SaveWorkflow creates a workflow, or replaces the steps of the one with the same
// name. Documents in review keep working: their approvals refer to steps by id, and
// a replaced step's approvals simply stop counting.
func SaveWorkflow(ctx context.Context, db *gorm.DB, in WorkflowInput) (*Workflow, error) {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		v.Add("name", "is required")
	}
	if len(in.Steps) == 0 {
		v.Add("steps", "a workflow needs at least one step")
	}
	for i, s := range in.Steps {
		if s.ApprovalsNeeded < 1 {
			v.Add(fmt.Sprintf("steps.%d.approvals_needed", i), "must be at least 1")
		}
		if s.SLAMinutes < 0 {
			v.Add(fmt.Sprintf("steps.%d.sla_minutes", i), "cannot be negative")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var wf Workflow
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		err := tx.First(&wf, "name = ?", in.Name).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			wf = Workflow{ID: NewID(), Name: in.Name}
			if err := tx.Create(&wf).Error; err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if err := tx.Where("workflow_id = ?", wf.ID).Delete(&WorkflowStep{}).Error; err != nil {
				return err
			}
		}
		for i, s := range in.Steps {
			g, err := GroupByName(ctx, tx, s.Group)
			if err != nil {
				return &ValidationError{Fields: map[string]string{fmt.Sprintf("steps.%d.group", i): fmt.Sprintf("%q is not a group", s.Group)}}
			}
			step := WorkflowStep{ID: NewID(), WorkflowID: wf.ID, Position: i + 1, GroupID: g.ID, ApprovalsNeeded: s.ApprovalsNeeded, SLAMinutes: s.SLAMinutes}
			if err := tx.Create(&step).Error; err != nil {
				return err
			}
		}
		if in.IsDefault {
			if err := tx.Model(&Workflow{}).Where("id <> ?", wf.ID).Update("is_default", false).Error; err != nil {
				return err
			}
		}
		return tx.Model(&Workflow{}).Where("id = ?", wf.ID).Update("is_default", in.IsDefault).Error
	})
	var ve *ValidationError
	if errors.As(err, &ve) {
		return nil, ve
	}
	if err != nil {
		return nil, fmt.Errorf("models: save workflow: %w", err)
	}
	return WorkflowByID(ctx, db, wf.ID)
}

// WorkflowByID loads a workflow with its steps in order and their groups.
func WorkflowByID(ctx context.Context, db *gorm.DB, id string) (*Workflow, error) {
	var wf Workflow
	err := db.WithContext(ctx).Preload("Steps", func(q *gorm.DB) *gorm.DB { return q.Order("position") }).Preload("Steps.Group").First(&wf, "id = ?", id).Error
	if err != nil {
		return nil, fmt.Errorf("models: workflow: %w", translate(err))
	}
	return &wf, nil
}

// WorkflowByName finds a workflow by name.
func WorkflowByName(ctx context.Context, db *gorm.DB, name string) (*Workflow, error) {
	var wf Workflow
	if err := db.WithContext(ctx).First(&wf, "name = ?", strings.TrimSpace(name)).Error; err != nil {
		return nil, fmt.Errorf("models: workflow %q: %w", name, translate(err))
	}
	return WorkflowByID(ctx, db, wf.ID)
}

// DefaultWorkflow is the workflow documents use when none is named.
func DefaultWorkflow(ctx context.Context, db *gorm.DB) (*Workflow, error) {
	var wf Workflow
	if err := db.WithContext(ctx).Order("created_at").First(&wf, "is_default = ?", true).Error; err != nil {
		return nil, fmt.Errorf("models: default workflow: %w", translate(err))
	}
	return WorkflowByID(ctx, db, wf.ID)
}

// Workflows lists every workflow with its steps.
func Workflows(ctx context.Context, db *gorm.DB) ([]Workflow, error) {
	var wfs []Workflow
	err := db.WithContext(ctx).Preload("Steps", func(q *gorm.DB) *gorm.DB { return q.Order("position") }).Preload("Steps.Group").Order("name").Find(&wfs).Error
	if err != nil {
		return nil, fmt.Errorf("models: workflows: %w", err)
	}
	return wfs, nil
}

// StepState is how far one step of a document's review has come.
type StepState struct {
	Step      WorkflowStep
	Approvals []Approval
	Done      bool
	Open      bool      // approvers of this step may act now
	OpenedAt  time.Time // when it opened (submission, or the previous step's completion)
	Due       time.Time // OpenedAt + SLA, zero without an SLA
}

// stepStates works out each step's progress from the approvals that count (those
// for the current content). Steps open one after another, or all at once in
// rapid-response mode.
func stepStates(steps []WorkflowStep, valid []Approval, rapid bool, submittedAt time.Time) []StepState {
	out := make([]StepState, len(steps))
	opened := submittedAt
	blocked := false
	for i, s := range steps {
		st := StepState{Step: s}
		var last time.Time
		for _, a := range valid {
			if a.StepID == s.ID {
				st.Approvals = append(st.Approvals, a)
				if a.CreatedAt.After(last) {
					last = a.CreatedAt
				}
			}
		}
		st.Done = len(st.Approvals) >= s.ApprovalsNeeded
		st.Open = !st.Done && (rapid || !blocked)
		if rapid {
			st.OpenedAt = submittedAt
		} else {
			st.OpenedAt = opened
		}
		if s.SLAMinutes > 0 && st.Open {
			st.Due = st.OpenedAt.Add(time.Duration(s.SLAMinutes) * time.Minute)
		}
		if !st.Done {
			blocked = true
		} else if last.After(opened) {
			opened = last
		}
		out[i] = st
	}
	return out
}
