package models

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// PostgreSQL's search: a generated, weighted tsvector per search row (GIN
// indexed), matched with websearch_to_tsquery in each row's own language
// configuration, ranked with ts_rank_cd, excerpted with ts_headline.

// searchConfigsInUse lists the text search configurations that indexed rows
// actually use (a loose index scan over (which, config): about a millisecond at
// any size). Parsing the query only in those, instead of every language
// Pressroom knows, keeps foreign stems from admitting rows that their own
// language then rejects: the difference between 20 ms and 650 ms for a word
// found nowhere at 100,000 releases.
func searchConfigsInUse(db *gorm.DB, which string) ([]string, error) {
	var configs []string
	err := db.Raw(`WITH RECURSIVE c AS (
	(SELECT config FROM search_entries WHERE which = ? ORDER BY config LIMIT 1)
	UNION ALL
	SELECT (SELECT e.config FROM search_entries e WHERE e.which = ? AND e.config > c.config ORDER BY e.config LIMIT 1)
	FROM c WHERE c.config IS NOT NULL
)
SELECT config::text FROM c WHERE config IS NOT NULL`, which, which).Scan(&configs).Error
	if err != nil {
		return nil, fmt.Errorf("models: search configurations: %w", err)
	}
	return configs, nil
}

// headlineOptions are ts_headline's: two short fragments around the matches.
const headlineOptions = "StartSel=" + markOpen + ", StopSel=" + markClose +
	`, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`

// bodyCandidateLimit bounds the rows search reads whole bodies of when the words
// are not in their headline or standfirst: checking a phrase against a long body
// is the expensive part of a search.
const bodyCandidateLimit = 500

func searchPostgres(db *gorm.DB, which string, pq parsedQuery, opts SearchOptions) ([]SearchHit, int, error) {
	configs := []string{SearchConfig(opts.Language)}
	if opts.Language == "" {
		if configs = opts.Configs; configs == nil {
			var err error
			if configs, err = searchConfigsInUse(db, which); err != nil {
				return nil, 0, err
			}
		}
		if len(configs) == 0 {
			return nil, 0, nil // nothing indexed yet
		}
	}
	// The exact words first. A prefix (the index-number form "4242:*") is
	// estimated by PostgreSQL at a few per cent of all rows whatever it is,
	// which makes reading the table in storage order look cheaper than the GIN
	// index; the exact words are estimated from the statistics, so a rare word
	// is looked up in the index. The prefix form runs only when the exact words
	// cannot fill the page asked for.
	if len(pq.clauses) > 0 {
		hits, total, err := searchPostgresQuery(db, which, pq, configs, false, opts)
		if err != nil || pq.indexKey == "" || total >= opts.Offset+opts.Limit {
			return hits, total, err
		}
	}
	return searchPostgresQuery(db, which, pq, configs, true, opts)
}

// searchPostgresQuery runs one search in the given configurations: the words
// alone, or the words or'ed with the index-number prefix.
func searchPostgresQuery(db *gorm.DB, which string, pq parsedQuery, configs []string, prefix bool, opts SearchOptions) ([]SearchHit, int, error) {
	q := pq.websearch()
	// queries holds the user's words parsed once per language in play (or'ed
	// with the index-number prefix when asked); each row is checked against its
	// own language's parse, looked up by config rather than parsed again per
	// row.
	perConfig := "websearch_to_tsquery(cfg, ?)"
	queryArgs := []any{q}
	if prefix {
		perConfig += " || to_tsquery('simple', ?)"
		queryArgs = append(queryArgs, pq.indexKey+":*")
	}
	placeholders := make([]string, len(configs))
	parts := make([]string, len(configs))
	var cfgArgs, anyArgs []any
	for i, c := range configs {
		placeholders[i] = "CAST(? AS regconfig)"
		cfgArgs = append(cfgArgs, c)
		parts[i] = strings.ReplaceAll(perConfig, "cfg", "CAST(? AS regconfig)")
		anyArgs = append(anyArgs, c)
		anyArgs = append(anyArgs, queryArgs...)
	}
	// The same constant inline in every condition (not a CTE reference): the
	// planner then sees the words and estimates how many rows match, choosing
	// the GIN index for rare words instead of a sequential scan.
	anyQuery := strings.Join(parts, " || ")
	source := pgCandidateSource(which, opts)
	// The index condition is the union of every language's parse: a constant,
	// so the GIN index can serve it. candidates stops at SearchCandidateLimit
	// matching, visible rows without sorting them: ranking every match of a word
	// found in most releases means reading every one of their tsvectors.
	sql := `WITH queries AS MATERIALIZED (
	SELECT cfg AS config, ` + perConfig + ` AS q
	FROM unnest(ARRAY[` + strings.Join(placeholders, ", ") + `]) AS cfg
), tier1 AS MATERIALIZED (
	SELECT ` + source.columns + `
	FROM ` + source.from + `
	WHERE ` + source.filters + ` AND e.head_tsv @@ (` + anyQuery + `)
	LIMIT ?
), tier2 AS MATERIALIZED (
	SELECT ` + source.columns + `
	FROM ` + source.from + `
	WHERE (SELECT count(*) FROM tier1) < ? AND ` + source.filters + ` AND e.tsv @@ (` + anyQuery + `) AND NOT e.head_tsv @@ (` + anyQuery + `)
	LIMIT ?
), candidates AS (
	SELECT * FROM tier1 UNION ALL SELECT * FROM tier2
), hits AS (
	SELECT c.document_id, c.config, qs.q, c.kind, c.slug, c.index_number, c.published_at, c.language, c.status, c.original_id,
		ts_rank_cd(c.tsv, qs.q) AS rank, count(*) OVER () AS total
	FROM candidates c
	JOIN queries qs ON qs.config = c.config
	WHERE c.tsv @@ qs.q
	ORDER BY ` + searchOrder + `
	LIMIT ? OFFSET ?
)
SELECT h.document_id, h.kind, h.slug, h.index_number, h.published_at, h.language, ` + source.hitStatus + `, h.rank, h.total,
	(SELECT count(*) FROM tier1) >= ? AND (SELECT count(*) FROM tier1) < ? AS more_in_bodies,
	e.headline, ts_headline(h.config, e.standfirst || E'\n' || e.body, h.q, ?) AS snippet
FROM hits h
JOIN search_entries e ON e.document_id = h.document_id AND e.which = ?
ORDER BY ` + searchOrder
	// Bodies are read only when headline matches cannot fill the page asked for.
	needed := opts.Offset + opts.Limit
	args := append(queryArgs, cfgArgs...)
	args = append(args, source.args...)
	args = append(args, anyArgs...)
	args = append(args, SearchCandidateLimit, needed)
	args = append(args, source.args...)
	args = append(args, anyArgs...)
	args = append(args, anyArgs...)
	args = append(args, bodyCandidateLimit, opts.Limit, opts.Offset, needed, SearchCandidateLimit, headlineOptions, which)
	var rows []searchRow
	if err := plannedEachTime(db).Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, 0, err
	}
	return collectHits(rows)
}

