package migrations_test

import (
	"context"
	"testing"

	"pressroom/migrations"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestDownToEmptyAndUpAgain runs every migration's Down script, newest first,
// on a fully migrated database of each dialect, then migrates up again: a
// migration that has to be rolled back in production must not fail halfway,
// and what it leaves must take the Up scripts once more.
func TestDownToEmptyAndUpAgain(t *testing.T) {
	ctx := context.Background()
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			db, err := models.Open(ctx, emptyDatabase(t, d), models.OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := migrations.Up(ctx, db.SQL, string(d)); err != nil {
				t.Fatalf("Up: %v", err)
			}
			all, err := migrations.Count(string(d))
			if err != nil {
				t.Fatal(err)
			}
			down, err := migrations.DownTo(ctx, db.SQL, string(d), 0)
			if err != nil {
				t.Fatalf("rolled back %d of %d migrations, then: %v", down, all, err)
			}
			if down != all {
				t.Fatalf("rolled back %d migrations, want all %d", down, all)
			}
			if db.Gorm.Migrator().HasTable("documents") || db.Gorm.Migrator().HasTable("signatures") {
				t.Fatal("tables of ours remain after rolling every migration back")
			}
			n, err := migrations.Up(ctx, db.SQL, string(d))
			if err != nil {
				t.Fatalf("Up after rolling back: %v", err)
			}
			if n != all {
				t.Fatalf("Up after rolling back applied %d migrations, want %d", n, all)
			}
			if err := migrations.Check(ctx, db.SQL, string(d)); err != nil {
				t.Fatalf("Check after migrating up again: %v", err)
			}
		})
	}
}
