package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestEnqueueTx proves the transactional enqueue: a rolled-back transaction leaves
// no job behind; a committed one runs and its mail lands in the outbox.
func TestEnqueueTx(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		client := startWorker(t, db, jobs.Deps{DB: db, Mail: &jobs.Outbox{DB: db.Gorm}})

		mail := func(to string) jobs.DeliverMailArgs {
			return jobs.DeliverMailArgs{Purpose: "test", Batch: jobs.Batch{
				From: jobs.Address{Email: "press@example.org"}, Subject: "Hello", Text: "Hi -name-",
				Recipients: []jobs.Recipient{{To: jobs.Address{Email: to}, Substitutions: map[string]string{"-name-": "Ana"}}},
			}}
		}
		rollback := errors.New("rollback")
		err := models.Transaction(ctx, db.Gorm, func(tx *gorm.DB) error {
			if err := jobs.EnqueueTx(ctx, client, tx, mail("rolled@example.org"), nil); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("transaction = %v", err)
		}
		err = models.Transaction(ctx, db.Gorm, func(tx *gorm.DB) error {
			return jobs.EnqueueTx(ctx, client, tx, mail("committed@example.org"), nil)
		})
		if err != nil {
			t.Fatal(err)
		}

		deadline := time.Now().Add(10 * time.Second)
		var got []models.OutboxMessage
		for time.Now().Before(deadline) {
			got, err = models.OutboxMessages(ctx, db.Gorm, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) > 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(got) != 1 || got[0].ToAddr != "committed@example.org" || got[0].TextBody != "Hi Ana" {
			t.Fatalf("outbox = %+v, want one message to committed@example.org reading \"Hi Ana\"", got)
		}
		var jobsCount int64
		db.Gorm.Table("river_job").Where("kind = ?", jobs.DeliverMailArgs{}.Kind()).Count(&jobsCount)
		if jobsCount != 1 {
			t.Fatalf("river_job rows = %d, want 1 (the rolled-back job must not exist)", jobsCount)
		}
	})
}

// startWorker runs every worker with deps in a River client that works jobs
// (no periodic ones) until the test ends.
func startWorker(t *testing.T, db *models.DB, deps jobs.Deps) *jobs.Client {
	t.Helper()
	workers := river.NewWorkers()
	jobs.Register(workers, deps)
	client, err := jobs.NewClient(db, workers, jobs.ClientOptions{Work: true, NoPeriodic: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Stop(ctx) })
	return client
}
