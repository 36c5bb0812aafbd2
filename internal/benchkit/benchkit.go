// Package benchkit holds what Pressroom's load measurements share: a database
// of their own that is dropped afterwards, a minimal gin handler to measure
// against in the same run, a loopback server, a bounded load generator and the
// facts about the machine a figure only means something with.
package benchkit

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// OpenFresh creates a database of its own and returns it with its removal:
// a new database on the PostgreSQL server raw points at, or, for "sqlite",
// "sqlite:" or "sqlite:<path>", a SQLite file (a temporary one unless a path
// is given; a given path must not exist yet and is removed afterwards).
func OpenFresh(ctx context.Context, raw, prefix string) (*models.DB, func(), error) {
	if raw == "" || raw == "sqlite" || strings.HasPrefix(raw, "sqlite:") {
		path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite"), ":")
		var dir string
		if path == "" {
			d, err := os.MkdirTemp("", prefix+"-db")
			if err != nil {
				return nil, nil, err
			}
			dir, path = d, filepath.Join(d, "bench.db")
		} else if _, err := os.Stat(path); err == nil {
			return nil, nil, fmt.Errorf("%s exists: give a path the benchmark may create and remove", path)
		}
		remove := func() {
			if dir != "" {
				os.RemoveAll(dir)
				return
			}
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
		}
		db, err := models.Open(ctx, "sqlite:"+path, models.OpenOptions{})
		if err != nil {
			remove()
			return nil, nil, err
		}
		return db, func() { db.Close(); remove() }, nil
	}
	admin, err := models.Open(ctx, raw, models.OpenOptions{})
	if err != nil {
		return nil, nil, err
	}
	name := fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), time.Now().Unix())
	if err := admin.Gorm.WithContext(ctx).Exec("CREATE DATABASE " + name).Error; err != nil {
		admin.Close()
		return nil, nil, err
	}
	u, err := url.Parse(raw)
	if err != nil {
		admin.Close()
		return nil, nil, err
	}
	u.Path = "/" + name
	db, err := models.Open(ctx, u.String(), models.OpenOptions{MaxConns: 40})
	drop := func() {
		_ = admin.Gorm.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error
		admin.Close()
	}
	if err != nil {
		drop()
		return nil, nil, err
	}
	return db, func() { db.Close(); drop() }, nil
}

// MinimalHandler is the baseline: the least a gin server rendering an
// html/template page can do.
func MinimalHandler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	page := template.Must(template.New("p").Parse(`<!doctype html><html><head><title>{{.Title}}</title></head><body><h1>{{.Title}}</h1><p>{{.Body}}</p></body></html>`))
	e.GET("/", func(c *gin.Context) {
		c.Header("Content-Type", "text/html; charset=utf-8")
		c.Status(http.StatusOK)
		_ = page.Execute(c.Writer, map[string]string{"Title": "Newsroom", "Body": "Press releases and urgent actions."})
	})
	return e
}

// Serve runs h on a loopback port and returns its base URL and its stop.
func Serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	s := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = s.Close() }, nil
}

// Warm fetches a URL once (filling any cache) and insists on a 200.
func Warm(u string) error {
	res, err := http.Get(u)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", u, res.StatusCode)
	}
	return nil
}

// Result is one load run.
type Result struct {
	N, OK         int64
	Elapsed       time.Duration
	P50, P95, P99 time.Duration
}

// Rate is calls per second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.N) / r.Elapsed.Seconds()
}

// Errors is how many calls failed.
func (r Result) Errors() int64 { return r.N - r.OK }

// Drive runs fn over the given number of concurrent clients until n calls
// have been made or d has passed, whichever comes first (n ≤ 0: only d
// bounds it), and reports the rate and latency percentiles. fn gets the
// call's number and says whether it succeeded.
func Drive(ctx context.Context, clients, n int, d time.Duration, fn func(i int) bool) Result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var next, good atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, 1024)
			defer func() { mu.Lock(); lat = append(lat, mine...); mu.Unlock() }()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if n > 0 && i >= n {
					return
				}
				t0 := time.Now()
				if fn(i) {
					good.Add(1)
				}
				mine = append(mine, time.Since(t0))
			}
		}()
	}
	wg.Wait()
	r := Result{Elapsed: time.Since(start), OK: good.Load()}
	slices.Sort(lat)
	r.N = int64(len(lat))
	if len(lat) > 0 {
		pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		r.P50, r.P95, r.P99 = pct(0.50), pct(0.95), pct(0.99)
	}
	return r
}

// HTTPClient is a keep-alive client for the given number of concurrent
// callers of one host.
func HTTPClient(clients int) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
}

// Get fetches u and says whether it answered want, reading the whole body.
func Get(c *http.Client, u string, want int) bool {
	res, err := c.Get(u)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == want
}

// LoadAverage is /proc/loadavg's first three figures.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// Machine describes the machine and database a run measured: cores, load
// average, the database's version and, for PostgreSQL, the settings that
// move these figures.
func Machine(ctx context.Context, db *models.DB) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d cores (GOMAXPROCS %d), %s, load average %s; ", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), LoadAverage())
	var v string
	if db.Dialect == models.Postgres {
		_ = db.Gorm.WithContext(ctx).Raw("SHOW server_version").Scan(&v).Error
		b.WriteString("PostgreSQL " + v)
		var settings []struct{ Name, Setting, Unit string }
		_ = db.Gorm.WithContext(ctx).Raw(`SELECT name, setting, coalesce(unit, '') AS unit FROM pg_settings WHERE name IN
			('max_connections', 'shared_buffers', 'work_mem', 'effective_cache_size', 'synchronous_commit', 'fsync',
			 'random_page_cost', 'max_parallel_workers_per_gather', 'wal_level', 'commit_delay') ORDER BY name`).Scan(&settings).Error
		for _, s := range settings {
			fmt.Fprintf(&b, ", %s=%s%s", s.Name, s.Setting, s.Unit)
		}
		return b.String()
	}
	_ = db.Gorm.WithContext(ctx).Raw("SELECT sqlite_version()").Scan(&v).Error
	return b.String() + "SQLite " + v
}

// DBVersion names the database engine and version.
func DBVersion(ctx context.Context, db *models.DB) string {
	var v string
	if db.Dialect == models.Postgres {
		_ = db.Gorm.WithContext(ctx).Raw("SHOW server_version").Scan(&v).Error
		return "PostgreSQL " + v
	}
	_ = db.Gorm.WithContext(ctx).Raw("SELECT sqlite_version()").Scan(&v).Error
	return "SQLite " + v
}
