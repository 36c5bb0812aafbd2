package models_test

import (
	"context"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// The dev command's demo newsroom: what it seeds is public or not by the same
// rules as staff's work, and a second start adds nothing.
func TestSeedDemoContent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 4, 10, 15, 0, 0, time.UTC)
		if _, err := models.SeedDemo(ctx, db.Gorm); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := models.SeedDemoContent(ctx, db.Gorm, now); err != nil {
				t.Fatal(err)
			}
		}
		var docs int64
		if err := db.Gorm.Model(&models.Document{}).Count(&docs).Error; err != nil {
			t.Fatal(err)
		}
		if docs != 5 {
			t.Fatalf("%d documents after two seeds, want 5", docs)
		}
		public, _, err := models.PublicReleases(ctx, db.Gorm, models.PublicFilter{Kind: models.KindPressRelease, Limit: 10, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		var headlines []string
		for _, r := range public {
			headlines = append(headlines, r.Headline)
			if r.IndexNumber == nil || *r.IndexNumber == "" {
				t.Errorf("published %q has no index number", r.Headline)
			}
		}
		if len(public) != 2 || headlines[0] != "Freedonia: release the detained journalists" {
			t.Fatalf("public releases %q, want the two published ones, the latest first", headlines)
		}
		// The embargoed one goes public when its embargo lifts, not before.
		later, _, err := models.PublicReleases(ctx, db.Gorm, models.PublicFilter{Kind: models.KindPressRelease, Limit: 10, Now: now.Add(25 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var scheduled int64
		if err := db.Gorm.Model(&models.Document{}).Where("status = ?", models.StatusScheduled).Count(&scheduled).Error; err != nil {
			t.Fatal(err)
		}
		if scheduled != 1 || len(later) != 2 {
			t.Errorf("%d scheduled, %d public a day later before the lift job ran; want 1 scheduled and still 2 public", scheduled, len(later))
		}
		desk, err := models.UserByEmail(ctx, db.Gorm, "head.press@example.org")
		if err != nil {
			t.Fatal(err)
		}
		queue, err := models.ReviewQueue(ctx, db.Gorm, desk)
		if err != nil {
			t.Fatal(err)
		}
		if len(queue) != 1 {
			t.Errorf("the press desk's queue holds %d, want the release in review", len(queue))
		}
		actions, _, err := models.PublicReleases(ctx, db.Gorm, models.PublicFilter{Kind: models.KindActionAlert, Limit: 10, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if len(actions) != 1 {
			t.Fatalf("%d public Urgent Actions, want 1", len(actions))
		}
		if call, err := models.PublicActionCallOf(ctx, db.Gorm, &actions[0]); err != nil || !call.NamesTargets {
			t.Errorf("the Urgent Action's call: %+v, %v; want it to name its official", call, err)
		}
		var p models.Petition
		if err := db.Gorm.First(&p).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := models.PublicPetitionBySlug(ctx, db.Gorm, p.Slug, now); err != nil || p.Status != models.PetitionOpen || p.CampaignID == nil {
			t.Errorf("petition %q: %s, campaign %v, public: %v; want open on the demo campaign", p.Slug, p.Status, p.CampaignID, err)
		}
	})
}

// A database someone has used gets no demo content: the demo's official
// would clash with one already in the directory.
func TestSeedDemoContentLeavesAUsedDatabaseAlone(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		if _, err := models.SeedDemo(ctx, db.Gorm); err != nil {
			t.Fatal(err)
		}
		campaigner, err := models.UserByEmail(ctx, db.Gorm, "campaigner@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.CreateTarget(ctx, db.Gorm, campaigner, models.TargetInput{Name: strp("Omar Marwan"), Title: strp("Minister of Justice"),
			Email: strp("justice.minister@example.org"), Country: strp("EG")}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := models.SeedDemoContent(ctx, db.Gorm, time.Now()); err != nil {
			t.Fatalf("seed on a used database: %v", err)
		}
		var docs int64
		if err := db.Gorm.Model(&models.Document{}).Count(&docs).Error; err != nil {
			t.Fatal(err)
		}
		if docs != 0 {
			t.Errorf("%d documents seeded into a used database, want none", docs)
		}
	})
}

// The demo content is all or nothing: a start that fails half-way (here the
// Urgent Action, the last part, has no series to number it) leaves no half
// demo behind to block the next start's seed.
func TestSeedDemoContentIsAllOrNothing(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		if _, err := models.SeedDemo(ctx, db.Gorm); err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Exec("DELETE FROM index_series WHERE code = ?", "UA").Error; err != nil {
			t.Fatal(err)
		}
		if err := models.SeedDemoContent(ctx, db.Gorm, time.Now()); err == nil {
			t.Fatal("the demo seeded an Urgent Action without its series")
		}
		for _, table := range []string{"documents", "petitions", "targets"} {
			var n int64
			if err := db.Gorm.Table(table).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%d %s left by a failed seed, want none", n, table)
			}
		}
	})
}
