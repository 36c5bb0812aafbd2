package models_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// TestSignatureIndexesStayLean: a new signature writes an index entry only
// where a query looks its key up. The supporter and invalidation indexes hold
// only rows that have one (a new signature has neither), the (petition, ip,
// created_at) duplicate of (ip, created_at) is gone, and with 200,000
// signatures over 200 petitions from 2,000 IPs on PostgreSQL every query that
// names an IP, a supporter or an invalidation still reads signatures through
// an index.
func TestSignatureIndexesStayLean(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("needs PostgreSQL (TEST_DATABASE_URL)")
	}
	db := dbtest.New(t, models.Postgres)
	ctx := context.Background()
	defs := map[string]string{}
	rows, err := db.SQL.QueryContext(ctx, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'signatures'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			t.Fatal(err)
		}
		defs[name] = def
	}
	rows.Close()
	for _, name := range []string{"signatures_supporter_idx", "signatures_invalidation_idx"} {
		if !strings.Contains(defs[name], "IS NOT NULL") {
			t.Errorf("%s indexes every signature: %q", name, defs[name])
		}
	}
	if def, ok := defs["signatures_petition_ip_idx"]; ok {
		t.Errorf("signatures_petition_ip_idx still written for every signature: %q", def)
	}

	for _, q := range []string{
		`INSERT INTO petitions (id, slug, title, target, demand, body, goal, language, status, created_at, updated_at)
		 SELECT 'pet' || g, 'pet-' || g, 'P', 'T', 'D', '', 0, 'en', 'open', now(), now() FROM generate_series(1, 200) g`,
		`INSERT INTO signatures (id, petition_id, name, email, normalised_email, email_domain, country, state, ip, created_at, invalidation_id)
		 SELECT 'sig' || g, 'pet' || (g % 200 + 1), 'N', 's' || g || '@example.org', 's' || g || '@example.org', 'example.org', 'GB',
		        CASE WHEN g % 500 = 0 THEN 'invalidated' ELSE 'pending' END, '10.0.' || (g % 2000 / 250) || '.' || (g % 250),
		        now() - (g || ' seconds')::interval, CASE WHEN g % 500 = 0 THEN 'inv1' END
		 FROM generate_series(1, 200000) g`,
		`ANALYZE`,
	} {
		if err := db.Gorm.Exec(q).Error; err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	// The statements of abuseState, batchIPCounts, an invalidation by IP and
	// its reversal, and a supporter's export and erasure.
	for _, s := range []struct {
		name, sql string
		vars      []any
	}{
		{"flood ceiling", `SELECT count(*) FROM signatures WHERE ip = $1 AND created_at > now() - interval '1 minute'`, []any{"10.0.3.7"}},
		{"per-petition rate", `SELECT count(*) FROM signatures WHERE petition_id = $1 AND ip = $2 AND created_at > now() - interval '1 hour'`, []any{"pet8", "10.0.3.7"}},
		{"batch IP counts", `SELECT petition_id, ip, COUNT(*) AS n FROM signatures WHERE ip IN ($1, $2) AND created_at > now() - interval '1 hour' GROUP BY petition_id, ip`, []any{"10.0.3.7", "10.0.1.9"}},
		{"invalidation by IP", `SELECT id FROM signatures WHERE petition_id = $1 AND state <> 'invalidated' AND ip = $2`, []any{"pet8", "10.0.3.7"}},
		{"invalidation reversed", `SELECT id FROM signatures WHERE invalidation_id = $1 AND state = 'invalidated'`, []any{"inv1"}},
		{"supporter export", `SELECT id FROM signatures WHERE signatures.supporter_id = $1 OR signatures.email = $2`, []any{"sup1", "s42@example.org"}},
		{"confirmation link", `SELECT id FROM signatures WHERE token_hash = $1`, []any{"nosuchhash"}},
	} {
		var plan string
		if err := db.SQL.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+s.sql, s.vars...).Scan(&plan); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var root []map[string]any
		if err := json.Unmarshal([]byte(plan), &root); err != nil || len(root) == 0 {
			t.Fatalf("%s: plan %q: %v", s.name, plan, err)
		}
		var seqs []string
		scansOf(root[0]["Plan"].(map[string]any), map[string]bool{"signatures": true}, &seqs)
		if len(seqs) > 0 {
			t.Errorf("%s scans %v:\n%s", s.name, seqs, plan)
		}
	}
}
