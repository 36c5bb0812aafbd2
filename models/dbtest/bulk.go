package dbtest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"pressroom/models"
)

// BulkNewsroom fills db with n published press releases (and their approved
// revisions and public search rows) in a few set-based statements, for the
// newsroom's plan test and load measurements: one release in ten is a French
// translation of the one before it, one in twenty belongs to a campaign, most
// mention the government, and each has a slug bulk-<i> and index number
// PRE 01/<i>/2025. Publication times run one minute apart back from latest.
// It ANALYZEs what it wrote: the plans of the next queries depend on it.
// logf, when not nil, hears how long each statement took.
func BulkNewsroom(ctx context.Context, db *models.DB, n int, latest time.Time, logf func(format string, args ...any)) error {
	var ids struct{ Author, Series, Workflow string }
	if err := db.Gorm.WithContext(ctx).Raw(`SELECT (SELECT id FROM users ORDER BY created_at LIMIT 1) AS author,
		(SELECT id FROM index_series ORDER BY code LIMIT 1) AS series, (SELECT id FROM workflows ORDER BY name LIMIT 1) AS workflow`).Scan(&ids).Error; err != nil {
		return fmt.Errorf("dbtest: bulk newsroom: %w", err)
	}
	if ids.Author == "" || ids.Series == "" || ids.Workflow == "" {
		return fmt.Errorf("dbtest: bulk newsroom: needs a user, an index series and a workflow first")
	}
	latest = latest.UTC().Truncate(time.Second)
	var stmts []string
	switch db.Dialect {
	case models.Postgres:
		seq := fmt.Sprintf("generate_series(1, %d) AS g(i)", n)
		at := fmt.Sprintf("(TIMESTAMPTZ '%s' - make_interval(mins => g.i))", latest.Format(time.RFC3339))
		// The version triggers would bump one row 100,000 times in this
		// statement; the bulk load bumps it once at the end instead.
		stmts = []string{
			`ALTER TABLE documents DISABLE TRIGGER USER`,
			`INSERT INTO campaigns (id, name, created_at) SELECT 'bulkcamp' || c, 'Bulk campaign ' || c, now() FROM generate_series(1, 20) AS c ON CONFLICT DO NOTHING`,
			fmt.Sprintf(`INSERT INTO documents (id, kind, language, original_id, campaign_id, series_id, workflow_id, author_id, status, current_revision, approved_revision,
				index_number, index_year, index_serial, slug, published_at, countries, themes, created_at, updated_at)
			SELECT 'bulk' || g.i, 'press_release', CASE WHEN g.i %% 10 = 0 THEN 'fr' ELSE 'en' END,
				CASE WHEN g.i %% 10 = 0 THEN 'bulk' || (g.i - 1) END, CASE WHEN g.i %% 20 = 1 THEN 'bulkcamp' || (g.i %% 400 / 20 + 1) END,
				'%[1]s', '%[2]s', '%[3]s', 'published', 1, 1,
				'PRE 01/' || CASE WHEN g.i %% 10 = 0 THEN g.i - 1 ELSE g.i END || '/2025', 2025, g.i, 'bulk-' || g.i, %[4]s,
				CASE WHEN g.i %% 7 = 0 THEN 'Freedonia' ELSE 'Sylvania' END, 'arms', %[4]s, %[4]s
			FROM %[5]s`, ids.Series, ids.Workflow, ids.Author, at, seq),
			fmt.Sprintf(`INSERT INTO revisions (id, document_id, number, headline, standfirst, dateline, body, content_hash, editor_id, created_at)
			SELECT 'bulkrev' || g.i, 'bulk' || g.i, 1, 'Release ' || g.i || CASE WHEN g.i %% 3 = 0 THEN ': arms transfers must stop' ELSE ': the government must act' END,
				'Standfirst of release ' || g.i || '.', 'LONDON', 'The government of Freedonia must release the prisoners held since ' || g.i || '. ' || 'Evidence gathered by researchers shows abuses.',
				md5('bulk' || g.i), '%[1]s', %[2]s
			FROM %[3]s`, ids.Author, at, seq),
			`INSERT INTO search_entries (document_id, which, revision, language, config, headline, standfirst, body, index_number, index_terms)
			SELECT d.id, 'public', 1, d.language, CASE d.language WHEN 'fr' THEN 'french' ELSE 'english' END::regconfig, r.headline, r.standfirst, r.body, d.index_number, ''
			FROM documents d JOIN revisions r ON r.document_id = d.id AND r.number = 1 WHERE d.id LIKE 'bulk%'`,
			`ALTER TABLE documents ENABLE TRIGGER USER`,
			`UPDATE newsroom_versions SET version = version + 1 WHERE id = 1`,
			`ANALYZE documents`, `ANALYZE revisions`, `ANALYZE search_entries`, `ANALYZE campaigns`,
		}
	case models.SQLite:
		// The same rows; times in the driver's text form, so that they compare
		// with bound times as stored ones do.
		seq := fmt.Sprintf("WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < %d)", n)
		at := fmt.Sprintf("(strftime('%%Y-%%m-%%d %%H:%%M:%%S', '%s', '-' || g.i || ' minutes') || '+00:00')", latest.Format("2006-01-02 15:04:05"))
		stmts = []string{
			`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20)
			INSERT OR IGNORE INTO campaigns (id, name, created_at) SELECT 'bulkcamp' || i, 'Bulk campaign ' || i, CURRENT_TIMESTAMP FROM c`,
			fmt.Sprintf(`%[5]s INSERT INTO documents (id, kind, language, original_id, campaign_id, series_id, workflow_id, author_id, status, current_revision, approved_revision,
				index_number, index_year, index_serial, slug, published_at, countries, themes, created_at, updated_at)
			SELECT 'bulk' || g.i, 'press_release', CASE WHEN g.i %% 10 = 0 THEN 'fr' ELSE 'en' END,
				CASE WHEN g.i %% 10 = 0 THEN 'bulk' || (g.i - 1) END, CASE WHEN g.i %% 20 = 1 THEN 'bulkcamp' || (g.i %% 400 / 20 + 1) END,
				'%[1]s', '%[2]s', '%[3]s', 'published', 1, 1,
				'PRE 01/' || CASE WHEN g.i %% 10 = 0 THEN g.i - 1 ELSE g.i END || '/2025', 2025, g.i, 'bulk-' || g.i, %[4]s,
				CASE WHEN g.i %% 7 = 0 THEN 'Freedonia' ELSE 'Sylvania' END, 'arms', %[4]s, %[4]s
			FROM g`, ids.Series, ids.Workflow, ids.Author, at, seq),
			fmt.Sprintf(`%[3]s INSERT INTO revisions (id, document_id, number, headline, standfirst, dateline, body, content_hash, editor_id, created_at)
			SELECT 'bulkrev' || g.i, 'bulk' || g.i, 1, 'Release ' || g.i || CASE WHEN g.i %% 3 = 0 THEN ': arms transfers must stop' ELSE ': the government must act' END,
				'Standfirst of release ' || g.i || '.', 'LONDON', 'The government of Freedonia must release the prisoners held since ' || g.i || '. ' || 'Evidence gathered by researchers shows abuses.',
				'bulk' || g.i, '%[1]s', %[2]s
			FROM g`, ids.Author, at, seq),
			`INSERT INTO search_entries (document_id, which, revision, language, headline, standfirst, body, index_number, index_terms)
			SELECT d.id, 'public', 1, d.language, r.headline, r.standfirst, r.body, d.index_number, ''
			FROM documents d JOIN revisions r ON r.document_id = d.id AND r.number = 1 WHERE d.id LIKE 'bulk%'`,
			`UPDATE newsroom_versions SET version = version + 1 WHERE id = 1`,
			`ANALYZE`,
		}
	default:
		return fmt.Errorf("dbtest: bulk newsroom: not written for %s", db.Dialect)
	}
	for _, s := range stmts {
		start := time.Now()
		if err := db.Gorm.WithContext(ctx).Exec(s).Error; err != nil {
			return fmt.Errorf("dbtest: bulk newsroom: %w", err)
		}
		if logf != nil {
			logf("bulk: %.70s… %s", strings.Join(strings.Fields(s), " "), time.Since(start).Round(time.Millisecond))
		}
	}
	return nil
}
