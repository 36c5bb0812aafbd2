package app

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"pressroom/models"
)

// metrics is the Prometheus registry of one server (no global registry, so tests
// can build as many servers as they like).
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.HistogramVec
}

func newMetrics(db *sql.DB) *metrics {
	m := &metrics{registry: prometheus.NewRegistry()}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "pressroom_http_request_duration_seconds",
		Help:    "HTTP request durations by method, route and status.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"method", "route", "status"})
	m.registry.MustRegister(m.requests, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&jobCollector{db: db, desc: prometheus.NewDesc("pressroom_jobs", "River jobs by kind and state.", []string{"kind", "state"}, nil)})
	return m
}

// observe records one request. Every label has a bounded set of values, so no
// client can grow the metrics (and the memory holding them) by inventing
// methods or paths: a method outside the standard ones is OTHER, a request no
// route matched is "unmatched" (the route is the pattern, never the path), and
// statuses are the few our handlers answer with.
func (m *metrics) observe(method, route string, status int, elapsed time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(methodLabel(method), route, strconv.Itoa(status)).Observe(elapsed.Seconds())
}

// methodLabel is method when it is one of HTTP's standard methods, else OTHER.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// handler serves the registry in Prometheus' format; with a token, only to a
// request bearing it. The figures (scheduled sends, job backlogs) are not for
// the public.
func (m *metrics) handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if token != "" && !bearerMatches(r, token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the bearer token configured as METRICS_TOKEN", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// bearerMatches reports whether the request carries token as its bearer
// token. Both sides are hashed first, so the comparison takes the same time
// whatever the guess, its length included.
func bearerMatches(r *http.Request, token string) bool {
	auth := r.Header.Get("Authorization")
	if len(auth) < len("Bearer ") || !strings.EqualFold(auth[:len("Bearer ")], "Bearer ") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(auth[len("Bearer "):])))
	want := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// metricsMux is the whole of a metrics listener: /metrics and nothing else.
func metricsMux(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	return mux
}

// MetricsHandler is what the process's own metrics listener (METRICS_ADDR)
// serves: this server's metrics at /metrics, behind METRICS_TOKEN when set.
func (s *Server) MetricsHandler() http.Handler {
	return metricsMux(s.metrics.handler(s.cfg.MetricsToken))
}

// WorkerMetricsHandler is MetricsHandler for a process without the web server
// (pressroom worker): job counts and the Go runtime, since it has no requests
// to report.
func WorkerMetricsHandler(cfg *Config, db *models.DB) http.Handler {
	return metricsMux(newMetrics(db.SQL).handler(cfg.MetricsToken))
}

// publicMetrics reports whether the public listener serves /metrics: only with
// a token, and only when metrics have no address of their own.
func (c *Config) publicMetrics() bool { return c.MetricsToken != "" && c.MetricsAddr == "" }

// MinMetricsToken is the shortest METRICS_TOKEN accepted, in bytes.
const MinMetricsToken = 16

// loadMetrics reads METRICS_TOKEN and METRICS_ADDR, returning the problems
// found.
func (c *Config) loadMetrics(getenv func(string) string) []string {
	var problems []string
	c.MetricsToken = getenv("METRICS_TOKEN")
	if n := len(c.MetricsToken); n > 0 && n < MinMetricsToken {
		problems = append(problems, fmt.Sprintf("METRICS_TOKEN is too short: %d bytes, need at least %d (e.g. `openssl rand -hex 32`)", n, MinMetricsToken))
	}
	if addr := getenv("METRICS_ADDR"); addr != "" {
		_, port, err := net.SplitHostPort(addr)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n < 1 || n > 65535 {
			problems = append(problems, fmt.Sprintf("METRICS_ADDR must be host:port with a port from 1 to 65535, e.g. 127.0.0.1:9090 (got %q)", addr))
		} else {
			c.MetricsAddr = addr
		}
	}
	return problems
}

// jobCollector reads job counts from River's table at scrape time, so the figure
// covers every worker process, not just this one.
type jobCollector struct {
	db   *sql.DB
	desc *prometheus.Desc
}

func (j *jobCollector) Describe(ch chan<- *prometheus.Desc) { ch <- j.desc }

func (j *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := j.db.QueryContext(ctx, "SELECT kind, state, COUNT(*) FROM river_job GROUP BY kind, state")
	if err != nil {
		ch <- prometheus.NewInvalidMetric(j.desc, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var kind, state string
		var n float64
		if err := rows.Scan(&kind, &state, &n); err != nil {
			ch <- prometheus.NewInvalidMetric(j.desc, err)
			return
		}
		ch <- prometheus.MustNewConstMetric(j.desc, prometheus.GaugeValue, n, kind, state)
	}
}
