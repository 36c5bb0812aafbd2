package jobs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"pressroom/models"
)

// NotifyTrendingSourcesArgs is the periodic sweep that emails a petition's
// campaigners the first time an IP address or email domain passes the
// trending threshold within an hour.
type NotifyTrendingSourcesArgs struct{}

// Kind implements river.JobArgs.
func (NotifyTrendingSourcesArgs) Kind() string { return "notify_trending_sources" }

// TrendingInterval is how often open petitions are checked for trending
// sources. A minute is soon enough for a person to act on, and keeps the
// hour-wide grouping off the database's back the rest of the time.
const TrendingInterval = time.Minute

// NotifyTrendingSourcesWorker runs the sweep.
type NotifyTrendingSourcesWorker struct {
	river.WorkerDefaults[NotifyTrendingSourcesArgs]
	Deps
}

// Work checks each open petition's signatures of the last hour, per IP and per
// email domain (the grouping of the petition page's "Sources in the last
// hour"). Each source over the threshold is claimed as a notice once per
// petition, and one email lists the newly claimed ones, in the same
// transaction: a source is told about once, whatever the number of runs.
func (w *NotifyTrendingSourcesWorker) Work(ctx context.Context, job *river.Job[NotifyTrendingSourcesArgs]) error {
	db := w.DB.Gorm
	now := w.Clock.Now()
	threshold := w.SignatureTrendingThreshold
	if threshold <= 0 {
		threshold = models.TrendingThreshold
	}
	ids, err := models.OpenPetitionIDs(ctx, db)
	if err != nil {
		return err
	}
	for _, id := range ids {
		srcs, err := models.SourcesOverThreshold(ctx, db, id, now.Add(-time.Hour), threshold)
		if err != nil {
			return err
		}
		if len(srcs) == 0 {
			continue
		}
		err = models.Transaction(ctx, db, func(tx *gorm.DB) error {
			p, err := models.PetitionByID(ctx, tx, id)
			if err != nil {
				return err
			}
			var fresh []models.TrendingSource
			for _, s := range srcs {
				ok, err := models.ClaimPetitionNotice(ctx, tx, models.PetitionNotice{PetitionID: id, Kind: models.NoticeTrending, Subject: s.Kind + ":" + s.Source, Value: s.N, CreatedAt: now})
				if err != nil {
					return err
				}
				if ok {
					fresh = append(fresh, s)
				}
			}
			if len(fresh) == 0 {
				return nil
			}
			subject, text, html := trendingMail(p, fresh, threshold)
			return enqueuePetitionNotice(ctx, w.Deps, tx, p, "petition_trending", subject, text, html)
		})
		if err != nil {
			return fmt.Errorf("jobs: trending sources of %s: %w", id, err)
		}
	}
	return nil
}

// trendingMail words the email about newly trending sources.
func trendingMail(p *models.Petition, srcs []models.TrendingSource, threshold int) (subject, text, html string) {
	subject = "Unusual signing on \"" + p.Title + "\""
	var lines, items []string
	for _, s := range srcs {
		what := "IP address"
		if s.Kind == "domain" {
			what = "email domain"
		}
		lines = append(lines, fmt.Sprintf("- %s %s: %d signatures", what, s.Source, s.N))
		items = append(items, fmt.Sprintf("<li>%s <strong>%s</strong>: %d signatures</li>", what, htmlEscape(s.Source), s.N))
	}
	intro := fmt.Sprintf("In the last hour these sources passed %d signatures on the petition \"%s\":", threshold, p.Title)
	text = intro + "\n\n" + strings.Join(lines, "\n") + "\n\nIt may be a campaign going well (a big employer, a shared office) or a script. Look at the signatures, and invalidate them from the petition's page if they are not real."
	html = "<p>" + htmlEscape(intro) + "</p><ul>" + strings.Join(items, "") + "</ul><p>It may be a campaign going well (a big employer, a shared office) or a script. Look at the signatures, and invalidate them from the petition's page if they are not real.</p>"
	return subject, text, html
}
