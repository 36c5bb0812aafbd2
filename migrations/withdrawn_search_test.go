package migrations_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"time"

	"pressroom/migrations"
	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestWithdrawnSearchMigration: 00014 clears the text of public search rows
// that earlier withdrawals left behind, so a withdrawn release stops being
// found by the words of its body; its headline still finds it.
func TestWithdrawnSearchMigration(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		now := time.Date(2026, 7, 9, 9, 0, 0, 0, time.UTC)
		o := dbtest.NewOrg(t, db)
		d := o.Release(t, models.KindPressRelease, "Zqmigrated statement", nil, now)
		kept := o.Release(t, models.KindPressRelease, "Published statement", nil, now)
		if _, err := models.WithdrawDocument(ctx, db.Gorm, o.Press, d.ID, "Withdrawn.", now); err != nil {
			t.Fatal(err)
		}
		// The row as a withdrawal made before this migration left it.
		if err := db.Gorm.Exec("UPDATE search_entries SET standfirst = 'zqlegacystand', body = 'zqlegacybody' WHERE which = 'public' AND document_id IN (?, ?)",
			d.ID, kept.ID).Error; err != nil {
			t.Fatal(err)
		}
		if hits, _, _ := models.SearchPublic(ctx, db.Gorm, "zqlegacybody", models.SearchOptions{Now: now}); len(hits) != 2 {
			t.Fatalf("before the migration: %d hits, want both rows", len(hits))
		}
		b, err := fs.ReadFile(migrations.Files(), string(db.Dialect)+"/00014_withdrawn_search.sql")
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		if err := db.Gorm.Exec(up).Error; err != nil {
			t.Fatalf("migration: %v", err)
		}
		hits, _, err := models.SearchPublic(ctx, db.Gorm, "zqlegacybody", models.SearchOptions{Now: now})
		if err != nil || len(hits) != 1 || hits[0].DocumentID != kept.ID {
			t.Fatalf("after the migration a body word finds %v (%v); want the published release only", hits, err)
		}
		hits, _, _ = models.SearchPublic(ctx, db.Gorm, "zqmigrated", models.SearchOptions{Now: now})
		if len(hits) != 1 || hits[0].Snippet != "" {
			t.Fatalf("the withdrawn release by its headline: %+v", hits)
		}
	})
}
