package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"html"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"pressroom/models"
)

// EscalateOverdueArgs is the periodic sweep for rapid-response steps past their
// SLA.
type EscalateOverdueArgs struct{}

// Kind implements river.JobArgs.
func (EscalateOverdueArgs) Kind() string { return "escalate_overdue" }

// EscalateInterval is how often the sweep runs; an escalation goes out at most
// this long after the SLA lapses.
const EscalateInterval = 30 * time.Second

// EscalateOverdueWorker emails the backup approvers of lapsed steps. The
// escalation record and the email job are written in one transaction, so backups
// are emailed exactly once.
type EscalateOverdueWorker struct {
	river.WorkerDefaults[EscalateOverdueArgs]
	Deps
}

// Work runs one sweep.
func (w *EscalateOverdueWorker) Work(ctx context.Context, job *river.Job[EscalateOverdueArgs]) error {
	client := river.ClientFromContext[*sql.Tx](ctx)
	_, err := models.EscalateOverdue(ctx, w.DB.Gorm, w.Clock.Now(), func(tx *gorm.DB, e models.Escalation) error {
		if len(e.Backups) == 0 {
			return nil
		}
		b := w.EscalationMail(e)
		return EnqueueTx(ctx, client, tx, DeliverMailArgs{Batch: b, Purpose: "escalation"}, nil)
	})
	return err
}

// EscalationMail is the email to a lapsed step's backup approvers.
func (w *EscalateOverdueWorker) EscalationMail(e models.Escalation) Batch {
	headline := ""
	if e.Document.Revision != nil { // loaded by EscalateOverdue inside its transaction
		headline = e.Document.Revision.Headline
	}
	link := w.BaseURL + "/admin/releases/" + e.Document.ID
	var rs []Recipient
	for _, u := range e.Backups {
		rs = append(rs, Recipient{To: Address{Email: u.Email, Name: u.Name}, Substitutions: Substitutions(KeyName, u.Name)})
	}
	late := fmt.Sprintf("%d minutes", e.Step.SLAMinutes)
	return Batch{
		From:       w.MailFrom,
		Subject:    "ESCALATED: rapid response needs " + e.Group.Name + " approval: " + headline,
		Text:       fmt.Sprintf("Hello "+KeyName+",\n\nYou are a backup approver for %s. A rapid-response release has waited longer than its %s deadline for %s:\n\n%s\n\nApprove it or request changes: %s\n", e.Group.Name, late, e.Group.Name, headline, link),
		HTML:       fmt.Sprintf(`<p>Hello `+KeyNameHTML+`,</p><p>You are a backup approver for %s. A rapid-response release has waited longer than its %s deadline:</p><p><strong>%s</strong></p><p><a href="%s">Approve it or request changes</a></p>`, htmlEscape(e.Group.Name), late, htmlEscape(headline), htmlEscape(link)),
		Categories: []string{"escalation"},
		Recipients: rs,
	}
}

// htmlEscape escapes text for an HTML part, as Substitutions does.
func htmlEscape(s string) string { return html.EscapeString(s) }
