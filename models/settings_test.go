package models_test

import (
	"context"
	"testing"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestDemoDataHasADefaultSupporterList: the demo organisation is named and its
// plain signups join a list that exists, so a newcomer's "Get our alerts" works.
func TestDemoDataHasADefaultSupporterList(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		set, err := models.SiteSettingsOf(ctx, db.Gorm)
		if err != nil || set.OrganisationName != models.DefaultOrganisationName || set.DefaultSupporterListID != "" {
			t.Fatalf("before seeding: %+v %v", set, err)
		}
		if _, err := models.SeedDemo(ctx, db.Gorm); err != nil {
			t.Fatal(err)
		}
		if set, err = models.SiteSettingsOf(ctx, db.Gorm); err != nil || set.OrganisationName == models.DefaultOrganisationName {
			t.Fatalf("after seeding: %+v %v", set, err)
		}
		l, err := models.SupporterListByID(ctx, db.Gorm, set.DefaultSupporterListID)
		if err != nil || l.Name != "Alerts" {
			t.Fatalf("default list %q: %v", set.DefaultSupporterListID, err)
		}
	})
}
