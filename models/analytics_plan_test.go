package models_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// scansOf lists the sequential scans of the given tables in an EXPLAIN
// (FORMAT JSON) plan.
func scansOf(node map[string]any, tables map[string]bool, out *[]string) {
	if node["Node Type"] == "Seq Scan" {
		if rel, _ := node["Relation Name"].(string); tables[rel] {
			*out = append(*out, rel)
		}
	}
	plans, _ := node["Plans"].([]any)
	for _, p := range plans {
		if m, ok := p.(map[string]any); ok {
			scansOf(m, tables, out)
		}
	}
}

// TestAnalyticsQueriesUseIndexes: with 200,000 signatures over 200 petitions (two
// of them in the measured campaign)
// and 50,000 letters on PostgreSQL, the analytics of one campaign, one
// petition and one action (over time, by country, per send) read signatures
// and letters through their indexes, never by scanning the tables.
func TestAnalyticsQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("needs PostgreSQL (TEST_DATABASE_URL)")
	}
	db := dbtest.New(t, models.Postgres)
	ctx := context.Background()
	o := newOrg(t, db)
	cp, err := models.CreateCampaign(ctx, db.Gorm, o.campaigner, "Measured", "")
	if err != nil {
		t.Fatal(err)
	}
	alert, err := models.CreateDocument(ctx, db.Gorm, o.campaigner, models.DocumentInput{Kind: models.KindActionAlert, Headline: ptr("Alert"), CampaignID: &cp.ID}, o.now)
	if err != nil {
		t.Fatal(err)
	}
	sendID := models.NewID()
	for _, q := range []string{
		`INSERT INTO campaigns (id, name, slug, description, created_at) SELECT 'camp' || g, 'Campaign ' || g, 'campaign-' || g, '', now() FROM generate_series(1, 19) g`,
		`INSERT INTO petitions (id, slug, campaign_id, title, target, demand, body, goal, language, status, created_at, updated_at)
		 SELECT 'pet' || g, 'pet-' || g, CASE WHEN g <= 2 THEN '` + cp.ID + `' ELSE 'camp' || (g % 19 + 1) END, 'P', 'T', 'D', '', 0, 'en', 'open', now(), now()
		 FROM generate_series(1, 200) g`,
		`INSERT INTO sends (id, document_id, kind, revision, subject, schedule, status, recipients, created_at, updated_at)
		 VALUES ('` + sendID + `', '` + alert.ID + `', 'action_alert', 1, '', 'now', 'sent', 1000, now(), now())`,
		`INSERT INTO signatures (id, petition_id, name, email, normalised_email, email_domain, country, state, created_at, confirmed_at, send_id)
		 SELECT 'sig' || g, 'pet' || (g % 200 + 1), 'N', 's' || g || '@example.org', 's' || g || '@example.org', 'example.org',
		        (ARRAY['GB','FR','DE','KE'])[g % 4 + 1], CASE WHEN g % 10 = 0 THEN 'pending' ELSE 'confirmed' END,
		        now() - (g || ' minutes')::interval, CASE WHEN g % 10 = 0 THEN NULL ELSE now() - (g || ' minutes')::interval END,
		        CASE WHEN g % 7 = 0 THEN '` + sendID + `' END
		 FROM generate_series(1, 200000) g`,
		`INSERT INTO documents (id, kind, language, series_id, workflow_id, author_id, status, current_revision, created_at, updated_at)
		 SELECT 'doc' || g, 'action_alert', 'en', series_id, workflow_id, author_id, 'draft', 1, now(), now() FROM documents, generate_series(1, 200) g WHERE id = '` + alert.ID + `'`,
		`INSERT INTO letters (id, document_id, name, email, normalised_email, country, subject, body, state, created_at, confirmed_at, send_id)
		 SELECT 'let' || g, CASE WHEN g % 100 = 0 THEN '` + alert.ID + `' ELSE 'doc' || (g % 200 + 1) END, 'N', 'l' || g || '@example.org', 'l' || g || '@example.org',
		        'GB', 'S', 'B', 'confirmed', now(), now() - (g || ' minutes')::interval, CASE WHEN g % 3 = 0 THEN '` + sendID + `' END
		 FROM generate_series(1, 50000) g`,
		`ANALYZE`,
	} {
		if err := db.Gorm.Exec(q).Error; err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	var log statementLog
	log.attach(t, db.Gorm)
	pet, err := models.PetitionByID(ctx, db.Gorm, "pet3")
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]bool{"signatures": true, "letters": true}
	for _, q := range []struct {
		name string
		run  func() (*models.Analytics, error)
	}{
		{"campaign", func() (*models.Analytics, error) { return models.CampaignAnalytics(ctx, db.Gorm, cp.ID) }},
		{"petition", func() (*models.Analytics, error) { return models.PetitionAnalytics(ctx, db.Gorm, pet) }},
		{"action", func() (*models.Analytics, error) { return models.ActionAnalytics(ctx, db.Gorm, alert) }},
	} {
		log.take()
		start := time.Now()
		a, err := q.run()
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		t.Logf("%s analytics: %d signatures, %d letters, %d buckets, in %s", q.name, a.Signatures, a.Letters, len(a.Series), time.Since(start).Round(time.Millisecond))
		if a.Signatures+a.Letters == 0 || (q.name != "petition" && len(a.Sends) == 0) {
			t.Fatalf("%s: empty figures: %d signatures, %d letters, %d sends", q.name, a.Signatures, a.Letters, len(a.Sends))
		}
		for _, s := range log.take() {
			// Only the statements that read signatures or letters; the
			// scope subqueries are logged on their own too, unbound.
			if !strings.HasPrefix(strings.TrimSpace(strings.ToUpper(s.sql)), "SELECT") || !(strings.Contains(s.sql, `"signatures"`) || strings.Contains(s.sql, `"letters"`)) {
				continue
			}
			var plan string
			if err := db.SQL.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+s.sql, s.vars...).Scan(&plan); err != nil {
				t.Fatalf("%s: explain: %v\n%s", q.name, err, s.sql)
			}
			var root []map[string]any
			if err := json.Unmarshal([]byte(plan), &root); err != nil || len(root) == 0 {
				t.Fatalf("%s: plan: %v", q.name, err)
			}
			var seqs []string
			scansOf(root[0]["Plan"].(map[string]any), tables, &seqs)
			if len(seqs) > 0 {
				t.Errorf("%s: sequential scan of %v\n%s\n%s", q.name, seqs, s.sql, plan)
			}
		}
	}
}
