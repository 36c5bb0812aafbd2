package models_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// benchWords are the content words releases are written from; their order is
// their frequency rank (a Zipf draw favours the first). Generated words extend
// the vocabulary with a long tail of rare names and terms.
var benchWords = strings.Fields(`government authorities people rights human security forces prisoners release
detention trial court justice international police protest protesters country women children refugees
military attack attacks civilians violence torture death killed arrested report evidence investigation
law laws freedom expression journalists activists defenders minister president officials war conflict
arms transfer transfers weapons embargo sanctions ceasefire humanitarian aid access border camps
families victims survivors witnesses abuses crimes accountability impunity election elections opposition
media internet shutdown surveillance spyware asylum deportation migrants detained detainees sentence
sentenced execution executions penalty prison prisons conditions health water food housing eviction
evictions land indigenous communities climate environment oil mining company companies corporate
discrimination gender equality abortion marriage students university teachers workers strike union
unions wages labour forced disappearance disappeared enforced abducted hostages airstrike airstrikes
bombing shelling hospital hospitals schools destroyed displaced occupation settlements blockade famine
starvation genocide cleansing massacre mass graves exhumation forensic tribunal referral icc warrant
extradition asset freeze dialogue negotiations peace agreement monitors observers mission council
resolution vote veto delegation statement appeal urgent action petition letter signatures campaign`)

var benchPlaces = strings.Fields(`Freedonia Sylvania Arkham Latveria Genovia Wakanda Zubrowka Krakozhia Elbonia Qumar
Bozatta Kyrat Tazbekistan Panau Novistrana Ruritania Grand-Fenwick Markovia Sokovia Pottsylvania`)

var benchStop = strings.Fields(`the of and to in a for on that is was with by as at from has have it be are this
were which their they its an or been not but who will said would after more than also had into`)

// benchVocabulary returns the words of the benchmark corpus, most frequent
// first: the domain words, then places, then a long tail of invented names.
func benchVocabulary(r *rand.Rand) []string {
	v := slices.Clone(benchWords)
	v = append(v, benchPlaces...)
	syll := strings.Fields("ka ri mo ta lu sen dar vo bel qua zim nor tel ash gan pe lo vik ra mun sa dek ol")
	seen := map[string]bool{}
	for _, w := range v {
		seen[w] = true
	}
	for len(v) < 6000 {
		var b strings.Builder
		for n := 2 + r.IntN(3); n > 0; n-- {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			v = append(v, w)
		}
	}
	return v
}

type benchText struct {
	vocab []string
	zipf  *rand.Zipf
	r     *rand.Rand
}

func (g *benchText) word() string { return g.vocab[g.zipf.Uint64()] }

