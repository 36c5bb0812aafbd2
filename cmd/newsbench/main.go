// Command newsbench measures the public newsroom under load, the way a viral
// release hits it: it builds its own database with n published releases, serves
// the newsroom in process on loopback, and runs wrk against each public
// endpoint and, right before it in the same run, against a minimal gin handler
// rendering a small html/template page, so that the ratio stays honest on a
// busy machine. It drops what it built when done.
//
//	go run ./cmd/newsbench -db postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
//	go run ./cmd/newsbench -db sqlite
//
// Load is bounded: wrk's threads and connections, for -d per endpoint, on
// 127.0.0.1 only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"pressroom/app"
	"pressroom/internal/benchkit"
	"pressroom/jobs"
	"pressroom/migrations"
	"pressroom/models"
	"pressroom/models/dbtest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "newsbench:", err)
		os.Exit(1)
	}
}

// endpoint is one measured public URL; script, when set, is a wrk request
// function (for a load of distinct URLs).
type endpoint struct {
	name, path, script string
}

// result is one wrk run.
type result struct {
	reqs          int64
	rps           float64
	p50, p95, p99 time.Duration
	errors        int64
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("newsbench", flag.ContinueOnError)
	dbURL := fs.String("db", os.Getenv("TEST_DATABASE_URL"), "PostgreSQL server URL (a database is created and dropped on it), or \"sqlite\"")
	n := fs.Int("n", 100_000, "published releases")
	dur := fs.Duration("d", 10*time.Second, "wrk duration per endpoint")
	conns := fs.Int("c", 32, "wrk connections")
	threads := fs.Int("t", 2, "wrk threads")
	wrk := fs.String("wrk", "wrk", "the wrk binary")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dur > time.Minute {
		return errors.New("-d is capped at one minute per endpoint")
	}
	if _, err := exec.LookPath(*wrk); err != nil {
		return fmt.Errorf("wrk not found (apt-get install wrk): %w", err)
	}
	db, cleanup, err := benchkit.OpenFresh(ctx, *dbURL, "newsbench")
	if err != nil {
		return err
	}
	defer cleanup()

	start := time.Now()
	if _, err := migrations.Up(ctx, db.SQL, string(db.Dialect)); err != nil {
		return err
	}
	if _, err := models.SeedDemo(ctx, db.Gorm); err != nil {
		return err
	}
	now := time.Now().UTC()
	if err := dbtest.BulkNewsroom(ctx, db, *n, now.Add(-time.Hour), nil); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %d published releases built in %s\n", db.Dialect, *n, time.Since(start).Round(time.Second))

	cfg, err := app.LoadConfig(func(string) string { return "" }, app.ModeDev)
	if err != nil {
		return err
	}
	client, err := jobs.NewClient(db, river.NewWorkers(), jobs.ClientOptions{})
	if err != nil {
		return err
	}
	srv, err := app.New(app.Deps{Config: cfg, DB: db, Jobs: client, NewsroomVersionTTL: app.DefaultNewsroomVersionTTL})
	if err != nil {
		return err
	}
	newsroom, stopNews, err := benchkit.Serve(srv.Handler())
	if err != nil {
		return err
	}
	defer stopNews()
	minimal, stopMin, err := benchkit.Serve(benchkit.MinimalHandler())
	if err != nil {
		return err
	}
	defer stopMin()

	mid := *n / 2
	eps := []endpoint{
		{name: "/news", path: "/news"},
		{name: "/news/<slug>", path: "/news/bulk-" + strconv.Itoa(mid)},
		{name: "/news/search?q=government", path: "/news/search?q=government"},
		{name: "/news/feed.atom", path: "/news/feed.atom"},
		{name: "/api/v1/public/releases", path: "/api/v1/public/releases"},
		{name: "search, distinct rare words (uncached)", path: "/news/search?q=release",
			script: fmt.Sprintf(`request = function() return wrk.format("GET", "/news/search?q=" .. math.random(1, %d)) end`, *n)},
		{name: "/news/<slug>, distinct slugs", path: "/news/bulk-1",
			script: fmt.Sprintf(`request = function() return wrk.format("GET", "/news/bulk-" .. math.random(1, %d)) end`, *n)},
	}
	dir, err := os.MkdirTemp("", "newsbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Fprintf(out, "machine: %d cores, load average %s; wrk -t%d -c%d -d%s; %s\n\n", runtime.NumCPU(), benchkit.LoadAverage(), *threads, *conns, *dur, benchkit.DBVersion(ctx, db))
	fmt.Fprintln(out, "| endpoint | req/s | p50 | p95 | errors | minimal handler req/s (same run) | % of minimal | load avg |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|")
	for i, ep := range eps {
		if err := benchkit.Warm(newsroom + ep.path); err != nil {
			return fmt.Errorf("%s: %w", ep.name, err)
		}
		base, err := runWrk(ctx, *wrk, dir, minimal+"/", "", *threads, *conns, *dur)
		if err != nil {
			return err
		}
		r, err := runWrk(ctx, *wrk, filepath.Join(dir, strconv.Itoa(i)), newsroom+ep.path, ep.script, *threads, *conns, *dur)
		if err != nil {
			return fmt.Errorf("%s: %w", ep.name, err)
		}
		fmt.Fprintf(out, "| `%s` | %.0f | %s | %s | %d | %.0f | %.1f %% | %s |\n", ep.name, r.rps, ms(r.p50), ms(r.p95), r.errors, base.rps, 100*r.rps/base.rps, benchkit.LoadAverage())
	}
	return nil
}

// report is the wrk script's done function: one line the parser reads.
const report = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
`

func runWrk(ctx context.Context, bin, dir, target, script string, threads, conns int, d time.Duration) (result, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return result{}, err
	}
	path := filepath.Join(dir, "report.lua")
	if err := os.WriteFile(path, []byte(script+"\n"+report), 0o644); err != nil {
		return result{}, err
	}
	cmd := exec.CommandContext(ctx, bin, "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(conns), "-d"+strconv.Itoa(int(d.Seconds()))+"s",
		"--timeout", "5s", "-s", path, target)
	outb, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %w: %s", err, outb)
	}
	for _, line := range strings.Split(string(outb), "\n") {
		f := strings.Fields(line)
		if len(f) == 7 && f[0] == "RESULT" {
			var v [6]int64
			for i := range v {
				v[i], _ = strconv.ParseInt(f[i+1], 10, 64)
			}
			r := result{reqs: v[0], p50: time.Duration(v[2]) * time.Microsecond, p95: time.Duration(v[3]) * time.Microsecond,
				p99: time.Duration(v[4]) * time.Microsecond, errors: v[5]}
			if v[1] > 0 {
				r.rps = float64(v[0]) / (float64(v[1]) / 1e6)
			}
			return r, nil
		}
	}
	return result{}, fmt.Errorf("wrk printed no result: %s", outb)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
