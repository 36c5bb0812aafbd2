package models

import (
	"context"
	"fmt"
	"html"
	"html/template"
	"slices"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"
)

// Full-text search of releases.
//
// Every document has up to two rows in search_entries: "staff" (its current
// revision, for the admin search, drafts included) and "public" (its approved
// revision, once it has one). IndexDocumentForSearch rebuilds both inside the
// transaction that changed the document, so the index never disagrees with a
// committed document. Whether a public row may be shown is decided when the
// query runs, by the newsroom's visibility rule (documents.status and
// published_at, and a translation's original's too): an embargoed
// release is indexed at approval and becomes findable the moment its embargo
// lifts, and a correction under review never leaks, because the public row holds
// the approved revision's words only. A withdrawn release's public row holds
// its headline and index number alone. On PostgreSQL each public row carries
// its document's status and published_at, copied by triggers in every
// transaction that writes either (migration 00045), and the rule is judged on
// them; SQLite joins the documents.
//
// PostgreSQL matches a generated, weighted tsvector (GIN-indexed) with
// websearch_to_tsquery in the document's language configuration; SQLite matches
// an FTS5 table kept in step by triggers. Both index the index number as runs of
// its parts ("pre01", "pre01001", "0012026", …) so an index number, in any
// spelling, or part of one finds its release.

// Search audiences: which row of search_entries a search reads.
const (
	searchPublic = "public"
	searchStaff  = "staff"
)

// Highlight sentinels: private-use characters that the indexer strips from all
// text, so in a snippet they can only be the engine's match markers. The snippet
// is HTML-escaped as a whole first and the sentinels become <mark> afterwards:
// nothing the author wrote can reach the page unescaped.
const (
	markOpen  = "\ue000"
	markClose = "\ue001"
)

// searchConfigs maps a language code (its primary subtag) to the PostgreSQL text
// search configuration that stems it. Anything else is indexed with 'simple'
// (lower-cased words, no stemming, no stop words).
var searchConfigs = map[string]string{
	"ar": "arabic", "da": "danish", "de": "german", "el": "greek", "en": "english",
	"es": "spanish", "fi": "finnish", "fr": "french", "ga": "irish", "hu": "hungarian",
	"id": "indonesian", "it": "italian", "lt": "lithuanian", "nb": "norwegian", "ne": "nepali",
	"nl": "dutch", "no": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian",
	"sv": "swedish", "ta": "tamil", "tr": "turkish",
}

// SearchConfig is the PostgreSQL text search configuration for a document
// language code such as "en", "fr" or "pt-BR"; unknown languages get "simple".
func SearchConfig(language string) string {
	primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(language)), "-")
	if c, ok := searchConfigs[primary]; ok {
		return c
	}
	return "simple"
}

