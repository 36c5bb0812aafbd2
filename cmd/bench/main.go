// Command bench prints Pressroom's performance table in one run: it builds a
// database of its own (100,000 published releases, a petition, supporters; the
// admin pages get one of 10,000 releases and 100,000 contacts),
// serves the application in process on loopback, drives each measurement with
// load generated from Go (bounded in calls and time), measures the baseline of
// each row in the same run, drops what it built and prints one table with the
// machine's facts.
//
//	go run ./cmd/bench postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
//	go run ./cmd/bench sqlite:            (a temporary file)
//	go run ./cmd/bench sqlite:/tmp/b.db   (a file that must not exist yet)
//	go run ./cmd/bench -rows send -recipients 50000 postgres://…   (the send rows, small)
//
// Rows whose code belongs to other parts of the system (signing) go through
// the public HTTP API, so that improvements there show up here unchanged.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"pressroom/app"
	"pressroom/internal/benchkit"
	"pressroom/jobs"
	"pressroom/migrations"
	"pressroom/models"
	"pressroom/models/dbtest"
)

func main() {
	// Interrupted, the run stops its load and still drops what it built.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// row is one line of the table.
type row struct {
	measurement, figure, baseline, ratio, target, met string
}

// opts are the run's bounds.
type opts struct {
	n        int           // published releases
	d        time.Duration // per load run
	clients  int           // concurrent clients for the newsroom rows
	signN    int           // signatures per concurrency level
	recips   int           // mailboxes of the send rows' audience
	inFlight int           // requests in flight for the 200 ms send
	cpuProf  string        // CPU profile of the first timed send, "" for none
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	o := opts{}
	fs.IntVar(&o.n, "n", 100_000, "published releases")
	fs.DurationVar(&o.d, "d", 3*time.Second, "duration of each load run (capped at 30s)")
	fs.IntVar(&o.clients, "c", 32, "concurrent clients for the newsroom and search rows")
	fs.IntVar(&o.signN, "signatures", 2000, "signatures per concurrency level (and as many plain inserts)")
	fs.IntVar(&o.recips, "recipients", 1_000_000, "mailboxes of the send rows' audience")
	fs.IntVar(&o.inFlight, "in-flight", 32, "send requests in flight for the 200 ms send (SENDS_IN_FLIGHT: also the most a crash can duplicate without the Event Webhook)")
	fs.StringVar(&o.cpuProf, "send-cpuprofile", "", "write a Go CPU profile of the first timed send alone (not the audience, the floor or the check of what was sent) to this file")
	only := fs.String("rows", "news,search,sign,import,embargo,send,admin", "which groups of rows to measure")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured rows (not the data build) to this file")
	dbFlag := fs.String("db", "", "PostgreSQL server URL (a database is created on it and dropped) or sqlite:[path]; may be given as the argument instead")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dbURL := *dbFlag
	if dbURL == "" && fs.NArg() > 0 {
		dbURL = fs.Arg(0)
	}
	if dbURL == "" {
		dbURL = os.Getenv("TEST_DATABASE_URL")
	}
	if dbURL == "" {
		return errors.New("give a PostgreSQL URL or sqlite:[path]")
	}
	o.d = min(o.d, 30*time.Second)
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute) // a hard stop, whatever the machine
	defer cancel()

	db, cleanup, err := benchkit.OpenFresh(ctx, dbURL, "bench")
	if err != nil {
		return err
	}
	defer cleanup()
	if _, err := migrations.Up(ctx, db.SQL, string(db.Dialect)); err != nil {
		return err
	}
	if _, err := models.SeedDemo(ctx, db.Gorm); err != nil {
		return err
	}
	start := time.Now()
	if err := dbtest.BulkNewsroom(ctx, db, o.n, time.Now().UTC().Add(-time.Hour), nil); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %d published releases built in %s\n", db.Dialect, o.n, time.Since(start).Round(time.Second))

	cfg, err := app.LoadConfig(func(string) string { return "" }, app.ModeDev)
	if err != nil {
		return err
	}
	// Every client is 127.0.0.1: the per-IP signing limits would (rightly)
	// refuse the flood.
	cfg.Petitions.Limits = models.SignLimits{}
	client, err := jobs.NewClient(db, nil, jobs.ClientOptions{}) // insert-only, like the web process
	if err != nil {
		return err
	}
	// Errors only: a request that failed says why on stderr.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	srv, err := app.New(app.Deps{Config: cfg, DB: db, Jobs: client, Logger: logger, NewsroomVersionTTL: app.DefaultNewsroomVersionTTL})
	if err != nil {
		return err
	}
	site, stopSite, err := benchkit.Serve(srv.Handler())
	if err != nil {
		return err
	}
	defer stopSite()
	minimal, stopMin, err := benchkit.Serve(benchkit.MinimalHandler())
	if err != nil {
		return err
	}
	defer stopMin()

	petition, err := openPetition(ctx, db)
	if err != nil {
		return err
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	var rows []row
	add := func(r ...row) {
		rows = append(rows, r...)
		for _, x := range r {
			fmt.Fprintf(os.Stderr, "  %s: %s (%s)\n", x.measurement, x.figure, x.met)
		}
	}
	want := map[string]bool{}
	for _, g := range strings.Split(*only, ",") {
		want[strings.TrimSpace(g)] = true
	}
	if want["news"] {
		nr, err := newsroomRows(ctx, o, site, minimal, petition)
		if err != nil {
			return err
		}
		add(nr...)
	}
	if want["search"] {
		add(searchRows(ctx, o, site, minimal)...)
	}
	if want["sign"] {
		sr, err := signingRows(ctx, o, db, site, petition)
		if err != nil {
			return err
		}
		add(sr...)
	}
	if want["import"] {
		ir, err := importRow(ctx, db)
		if err != nil {
			return err
		}
		add(ir)
	}
	if want["embargo"] {
		er, err := embargoRow(ctx, dbURL)
		if err != nil {
			return err
		}
		add(er)
	}
	if want["send"] {
		sr, err := sendRows(ctx, db, o.recips, o.inFlight, o.cpuProf)
		if err != nil {
			return err
		}
		add(sr...)
	}
	if want["admin"] {
		ar, err := adminRows(ctx, dbURL)
		if err != nil {
			return err
		}
		add(ar...)
	}

	if err := ctx.Err(); err != nil {
		// Load runs cut short measure nothing: no table rather than a wrong one.
		return fmt.Errorf("stopped before the end (%w); nothing measured is printed", err)
	}
	fmt.Fprintf(out, "\nmachine: %s\n", benchkit.Machine(ctx, db))
	fmt.Fprintf(out, "load runs: %s each, %d clients for the newsroom and search rows, Go HTTP clients over loopback; whole run %s\n\n",
		o.d, o.clients, time.Since(began).Round(time.Second))
	fmt.Fprintln(out, "| measurement | figure | baseline in the same run | ratio | target | met? |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s |\n", r.measurement, r.figure, dash(r.baseline), dash(r.ratio), r.target, r.met)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// openPetition creates and opens the petition the signing and petition-page
// rows use.
func openPetition(ctx context.Context, db *models.DB) (*models.Petition, error) {
	camp, err := models.UserByEmail(ctx, db.Gorm, "campaigner@example.org")
	if err != nil {
		return nil, fmt.Errorf("seeded campaigner: %w", err)
	}
	title, target, demand := "Free the Freedonia prisoners", "The government of Freedonia", "Release every prisoner held for speaking out."
	p, err := models.CreatePetition(ctx, db.Gorm, camp, models.PetitionInput{Title: &title, Target: &target, Demand: &demand}, time.Now())
	if err != nil {
		return nil, err
	}
	return models.OpenPetition(ctx, db.Gorm, camp, p.ID, time.Now())
}

// newsroomRows measures the pages a viral spike hits, each right after the
// minimal handler under the same load.
func newsroomRows(ctx context.Context, o opts, site, minimal string, p *models.Petition) ([]row, error) {
	eps := []struct {
		name, path string
		target     float64 // share of the minimal handler's rate
	}{
		{"`/news`", "/news", 0.25},
		{"`/news/<slug>`", fmt.Sprintf("/news/bulk-%d", o.n/2), 0.50},
		{"`/news/feed.atom`", "/news/feed.atom", 0.25},
		{"`/api/v1/public/releases`", "/api/v1/public/releases", 0.25},
		{"`/p/<slug>`", "/p/" + p.Slug, 0.50},
		{"`/p/<slug>/count.json`", "/p/" + p.Slug + "/count.json", 0.50},
	}
	c := benchkit.HTTPClient(o.clients)
	var rows []row
	for _, ep := range eps {
		if err := benchkit.Warm(site + ep.path); err != nil {
			return nil, fmt.Errorf("%s: %w", ep.name, err)
		}
		base := benchkit.Drive(ctx, o.clients, 0, o.d, func(int) bool { return benchkit.Get(c, minimal+"/", http.StatusOK) })
		r := benchkit.Drive(ctx, o.clients, 0, o.d, func(int) bool { return benchkit.Get(c, site+ep.path, http.StatusOK) })
		ratio := r.Rate() / base.Rate()
		rows = append(rows, row{
			measurement: ep.name + fmt.Sprintf(", %d releases", o.n),
			figure:      fmt.Sprintf("%.0f req/s, p50 %s, p95 %s, %d errors", r.Rate(), ms(r.P50), ms(r.P95), r.Errors()),
			baseline:    fmt.Sprintf("minimal gin handler %.0f req/s", base.Rate()),
			ratio:       fmt.Sprintf("%.0f %%", 100*ratio),
			target:      fmt.Sprintf("≥ %.0f %%", 100*ep.target),
			met:         yes(ratio >= ep.target && r.Errors() == 0),
		})
	}
	return rows, nil
}

// searchRows measures search under the same concurrency: one word repeated (the
// viral case, from the page cache) and a distinct query per request, which
// misses the cache and runs the database query every time.
func searchRows(ctx context.Context, o opts, site, minimal string) []row {
	c := benchkit.HTTPClient(o.clients)
	cases := []struct {
		name string
		url  func(i int) string
		warm bool // one URL for everyone: fetched once first, as a spike finds it
	}{
		{"search, one word in most releases (`government`)", func(int) string { return site + "/news/search?q=government" }, true},
		{"search, one rare word (`4242`)", func(int) string { return site + "/news/search?q=4242" }, true},
		{"search, a distinct rare number per request (uncached)", func(i int) string { return fmt.Sprintf("%s/news/search?q=%d", site, 1+(i*7919)%o.n) }, false},
		{"search, a word in most releases, a distinct query per request (uncached)", func(i int) string {
			return fmt.Sprintf("%s/news/search?q=government+-x%d", site, i)
		}, false},
	}
	var rows []row
	for _, k := range cases {
		if k.warm {
			_ = benchkit.Warm(k.url(0))
		}
		// The minimal handler's latency under the same load is the machine's
		// floor: what 32 clients cost two shared cores before any work.
		base := benchkit.Drive(ctx, o.clients, 0, o.d, func(int) bool { return benchkit.Get(c, minimal+"/", http.StatusOK) })
		r := benchkit.Drive(ctx, o.clients, 0, o.d, func(i int) bool { return benchkit.Get(c, k.url(i), http.StatusOK) })
		rows = append(rows, row{
			measurement: k.name + fmt.Sprintf(", %d clients", o.clients),
			figure:      fmt.Sprintf("p50 %s, p95 %s (%.0f req/s, %d errors)", ms(r.P50), ms(r.P95), r.Rate(), r.Errors()),
			baseline:    fmt.Sprintf("minimal handler p50 %s, p95 %s", ms(base.P50), ms(base.P95)),
			target:      "p95 ≤ 25 ms",
			met:         yes(r.P95 <= 25*time.Millisecond && r.Errors() == 0),
		})
	}
	return rows
}
