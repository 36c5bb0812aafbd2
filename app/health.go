package app

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/migrations"
)

// HealthHandler answers the load balancer and the metrics scraper.
type HealthHandler struct {
	s *Server
}

// Register adds /healthz, /readyz and /metrics. /metrics is registered always
// (so the route table shows it) but answers only as configured: see metrics.
func (h *HealthHandler) Register(r Routes) {
	r.GET("/healthz", Public, h.healthz)
	r.GET("/readyz", Public, h.readyz)
	r.GET("/metrics", Public, h.metrics(h.s.metrics.handler(h.s.cfg.MetricsToken)))
}

// metrics serves Prometheus metrics on the public listener only to the bearer
// of METRICS_TOKEN, and not at all when metrics have their own listener
// (METRICS_ADDR) or no token is set: then it is a 404 like any page that does
// not exist, so the listener does not even confirm it has them.
func (h *HealthHandler) metrics(serve http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !h.s.cfg.publicMetrics() {
			h.s.errorPage(c, http.StatusNotFound, "Page not found", "There is nothing at this address.")
			return
		}
		serve.ServeHTTP(c.Writer, c.Request)
	}
}

// healthz says the process is up; it touches nothing else.
func (h *HealthHandler) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz says whether this process can serve: the database answers and its
// schema is current.
func (h *HealthHandler) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	if err := h.s.db.Ping(ctx); err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "database unreachable"})
		return
	}
	if err := migrations.Check(ctx, h.s.db.SQL, string(h.s.db.Dialect)); err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "schema behind: run pressroom migrate"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}
