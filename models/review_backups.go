package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Backup approvers stand by: a group's backups are asked to review a step only
// once it escalates (a rapid-response step past its deadline, EscalateOverdue),
// as the Groups page tells them. Until then the step is not in their queue or
// on their desk and they may not approve it or ask for changes; from then on,
// for the rest of that round of review, they act on it as any member does.

// callIns says who stands by for a review's steps: the backups of each group
// and the steps escalated in the current round of review.
type callIns struct {
	backups   map[string]map[string]bool // group ID → user IDs of its backups
	escalated map[string]bool            // step IDs escalated since the last submission
}

// actsOn reports whether u, a member of s's group, may act on s now: always
// for a regular member, and for a backup once s has escalated.
func (c callIns) actsOn(u *User, s *StepState) bool {
	return !c.backups[s.Step.GroupID][u.ID] || c.escalated[s.Step.ID]
}

// backupsOf maps each group to its backup approvers' IDs: of the groups given,
// or, with userID set, only that user's backup memberships.
func backupsOf(tx *gorm.DB, groupIDs []string, userID string) (map[string]map[string]bool, error) {
	q := tx.Model(&GroupMember{}).Where("backup = ?", true)
	if userID != "" {
		q = q.Where("user_id = ?", userID)
	} else {
		q = q.Where("group_id IN ?", groupIDs)
	}
	var rows []GroupMember
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: backup approvers: %w", err)
	}
	out := map[string]map[string]bool{}
	for _, m := range rows {
		if out[m.GroupID] == nil {
			out[m.GroupID] = map[string]bool{}
		}
		out[m.GroupID][m.UserID] = true
	}
	return out, nil
}

// escalatedSteps maps each document to the steps escalated in its current
// round of review: an escalation counts only for the submission it was
// recorded under, so a release sent back and submitted again waits for its
// regular approvers first.
func escalatedSteps(tx *gorm.DB, docs []Document) (map[string]map[string]bool, error) {
	submitted := make(map[string]*time.Time, len(docs))
	ids := make([]string, 0, len(docs))
	for i := range docs {
		if docs[i].SubmittedAt != nil {
			submitted[docs[i].ID] = docs[i].SubmittedAt
			ids = append(ids, docs[i].ID)
		}
	}
	out := map[string]map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []escalationRow
	if err := tx.Where("document_id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: escalations: %w", err)
	}
	for _, e := range rows {
		if at := submitted[e.DocumentID]; at != nil && at.Equal(e.SubmittedAt) {
			if out[e.DocumentID] == nil {
				out[e.DocumentID] = map[string]bool{}
			}
			out[e.DocumentID][e.StepID] = true
		}
	}
	return out, nil
}

// StandingBy is the open step u is a backup approver of and that has not
// escalated, or nil: the release page says why they cannot act on it yet.
func (r *Review) StandingBy(u *User) *StepState {
	if u == nil {
		return nil
	}
	for i, s := range r.Steps {
		if s.Open && r.callIns.backups[s.Step.GroupID][u.ID] && !r.callIns.escalated[s.Step.ID] {
			return &r.Steps[i]
		}
	}
	return nil
}
