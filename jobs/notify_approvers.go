package jobs

import (
	"context"
	"fmt"
	"strings"

	"github.com/riverqueue/river"

	"pressroom/models"
)

// NotifyApproversArgs asks the members of newly opened workflow steps to review a
// document. It is enqueued in the transaction that opened the steps.
type NotifyApproversArgs struct {
	DocumentID string   `json:"document_id"`
	StepIDs    []string `json:"step_ids"`
}

// Kind implements river.JobArgs.
func (NotifyApproversArgs) Kind() string { return "notify_approvers" }

// NotifyApproversWorker emails the approvers.
type NotifyApproversWorker struct {
	river.WorkerDefaults[NotifyApproversArgs]
	Deps
}

// Work sends one email to every member of the opened steps' groups, except the
// document's author and the editor of its current revision (they may not approve
// it). A step that has since closed is skipped.
func (w *NotifyApproversWorker) Work(ctx context.Context, job *river.Job[NotifyApproversArgs]) error {
	db := w.DB.Gorm
	d, err := models.DocumentByID(ctx, db, job.Args.DocumentID)
	if err != nil {
		return fmt.Errorf("jobs: notify approvers: %w", err)
	}
	review, err := models.ReviewOf(ctx, db, d)
	if err != nil {
		return err
	}
	open := map[string]models.StepState{}
	for _, s := range review.Steps {
		if s.Open {
			open[s.Step.ID] = s
		}
	}
	var recipients []Recipient
	seen := map[string]bool{d.AuthorID: true, d.Revision.EditorID: true}
	var groups []string
	for _, id := range job.Args.StepIDs {
		st, ok := open[id]
		if !ok {
			continue
		}
		members, err := models.GroupApproversOf(ctx, db, st.Step.GroupID)
		if err != nil {
			return err
		}
		if st.Step.Group != nil {
			groups = append(groups, st.Step.Group.Name)
		}
		for _, m := range members {
			if seen[m.ID] || review.Barred(&m) != "" { // nobody is asked to approve their own words
				continue
			}
			seen[m.ID] = true
			recipients = append(recipients, Recipient{To: Address{Email: m.Email, Name: m.Name}, Substitutions: Substitutions(KeyName, m.Name)})
		}
	}
	if len(recipients) == 0 {
		return nil
	}
	link := w.BaseURL + "/admin/releases/" + d.ID
	kind := strings.ToLower(d.Kind.Label())
	urgency := ""
	if d.Rapid {
		urgency = "RAPID RESPONSE — "
	}
	subject := fmt.Sprintf("%sApproval needed: %s", urgency, d.Revision.Headline)
	text := fmt.Sprintf("Hello "+KeyName+",\n\nA %s is waiting for approval from %s:\n\n%s\n\nRevision %d, by %s.\nReview it: %s\n",
		kind, strings.Join(groups, " and "), d.Revision.Headline, d.CurrentRevision, d.Author.Name, link)
	html := fmt.Sprintf(`<p>Hello `+KeyNameHTML+`,</p><p>A %s is waiting for approval from %s:</p><p><strong>%s</strong></p><p>Revision %d, by %s.</p><p><a href="%s">Review it in Pressroom</a></p>`,
		kind, htmlEscape(strings.Join(groups, " and ")), htmlEscape(d.Revision.Headline), d.CurrentRevision, htmlEscape(d.Author.Name), htmlEscape(link))
	for start := 0; start < len(recipients); start += MaxBatchRecipients {
		end := min(start+MaxBatchRecipients, len(recipients))
		b := Batch{From: w.MailFrom, Subject: subject, Text: text, HTML: html, Categories: []string{"approval_request"}, Recipients: recipients[start:end]}
		if _, err := w.Mail.Send(ctx, b); err != nil {
			return fmt.Errorf("jobs: notify approvers: %w", err)
		}
	}
	return nil
}