// sentence mixes content words with function words, as prose does.
func (g *benchText) sentence(n int) string {
	ws := make([]string, 0, n*2)
	for i := 0; i < n; i++ {
		if g.r.IntN(3) > 0 {
			ws = append(ws, benchStop[g.r.IntN(len(benchStop))])
		}
		ws = append(ws, g.word())
	}
	s := strings.Join(ws, " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// BenchmarkSearchPublic100k measures public search latency on PostgreSQL with
// 100,000 published releases: p50, p95 and p99 over a mix of one-word, two-word,
// phrase, excluding, place and index-number queries. Target: p95 ≤ 25 ms. It
// needs TEST_DATABASE_URL. The corpus is loaded once, outside the measured
// sub-benchmark (staff rows are left out: they have their own partial index and
// public search never reads them).
func BenchmarkSearchPublic100k(b *testing.B) {
	if os.Getenv(dbtest.EnvURL) == "" {
		b.Skip("needs " + dbtest.EnvURL + " (PostgreSQL)")
	}
	const n = 100_000
	ctx := context.Background()
	db := dbtest.New(b, models.Postgres)
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Now()

	if _, err := models.CreateGroup(ctx, db.Gorm, "Press desk", ""); err != nil {
		b.Fatal(err)
	}
	author, err := models.CreateUser(ctx, db.Gorm, models.NewUserInput{Email: "press@example.org", Name: "Press", Role: models.RolePressOfficer, Password: "long enough password"})
	if err != nil {
		b.Fatal(err)
	}
	series, err := models.CreateSeries(ctx, db.Gorm, models.SeriesInput{Code: "PRE 01", Name: "Press", Format: "{code}/{serial:03}/{year}", Kind: "press_release"})
	if err != nil {
		b.Fatal(err)
	}
	wf, err := models.SaveWorkflow(ctx, db.Gorm, models.WorkflowInput{Name: "Standard", IsDefault: true, Steps: []models.StepInput{{Group: "Press desk", ApprovalsNeeded: 1}}})
	if err != nil {
		b.Fatal(err)
	}

	vocab := benchVocabulary(r)
	g := &benchText{vocab: vocab, zipf: rand.NewZipf(r, 1.07, 2, uint64(len(vocab)-1)), r: r}
	langs := []string{"en", "en", "en", "en", "en", "en", "fr", "es", "ar", "de"}
	base := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
	var docs, revs, entries [][]any
	var indexNumbers []string
	flushAll := func() {
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		// Documents first (the others reference them), then the rest in parallel.
		if err := benchInsert(ctx, db, "documents", []string{"id", "kind", "language", "series_id", "workflow_id", "author_id", "status",
			"current_revision", "approved_revision", "index_number", "index_year", "index_serial", "slug", "published_at", "created_at", "updated_at"}, nil, docs); err != nil {
			b.Fatal(err)
		}
		for _, job := range []struct {
			table string
			cols  []string
			casts map[string]string
			rows  [][]any
		}{
			{"revisions", []string{"id", "document_id", "number", "headline", "standfirst", "body", "content_hash", "editor_id", "created_at"}, nil, revs},
			{"search_entries", []string{"document_id", "which", "revision", "language", "config", "headline", "standfirst", "body", "index_number", "index_terms"},
				map[string]string{"config": "regconfig"}, entries},
		} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := benchInsert(ctx, db, job.table, job.cols, job.casts, job.rows); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		docs, revs, entries = docs[:0], revs[:0], entries[:0]
	}
	for i := 0; i < n; i++ {
		id := models.NewID()
		lang := langs[r.IntN(len(langs))]
		published := base.Add(time.Duration(r.Int64N(int64(8 * 365 * 24 * time.Hour))))
		year := published.Year()
		index := models.FormatIndex(series.Format, series.Code, i+1, year)
		indexNumbers = append(indexNumbers, index)
		place := benchPlaces[r.IntN(len(benchPlaces))]
		headline := strings.TrimSuffix(g.sentence(3+r.IntN(4)), ".") + " in " + place
		standfirst := g.sentence(10 + r.IntN(10))
		var body strings.Builder
		for p := 2 + r.IntN(4); p > 0; p-- {
			for s := 2 + r.IntN(3); s > 0; s-- {
				body.WriteString(g.sentence(6 + r.IntN(10)))
				body.WriteString(" ")
			}
			if r.IntN(4) == 0 {
				body.WriteString("**" + place + "** ")
			}
			body.WriteString("\n\n")
		}
		md := body.String()
		slug := fmt.Sprintf("release-%d-%s", i, strings.ToLower(models.IndexPath(index)))
		docs = append(docs, []any{id, "press_release", lang, series.ID, wf.ID, author.ID, "published", 1, 1, index, year, i + 1, slug, published, published, published})
		revs = append(revs, []any{models.NewID(), id, 1, headline, standfirst, md, fmt.Sprintf("%064d", i), author.ID, published})
		plain := models.PlainText(md)
		entries = append(entries, []any{id, "public", 1, lang, models.SearchConfig(lang), headline, standfirst, plain, index, models.IndexTerms(index)})
		if len(docs) == 5000 {
			flushAll()
			if (i+1)%25000 == 0 {
				b.Logf("%d releases loaded after %s", i+1, time.Since(start).Round(time.Second))
			}
		}
	}
	flushAll()
	if err := db.Gorm.Exec("VACUUM ANALYZE search_entries").Error; err != nil {
		b.Fatal(err)
	}
	if err := db.Gorm.Exec("VACUUM ANALYZE documents").Error; err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d releases in %s", n, time.Since(start).Round(time.Second))

	// The query mix: what people type into a newsroom search box.
	var queries []string
	pick := func(lo, hi int) string { return vocab[lo+r.IntN(hi-lo)] }
	for len(queries) < 400 {
		switch k := r.IntN(10); {
		case k < 3: // one topic word, any frequency
			queries = append(queries, g.word())
		case k < 5: // two words
			queries = append(queries, g.word()+" "+g.word())
		case k < 6: // a place and a topic
			queries = append(queries, benchPlaces[r.IntN(len(benchPlaces))]+" "+pick(0, len(benchWords)))
		case k < 7: // a quoted phrase
			queries = append(queries, `"`+g.word()+" "+g.word()+`"`)
		case k < 8: // exclusion
			queries = append(queries, g.word()+" -"+g.word())
		case k < 9: // an index number, full or in part
			in := indexNumbers[r.IntN(len(indexNumbers))]
			if r.IntN(2) == 0 {
				in = models.IndexPath(in)[4:]
			}
			queries = append(queries, in)
		default: // a rare name
			queries = append(queries, pick(len(benchWords)+len(benchPlaces), len(vocab)))
		}
	}
	now := time.Now()
	b.Run("mix", func(b *testing.B) { benchSearchMix(ctx, b, db, queries, now) })
}

func benchSearchMix(ctx context.Context, b *testing.B, db *models.DB, queries []string, now time.Time) {
	search := func(q string) (int, time.Duration) {
		t0 := time.Now()
		_, total, err := models.SearchPublic(ctx, db.Gorm, q, models.SearchOptions{Now: now})
		if err != nil {
			b.Fatalf("%q: %v", q, err)
		}
		return total, time.Since(t0)
	}
	for _, q := range queries { // warm the caches, as a running server's are
		search(q)
	}
	lat := make([]time.Duration, 0, b.N)
	var worst time.Duration
	var worstQ string
	var hits int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := queries[i%len(queries)]
		total, d := search(q)
		lat = append(lat, d)
		hits += total
		if d > worst {
			worst, worstQ = d, q
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
	b.Logf("slowest: %q in %s", worstQ, worst)
}

// benchInsert loads rows with multi-row INSERTs of a few hundred rows each.
func benchInsert(ctx context.Context, db *models.DB, table string, cols []string, casts map[string]string, rows [][]any) error {
	per := 60000 / len(cols)
	for len(rows) > 0 {
		chunk := rows[:min(per, len(rows))]
		rows = rows[len(chunk):]
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, len(chunk)*len(cols))
		for i, row := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(")
			for j, v := range row {
				if j > 0 {
					sb.WriteString(", ")
				}
				args = append(args, v)
				fmt.Fprintf(&sb, "$%d", len(args))
				if c := casts[cols[j]]; c != "" {
					sb.WriteString("::" + c)
				}
			}
			sb.WriteString(")")
		}
		if _, err := db.Pool.Exec(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}