// allSearchConfigs lists every configuration a row may carry, sorted so the
// generated SQL (and PostgreSQL's plan cache) is stable.
func allSearchConfigs() []string {
	seen := map[string]bool{"simple": true}
	out := []string{"simple"}
	for _, c := range searchConfigs {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// PublicSearchConfigs lists the text search configurations of the public
// search rows (none on SQLite, which has one tokenizer). They change only
// when a document is published, corrected or withdrawn, in the transaction
// that bumps the newsroom version, so a process may keep them per version and
// pass them as SearchOptions.Configs: a search then costs one statement.
func PublicSearchConfigs(ctx context.Context, db *gorm.DB) ([]string, error) {
	if db.Dialector.Name() != "postgres" {
		return nil, nil
	}
	return searchConfigsInUse(db.WithContext(ctx), searchPublic)
}

// SearchOptions narrows and pages a search.
type SearchOptions struct {
	// Language keeps documents in one language (a code such as "fr"); empty
	// means all.
	Language string
	// CampaignID keeps documents of one campaign; empty means all.
	CampaignID string
	// Status keeps documents in one status. Staff search only: public search
	// always shows exactly the public documents.
	Status Status
	// Limit is the page size: 20 when zero, at most 100.
	Limit int
	// Offset skips that many hits.
	Offset int
	// Now is the moment public visibility is judged at (embargoes lift at their
	// time); zero means the current time.
	Now time.Time
	// Configs, when not nil, are the text search configurations the rows
	// searched use (PublicSearchConfigs), which a caller may keep while they
	// cannot have changed; nil reads them for this search. PostgreSQL only.
	Configs []string
}

// SearchCandidateLimit caps how many matching documents PostgreSQL ranks for
// one query. Candidates come first from headline and standfirst matches (the
// best matches, and cheap to check); bodies are read, for at most
// bodyCandidateLimit more rows, only when those cannot fill the page asked for.
// A broad query therefore ranks the first SearchCandidateLimit headline matches
// it finds (in storage order) and reports a total that is a lower bound, which
// callers may show as "500+". SQLite ranks the SearchCandidateLimit matching
// entries indexed last.
const SearchCandidateLimit = 500

// MaxSearchLimit caps a page of search hits.
const MaxSearchLimit = 100

func (o *SearchOptions) normalise() {
	if o.Limit <= 0 {
		o.Limit = 20
	}
	if o.Limit > MaxSearchLimit {
		o.Limit = MaxSearchLimit
	}
	if o.Offset < 0 {
		o.Offset = 0
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC()
	o.Language = strings.ToLower(strings.TrimSpace(o.Language))
}

// SearchHit is one document found by a search.
type SearchHit struct {
	DocumentID  string
	Kind        Kind
	Slug        string // empty until the document is approved
	IndexNumber string // empty until the document is approved
	Headline    string // plain text: escape it like any other string
	// Snippet is an excerpt of the standfirst and body, HTML-escaped, with the
	// matched words in <mark>…</mark>: safe to render as it is.
	Snippet     template.HTML
	Rank        float64 // higher is better; comparable within one search only
	PublishedAt *time.Time
	Language    string
	Status      Status
}

// SearchPublic searches the releases readers may see at opts.Now (the
// newsroom's visibility rule: published or withdrawn, embargo lifted, and for a
// translation its original visible too), in the words that were approved. A
// withdrawn release is found by its headline or index number only, and its hit
// has no snippet: its public search row holds no other text. Hits come best
// first; total counts every hit, for paging. An empty query, or one
// with nothing to look for, finds nothing; no input is an error.
func SearchPublic(ctx context.Context, db *gorm.DB, q string, opts SearchOptions) ([]SearchHit, int, error) {
	opts.normalise()
	opts.Status = ""
	hits, total, err := search(ctx, db, searchPublic, q, opts)
	if err != nil {
		return nil, 0, fmt.Errorf("models: search public: %w", err)
	}
	for i := range hits {
		if hits[i].Status == StatusWithdrawn {
			hits[i].Snippet = "" // a withdrawn release shows no text, not even an excerpt
		}
	}
	return hits, total, nil
}

// SearchStaff searches every document, whatever its status, in the words of its
// current revision (drafts, releases in review and corrections under review
// included), for the admin search.
func SearchStaff(ctx context.Context, db *gorm.DB, q string, opts SearchOptions) ([]SearchHit, int, error) {
	opts.normalise()
	hits, total, err := search(ctx, db, searchStaff, q, opts)
	if err != nil {
		return nil, 0, fmt.Errorf("models: search staff: %w", err)
	}
	return hits, total, nil
}

func search(ctx context.Context, db *gorm.DB, which, q string, opts SearchOptions) ([]SearchHit, int, error) {
	pq := parseQuery(q)
	if pq.empty() {
		return nil, 0, nil
	}
	db = db.WithContext(ctx)
	if db.Dialector.Name() == "postgres" {
		return searchPostgres(db, which, pq, opts)
	}
	return searchSQLite(db, which, pq, opts)
}

// searchRow is what both engines' queries return per hit.
type searchRow struct {
	EntryID     int64 // SQLite: the FTS5 rowid, to fetch the page's snippets
	DocumentID  string
	Kind        Kind
	Slug        *string
	IndexNumber *string
	Headline    string
	PublishedAt *time.Time
	Language    string
	Status      Status
	Rank        float64
	Total       int
	// MoreInBodies: headline matches filled the page, so bodies were not read;
	// more matches may exist than Total counts.
	MoreInBodies bool
	Snippet      string
	Standfirst   string
	Body         string
}

func (r *searchRow) hit() SearchHit {
	h := SearchHit{DocumentID: r.DocumentID, Kind: r.Kind, Headline: r.Headline, Snippet: highlight(r.Snippet),
		Rank: r.Rank, PublishedAt: r.PublishedAt, Language: r.Language, Status: r.Status}
	if r.Slug != nil {
		h.Slug = *r.Slug
	}
	if r.IndexNumber != nil {
		h.IndexNumber = *r.IndexNumber
	}
	return h
}

// searchFilters returns the SQL conditions (over documents d and search_entries
// e), with their arguments, of SQLite's search and PostgreSQL's staff search
// (PostgreSQL's public search reads the search rows alone: pgCandidateSource).
func searchFilters(which string, opts SearchOptions) (string, []any) {
	var b strings.Builder
	args := []any{which}
	b.WriteString("e.which = ?")
	if which == searchPublic {
		// The newsroom's visibility rule, judged now rather than at indexing
		// time (o is the original, LEFT JOINed).
		visible, vargs := visibleSQL("d", "o", opts.Now)
		b.WriteString(" AND " + visible)
		args = append(args, vargs...)
	} else if opts.Status != "" {
		b.WriteString(" AND d.status = ?")
		args = append(args, opts.Status)
	}
	args = narrowSearch(&b, args, "d", opts)
	return b.String(), args
}

// narrowSearch adds the optional language and campaign conditions, over the
// table alias that holds them, to a search's conditions and arguments.
func narrowSearch(b *strings.Builder, args []any, alias string, opts SearchOptions) []any {
	if opts.Language != "" {
		b.WriteString(" AND " + alias + ".language = ?")
		args = append(args, opts.Language)
	}
	if opts.CampaignID != "" {
		b.WriteString(" AND " + alias + ".campaign_id = ?")
		args = append(args, opts.CampaignID)
	}
	return args
}

// searchStatus is the status a hit reports: for the public, a translation of a
// withdrawn original is withdrawn too (see the newsroom's content rule).
func searchStatus(which string) string {
	if which == searchPublic {
		return "CASE WHEN " + withdrawnSQL("d", "o") + " THEN 'withdrawn' ELSE d.status END AS status"
	}
	return "d.status"
}

// searchJoins joins a search entry e to its document d and d's original o.
const searchJoins = "JOIN documents d ON d.id = e.document_id LEFT JOIN documents o ON o.id = d.original_id"

// searchOrder breaks rank ties by recency, then id, so paging is stable.
const searchOrder = "rank DESC, published_at DESC NULLS LAST, document_id"

func searchSQLite(db *gorm.DB, which string, pq parsedQuery, opts SearchOptions) ([]SearchHit, int, error) {
	match := pq.fts5()
	filters, filterArgs := searchFilters(which, opts)
	// bm25 is lower for better matches; weights per column: headline,
	// standfirst, body, index number.
	// FTS5 refuses bm25() in a window query, so the matches are ranked in a
	// materialised CTE and counted outside it. The CTE stops at
	// SearchCandidateLimit matching, visible rows, read newest entry first
	// (FTS5 walks its rowids backwards without sorting): ranking every match
	// of a word most releases hold took 3–5 s at 100,000 releases, and a queue
	// of them on SQLite's one connection timed out. As on PostgreSQL, the total
	// is then a lower bound.
	sql := `WITH m AS MATERIALIZED (
		SELECT e.id AS entry_id, e.document_id, e.headline, d.kind, d.slug, d.index_number, d.published_at, d.language, ` + searchStatus(which) + `,
			-bm25(search_fts, 10.0, 4.0, 1.0, 10.0) AS rank
		FROM search_fts
		JOIN search_entries e ON e.id = search_fts.rowid
		` + searchJoins + `
		WHERE search_fts MATCH ? AND ` + filters + `
		ORDER BY search_fts.rowid DESC
		LIMIT ?
	)
	SELECT p.*, s.standfirst, s.body FROM (
		SELECT m.*, count(*) OVER () AS total FROM m
		ORDER BY ` + searchOrder + `
		LIMIT ? OFFSET ?
	) p JOIN search_entries s ON s.id = p.entry_id
	ORDER BY ` + searchOrder
	args := append([]any{match}, filterArgs...)
	args = append(args, SearchCandidateLimit, opts.Limit, opts.Offset)
	var rows []searchRow
	if err := db.Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, 0, err
	}
	// Snippets only for the page, from the text just read (search_snippet.go
	// says why not FTS5's snippet()).
	m := newSnippetMatcher(pq.snippetWords())
	for i := range rows {
		rows[i].Snippet = goSnippet(rows[i].Standfirst, rows[i].Body, m)
	}
	return collectHits(rows)
}

func collectHits(rows []searchRow) ([]SearchHit, int, error) {
	if len(rows) == 0 {
		return nil, 0, nil
	}
	hits := make([]SearchHit, len(rows))
	for i := range rows {
		hits[i] = rows[i].hit()
	}
	total := rows[0].Total
	if rows[0].MoreInBodies {
		total++ // at least one more may be in a body: offer the next page
	}
	return hits, total, nil
}

// highlight escapes an engine's snippet for HTML and only then turns the match
// sentinels into <mark> elements, dropping any that do not pair up.
func highlight(s string) template.HTML {
	var b strings.Builder
	open := false
	for _, part := range splitKeep(html.EscapeString(strings.TrimSpace(s))) {
		switch part {
		case markOpen:
			if !open {
				b.WriteString("<mark>")
				open = true
			}
		case markClose:
			if open {
				b.WriteString("</mark>")
				open = false
			}
		default:
			b.WriteString(part)
		}
	}
	if open {
		b.WriteString("</mark>")
	}
	return template.HTML(b.String()) //nolint:gosec // escaped above; only our own <mark> tags are added
}

// splitKeep splits s around the sentinels, keeping them as parts.
func splitKeep(s string) []string {
	var parts []string
	for {
		i := strings.IndexAny(s, markOpen+markClose)
		if i < 0 {
			if s != "" {
				parts = append(parts, s)
			}
			return parts
		}
		if i > 0 {
			parts = append(parts, s[:i])
		}
		parts = append(parts, s[i:i+len(markOpen)]) // both sentinels are 3 bytes in UTF-8
		s = s[i+len(markOpen):]
	}
}

// parsedQuery is a user's query reduced to what both engines can run safely:
// alternatives (clauses joined by OR), each a set of terms that must all match
// and terms that must not, plus the letters and digits of an index number when
// the query may be one. The precedence is websearch_to_tsquery's: OR binds
// loosest, so "a b or c" is (a AND b) OR c on both engines.
type parsedQuery struct {
	clauses  []queryClause
	indexKey string // lower-case, [a-z0-9] only; empty when the query has no digit
}

// queryClause is one alternative of a query; a term with a space is a phrase.
type queryClause struct {
	pos, neg []string
}

func (p parsedQuery) empty() bool { return len(p.clauses) == 0 && p.indexKey == "" }

// parseQuery reads websearch-style syntax: words, "quoted phrases", -excluded
// words and OR between alternatives. Everything else is punctuation to ignore,
// and an alternative with nothing to look for (only exclusions) is dropped: it
// would match nearly every document. No input makes it fail.
func parseQuery(q string) parsedQuery {
	var p parsedQuery
	if len(q) > 1000 {
		q = q[:1000] // a search box, not a document
	}
	q = strings.ToValidUTF8(q, " ")
	rs := []rune(q)
	var cur queryClause
	flush := func() {
		if len(cur.pos) > 0 {
			p.clauses = append(p.clauses, cur)
		}
		cur = queryClause{}
	}
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		neg := false
		if rs[i] == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			neg = true
			i++
		}
		var raw string
		phrase := false
		if rs[i] == '"' {
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			raw, phrase = string(rs[i+1:j]), true
			i = min(j+1, len(rs))
		} else {
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && rs[j] != '"' {
				j++
			}
			raw = string(rs[i:j])
			i = j
		}
		if !phrase && !neg && strings.EqualFold(raw, "or") {
			flush()
			continue
		}
		term := strings.Join(words(raw), " ")
		switch {
		case term == "":
		case neg:
			cur.neg = append(cur.neg, term)
		default:
			cur.pos = append(cur.pos, term)
		}
	}
	flush()
	if strings.ContainsAny(q, "0123456789") {
		if key := strings.ToLower(IndexKey(q)); len(key) >= 2 {
			p.indexKey = key
		}
	}
	return p
}

