package models_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// BenchmarkImportSupporters100k parses and imports 100,000 supporter rows into a
// fresh PostgreSQL database per iteration (the target is well under 10 s). It
// needs TEST_DATABASE_URL; SQLite is not where large imports run.
func BenchmarkImportSupporters100k(b *testing.B) {
	if os.Getenv(dbtest.EnvURL) == "" {
		b.Skip("set TEST_DATABASE_URL to run the PostgreSQL import benchmark")
	}
	const n = 100_000
	var buf bytes.Buffer
	buf.WriteString("email,name,country,language,tags,consent_source,consent_at\n")
	for i := range n {
		consent := ""
		if i%2 == 0 {
			consent = "2026-01-02"
		}
		fmt.Fprintf(&buf, "Person%06d@Example.org,Person %d,GB,en,bench;import,benchmark,%s\n", i, i, consent)
	}
	data := buf.Bytes()
	ctx := context.Background()
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		db := dbtest.New(b, models.Postgres)
		l, err := models.CreateSupporterList(ctx, db.Gorm, "Bench", "")
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		tbl, err := models.ParseCSV(data)
		if err != nil {
			b.Fatal(err)
		}
		res, err := models.ImportSupporters(ctx, db.Gorm, l.ID, tbl, models.AutoMapping(models.AudienceSupporters, tbl.Header), nil)
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		if res.Imported != n || len(res.Rejected) != 0 {
			b.Fatalf("imported %d, rejected %d", res.Imported, len(res.Rejected))
		}
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/import")
	b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "rows/s")
}
