package jobs_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"pressroom/jobs"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// BenchmarkEmbargoLatency schedules 100 releases with embargoes spread over the
// next few seconds, runs a real worker, and measures how long after its embargo
// time each one became public. Target: max ≤ 2 s. It runs on PostgreSQL when
// TEST_DATABASE_URL is set, else on SQLite.
//
//	go test ./jobs -run '^$' -bench EmbargoLatency -benchtime 1x
func BenchmarkEmbargoLatency(b *testing.B) {
	dialect := models.SQLite
	if os.Getenv(dbtest.EnvURL) != "" {
		dialect = models.Postgres
	}
	for i := 0; i < b.N; i++ {
		db := dbtest.New(b, dialect)
		ctx := context.Background()
		if _, err := models.CreateGroup(ctx, db.Gorm, "Desk", ""); err != nil {
			b.Fatal(err)
		}
		author, _ := models.CreateUser(ctx, db.Gorm, models.NewUserInput{Email: "a@example.org", Name: "A", Role: models.RolePressOfficer, Password: "long enough password"})
		approver, _ := models.CreateUser(ctx, db.Gorm, models.NewUserInput{Email: "b@example.org", Name: "B", Role: models.RoleApprover, Password: "long enough password", Groups: []string{"Desk"}})
		approver, _ = models.UserByID(ctx, db.Gorm, approver.ID)
		models.CreateSeries(ctx, db.Gorm, models.SeriesInput{Code: "PRE 01", Name: "P", Format: "{code}/{serial:03}/{year}", Kind: "press_release"})
		models.SaveWorkflow(ctx, db.Gorm, models.WorkflowInput{Name: "One", IsDefault: true, Steps: []models.StepInput{{Group: "Desk", ApprovalsNeeded: 1}}})

		const n = 100
		start := time.Now().Add(15 * time.Second).Truncate(time.Second)
		// 100 embargoes spread over the next ten seconds, 50 ms apart (stored to
		// the second, so about ten lift together at each second).
		embargoes := map[string]time.Time{}
		for j := 0; j < n; j++ {
			at := start.Add(time.Duration(j) * 50 * time.Millisecond).UTC()
			h, body := fmt.Sprintf("Scheduled %d", j), "Text under embargo."
			d, err := models.CreateDocument(ctx, db.Gorm, author, models.DocumentInput{Kind: models.KindPressRelease, Headline: &h, Body: &body, EmbargoAt: ptrTo(&at)}, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := models.SubmitDocument(ctx, db.Gorm, author, d.ID, false, time.Now()); err != nil {
				b.Fatal(err)
			}
			res, err := models.ApproveDocument(ctx, db.Gorm, approver, d.ID, "", time.Now())
			if err != nil {
				b.Fatal(err)
			}
			// Embargoes are kept to the second; measure against the stored time.
			embargoes[d.ID] = *res.Document.EmbargoAt
		}
		workers := river.NewWorkers()
		jobs.Register(workers, jobs.Deps{DB: db, Mail: &jobs.Outbox{DB: db.Gorm}})
		client, err := jobs.NewClient(db, workers, jobs.ClientOptions{Work: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := client.Start(ctx); err != nil {
			b.Fatal(err)
		}
		seen := map[string]time.Duration{}
		deadline := start.Add(n*50*time.Millisecond + 15*time.Second)
		for len(seen) < n && time.Now().Before(deadline) {
			var ids []string
			db.Gorm.Model(&models.Document{}).Where("status = ?", models.StatusPublished).Pluck("id", &ids)
			now := time.Now()
			for _, id := range ids {
				if _, ok := seen[id]; !ok {
					seen[id] = now.Sub(embargoes[id])
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		client.Stop(ctx)
		if len(seen) < n {
			b.Fatalf("only %d of %d releases published", len(seen), n)
		}
		var lat []time.Duration
		for _, d := range seen {
			lat = append(lat, d)
		}
		sort.Slice(lat, func(a, c int) bool { return lat[a] < lat[c] })
		b.ReportMetric(lat[len(lat)/2].Seconds(), "p50_s")
		b.ReportMetric(lat[len(lat)*95/100].Seconds(), "p95_s")
		b.ReportMetric(lat[len(lat)-1].Seconds(), "max_s")
		fmt.Printf("embargo publication latency on %s over %d releases: p50 %v, p95 %v, max %v (target max ≤ 2s)\n",
			dialect, n, lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)*95/100].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	}
}

func ptrTo(t *time.Time) **time.Time { return &t }