// words splits a term into runs of letters and digits: what both engines'
// tokenizers keep, so a term can never carry syntax.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mn, r)
	})
}

// websearch renders the query for websearch_to_tsquery: every term quoted, so
// the parse is exactly the clauses above.
func (p parsedQuery) websearch() string {
	var alts []string
	for _, c := range p.clauses {
		var terms []string
		for _, t := range c.pos {
			terms = append(terms, `"`+t+`"`)
		}
		for _, t := range c.neg {
			terms = append(terms, `-"`+t+`"`)
		}
		alts = append(alts, strings.Join(terms, " "))
	}
	return strings.Join(alts, " or ")
}

// fts5 renders the query as an FTS5 MATCH expression. Every term is a quoted
// string, so FTS5 keywords and operators in the input are only words.
func (p parsedQuery) fts5() string {
	quote := func(ts []string) []string {
		out := make([]string, len(ts))
		for i, t := range ts {
			out[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
		}
		return out
	}
	var alts []string
	for _, c := range p.clauses {
		a := "(" + strings.Join(quote(c.pos), " AND ") + ")"
		if len(c.neg) > 0 {
			a += " NOT (" + strings.Join(quote(c.neg), " OR ") + ")"
		}
		alts = append(alts, "("+a+")")
	}
	if p.indexKey != "" {
		alts = append(alts, `({index_terms} : "`+p.indexKey+`" *)`)
	}
	return strings.Join(alts, " OR ")
}
