package migrations_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"pressroom/migrations"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestUpFromEmpty migrates an empty database on each dialect, checks the schema is
// reported current, and that a second run applies nothing.
func TestUpFromEmpty(t *testing.T) {
	ctx := context.Background()
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			url := emptyDatabase(t, d)
			db, err := models.Open(ctx, url, models.OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := migrations.Check(ctx, db.SQL, string(d)); !errors.Is(err, migrations.ErrSchemaBehind) {
				t.Fatalf("Check on an empty database = %v, want ErrSchemaBehind", err)
			}
			n, err := migrations.Up(ctx, db.SQL, string(d))
			if err != nil {
				t.Fatalf("Up: %v", err)
			}
			if n == 0 {
				t.Fatal("Up applied nothing to an empty database")
			}
			if err := migrations.Check(ctx, db.SQL, string(d)); err != nil {
				t.Fatalf("Check after Up: %v", err)
			}
			n, err = migrations.Up(ctx, db.SQL, string(d))
			if err != nil || n != 0 {
				t.Fatalf("second Up = %d, %v; want 0, nil", n, err)
			}
			for _, table := range []string{"users", "sessions", "api_tokens", "audit_events", "outbox_messages", "river_job"} {
				if !db.Gorm.Migrator().HasTable(table) {
					t.Errorf("table %s missing after Up", table)
				}
			}
		})
	}
}

// emptyDatabase returns the URL of a database with no tables at all.
func emptyDatabase(t *testing.T, d models.Dialect) string {
	if d == models.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "empty.db")
	}
	// A migrated test database, emptied: dropping the schema is the cheapest way
	// to an empty PostgreSQL database that the test suite will clean up.
	url := dbtest.NewURL(t, d)
	db, err := models.Open(context.Background(), url, models.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Gorm.Exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public").Error; err != nil {
		t.Fatal(err)
	}
	return url
}