// plannedEachTime returns db with its statements sent as PostgreSQL's
// unnamed statement, which is planned for the values it is given every time.
// The driver otherwise prepares each statement once per connection, and after
// five executions PostgreSQL may switch a prepared statement to a generic plan
// made without the values: for search that plan assumes every word is rare and
// builds a bitmap of all the matches of a word found in most releases before
// its candidate limit. Still one round trip; gorm's callbacks and logger see
// the statement as usual.
func plannedEachTime(db *gorm.DB) *gorm.DB {
	tx := db.Session(&gorm.Session{Context: db.Statement.Context}) // its own statement
	tx.Statement.ConnPool = unnamedStatements{tx.Statement.ConnPool}
	return tx
}

// unnamedStatements passes pgx's per-query option to run each query as the
// unnamed statement (text-encoded arguments: strings, numbers and times here).
type unnamedStatements struct{ gorm.ConnPool }

func (u unnamedStatements) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return u.ConnPool.QueryContext(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
}

func (u unnamedStatements) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return u.ConnPool.QueryRowContext(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
}

func (u unnamedStatements) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return u.ConnPool.ExecContext(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
}

// pgSource is where PostgreSQL's candidate tiers read from: the columns each
// candidate carries (the same, by name, for either audience), the tables, the
// conditions with their arguments, and how a hit's status is reported.
type pgSource struct {
	columns, from, filters, hitStatus string
	args                              []any
}

// pgCandidateSource builds the candidate tiers' source for an audience. Public
// search reads the search rows alone: each public row carries its document's
// visibility and what a hit shows (migration 00045 keeps them in step with
// the document by triggers), so the newsroom's rule is applied, before any
// candidate limit, without a join for the planner to weigh. A translation is
// visible only while its original's own public row is. Staff search joins the
// documents, whose status it filters on.
func pgCandidateSource(which string, opts SearchOptions) pgSource {
	if which != searchPublic {
		filters, args := searchFilters(which, opts)
		return pgSource{
			columns:   "e.document_id, e.config, e.tsv, d.kind, d.slug, d.index_number, d.published_at, d.language, d.status, NULL::text AS original_id",
			from:      "search_entries e " + searchJoins,
			filters:   filters,
			hitStatus: "h.status",
			args:      args,
		}
	}
	var b strings.Builder
	// search_original_visible (migration 00045) looks the original's public
	// row up; the migration says why it is a function.
	b.WriteString(`e.which = 'public' AND e.public_from <= ? AND (e.original_id IS NULL OR search_original_visible(e.original_id, ?))`)
	args := narrowSearch(&b, []any{opts.Now, opts.Now}, "e", opts)
	return pgSource{
		columns: "e.document_id, e.config, e.tsv, e.kind, e.slug, e.doc_index AS index_number, e.published_at, e.language, e.doc_status AS status, e.original_id",
		from:    "search_entries e",
		filters: b.String(),
		// A translation of a withdrawn original is withdrawn too (the
		// newsroom's content rule).
		hitStatus: `CASE WHEN h.status = 'withdrawn' OR EXISTS (SELECT 1 FROM search_entries oe
			WHERE oe.document_id = h.original_id AND oe.which = 'public' AND oe.doc_status = 'withdrawn') THEN 'withdrawn' ELSE h.status END AS status`,
		args: args,
	}
}
