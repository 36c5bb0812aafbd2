package models_test

import (
	"context"
	"os"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// BenchmarkPublicTagValues measures reading the newsroom filters' choices
// (distinct countries and themes of the public releases) at 100,000 public
// releases, against the first listing page measured back to back in the same
// run. The app reads the choices once per newsroom version (app.tagCache),
// not per request, so this is the cost of the first listing after a publish.
// SQLite by default; PostgreSQL with TEST_DATABASE_URL.
func BenchmarkPublicTagValues(b *testing.B) {
	dialect := models.SQLite
	if os.Getenv("TEST_DATABASE_URL") != "" {
		dialect = models.Postgres
	}
	db := dbtest.New(b, dialect)
	newOrg(b, db) // the user, series and workflow the bulk releases are written by
	ctx := context.Background()
	now := time.Date(2026, 7, 9, 12, 0, 0, 0, time.UTC)
	if err := dbtest.BulkNewsroom(ctx, db, 100_000, now.Add(-time.Hour), b.Logf); err != nil {
		b.Fatal(err)
	}
	b.Run("baseline first listing page", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := models.PublicReleases(ctx, db.Gorm, models.PublicFilter{Now: now, Kind: models.KindPressRelease}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("filter choices", func(b *testing.B) {
		var tags *models.PublicTags
		for b.Loop() {
			var err error
			if tags, err = models.PublicTagValues(ctx, db.Gorm, models.KindPressRelease, now); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(tags.Countries)), "countries")
		b.ReportMetric(float64(len(tags.Themes)), "themes")
	})
}
