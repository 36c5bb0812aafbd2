package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"pressroom/app"
	"pressroom/internal/benchkit"
	"pressroom/jobs"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// BenchmarkSigning measures the public signing API over loopback at 8, 32 and
// 128 concurrent clients, each signature a new address, and in the same run a
// plain loop of single-row inserts into an equivalent table with the same
// unique index at the same concurrency; it reports signatures/s, p50 and p99
// and the ratio to the plain inserts. Afterwards every acknowledged signature
// must be in the database exactly once with its confirmation job.
//
//	TEST_DATABASE_URL=… go test ./app -run '^$' -bench Signing -benchtime 2000x
//
// All clients share one IP, so the per-IP limits are switched off here (they
// would flag or refuse a real flood from one address).
func BenchmarkSigning(b *testing.B) {
	for _, d := range dbtest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			for _, clients := range []int{8, 32, 128} {
				b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
					db := envDB(b, d)
					// The production web process trusts a public petition it read for a second.
					env := newEnv(b, db, envOptions{versionTTL: app.DefaultNewsroomVersionTTL})
					env.cfg.Petitions.Limits = models.SignLimits{}
					camp := env.users[models.RoleCampaigner]
					title, target, demand := "Bench", "T", "D."
					p, err := models.CreatePetition(context.Background(), db.Gorm, camp, models.PetitionInput{Title: &title, Target: &target, Demand: &demand}, env.clock.Now())
					if err != nil {
						b.Fatal(err)
					}
					if _, err := models.OpenPetition(context.Background(), db.Gorm, camp, p.ID, env.clock.Now()); err != nil {
						b.Fatal(err)
					}
					n := max(b.N, clients*10)
					if err := db.Gorm.Exec(`CREATE TABLE bench_signatures (id text PRIMARY KEY, petition_id text NOT NULL, name text NOT NULL, email text,
						normalised_email text NOT NULL, country text NOT NULL, ip text NOT NULL, state text NOT NULL, created_at ` + timeType(d) + ` NOT NULL)`).Error; err != nil {
						b.Fatal(err)
					}
					if err := db.Gorm.Exec(`CREATE UNIQUE INDEX bench_signatures_mailbox ON bench_signatures (petition_id, normalised_email)`).Error; err != nil {
						b.Fatal(err)
					}
					client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
					url := env.http.URL + "/api/v1/public/petitions/" + p.Slug + "/signatures"
					b.ResetTimer()
					api := benchkit.Drive(context.Background(), clients, n, 10*time.Minute, func(i int) bool {
						body := fmt.Sprintf(`{"name":"Signer %d","email":"signer%d@example.org","country":"GB"}`, i, i)
						resp, err := client.Post(url, "application/json", strings.NewReader(body))
						if err != nil {
							return false
						}
						// Read to the end, so the connection serves the next request.
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						return resp.StatusCode == http.StatusAccepted
					})
					sqlDB := db.SQL
					insert := `INSERT INTO bench_signatures (id, petition_id, name, email, normalised_email, country, ip, state, created_at)
						VALUES ($1, $2, $3, $4, $4, 'GB', '127.0.0.1', 'pending', $5)`
					if d == models.SQLite {
						insert = strings.NewReplacer("$1", "?1", "$2", "?2", "$3", "?3", "$4", "?4", "$5", "?5").Replace(insert)
					}
					inserts := benchkit.Drive(context.Background(), clients, n, 10*time.Minute, func(i int) bool {
						_, err := sqlDB.ExecContext(context.Background(), insert, models.NewID(), p.ID, fmt.Sprintf("Signer %d", i), fmt.Sprintf("signer%d@example.org", i), time.Now().UTC())
						return err == nil
					})
					b.StopTimer()
					apiRate, p50, p99, acked, insertRate := api.Rate(), api.P50, api.P99, api.OK, inserts.Rate()
					b.ReportMetric(apiRate, "signatures/s")
					b.ReportMetric(float64(p50.Microseconds())/1000, "p50_ms")
					b.ReportMetric(float64(p99.Microseconds())/1000, "p99_ms")
					b.ReportMetric(insertRate, "inserts/s")
					b.ReportMetric(apiRate/insertRate, "ratio")
					b.Logf("%s, %d clients: %.0f signatures/s (p50 %v, p99 %v); plain inserts %.0f/s; ratio %.2f", d, clients, apiRate, p50, p99, insertRate, apiRate/insertRate)
					var stored, distinct, mails int64
					db.Gorm.Model(&models.Signature{}).Where("petition_id = ?", p.ID).Count(&stored)
					db.Gorm.Raw("SELECT COUNT(DISTINCT normalised_email) FROM signatures WHERE petition_id = ?", p.ID).Scan(&distinct)
					queued, err := jobs.QueuedSignatureMails(context.Background(), db)
					if err != nil {
						b.Fatal(err)
					}
					mails = int64(queued)
					if stored != acked || distinct != acked || mails != acked {
						b.Fatalf("%d acknowledged, %d stored (%d distinct), %d confirmation jobs", acked, stored, distinct, mails)
					}
				})
			}
		})
	}
}

func timeType(d models.Dialect) string {
	if d == models.Postgres {
		return "timestamptz"
	}
	return "datetime"
}
