package jobs

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"pressroom/models"
)

// CountSignaturesArgs is the periodic job that adds newly confirmed signatures
// to the petitions' counter rows: the one writer of the public count.
type CountSignaturesArgs struct{}

// Kind implements river.JobArgs.
func (CountSignaturesArgs) Kind() string { return "count_signatures" }

// DefaultSignatureCountInterval is how often the count moves unless
// SIGNATURE_COUNT_INTERVAL says otherwise; count.json is cached as long.
const DefaultSignatureCountInterval = 2 * time.Second

// uniqueWhileQueued keeps at most one job of a kind waiting or running, so a
// slow run is never joined by a second one (the counting is safe under
// overlap anyway; this keeps it cheap).
var uniqueWhileQueued = river.UniqueOpts{ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRunning, rivertype.JobStateScheduled, rivertype.JobStateRetryable}}

// CountSignaturesWorker runs the count.
type CountSignaturesWorker struct {
	river.WorkerDefaults[CountSignaturesArgs]
	Deps
}

// Work adds every confirmed, uncounted signature to its counters, then tells
// campaigners about the milestones the counts reached. The milestones are
// checked here because this job is the one writer of the counts: it sees
// every step the moment it happens.
func (w *CountSignaturesWorker) Work(ctx context.Context, job *river.Job[CountSignaturesArgs]) error {
	now := w.Clock.Now()
	n, err := models.CountNewSignatures(ctx, w.DB.Gorm, now)
	if n > 0 {
		w.Logger.DebugContext(ctx, "signatures counted", "signatures", n)
	}
	if err != nil {
		return err
	}
	return w.notifyMilestones(ctx, now)
}

// milestoneWindow is how far back the milestone check looks for counters
// that moved: wide enough that a run which died after counting is caught up
// by a later one, narrow enough to leave the petitions of years past alone.
const milestoneWindow = 10 * time.Minute

// notifyMilestones claims each milestone newly reached by a petition whose
// count moved lately and enqueues one email about it, in one transaction per
// petition: the claim is the once-only record (models.ClaimMilestones), so a
// second run, or two overlapping ones, send nothing more.
func (w *CountSignaturesWorker) notifyMilestones(ctx context.Context, now time.Time) error {
	db := w.DB.Gorm
	ps, err := models.RecentlyCountedPetitions(ctx, db, now.Add(-milestoneWindow))
	if err != nil {
		return err
	}
	for i := range ps {
		p := &ps[i]
		if len(models.MilestoneSteps(p.Confirmed)) == 0 && (p.Goal == 0 || p.Confirmed < int64(p.Goal)) {
			continue
		}
		err := models.Transaction(ctx, db, func(tx *gorm.DB) error {
			news, err := models.ClaimMilestones(ctx, tx, &p.Petition, p.Confirmed, now)
			if err != nil || !news.Any() {
				return err
			}
			if news.Goal {
				subject, text, html := milestoneMail(&p.Petition, p.Confirmed, 0)
				if err := enqueuePetitionNotice(ctx, w.Deps, tx, &p.Petition, "petition_goal", subject, text, html); err != nil {
					return err
				}
			}
			if news.Step > 0 {
				subject, text, html := milestoneMail(&p.Petition, p.Confirmed, news.Step)
				return enqueuePetitionNotice(ctx, w.Deps, tx, &p.Petition, "petition_milestone", subject, text, html)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("jobs: milestones of %s: %w", p.ID, err)
		}
	}
	return nil
}

// milestoneMail words the email about a milestone: the goal when step is 0,
// else a power of ten.
func milestoneMail(p *models.Petition, count, step int64) (subject, text, html string) {
	if step == 0 {
		subject = "Goal reached: " + p.Title
		text = fmt.Sprintf("The petition \"%s\" has reached its goal of %s signatures: %s are confirmed and counted.", p.Title, thousands(int64(p.Goal)), thousands(count))
	} else {
		subject = fmt.Sprintf("%s signatures: %s", thousands(step), p.Title)
		text = fmt.Sprintf("The petition \"%s\" has passed %s signatures: %s are confirmed and counted.", p.Title, thousands(step), thousands(count))
	}
	return subject, text, "<p>" + htmlEscape(text) + "</p><p><strong>" + htmlEscape(p.Demand) + "</strong></p>"
}

// thousands writes a count with thousands separators: 10,000.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
