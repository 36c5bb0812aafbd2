package app

import (
	"context"
	"database/sql"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
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
		Help:    "HTTP request durations by route and status.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"method", "route", "status"})
	m.registry.MustRegister(m.requests, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&jobCollector{db: db, desc: prometheus.NewDesc("pressroom_jobs", "River jobs by kind and state.", []string{"kind", "state"}, nil)})
	return m
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
