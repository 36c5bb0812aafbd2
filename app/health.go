package app

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"pressroom/migrations"
)

// HealthHandler answers the load balancer and the metrics scraper.
type HealthHandler struct {
	s *Server
}

// Register adds /healthz, /readyz and /metrics.
func (h *HealthHandler) Register(r Routes) {
	r.GET("/healthz", Public, h.healthz)
	r.GET("/readyz", Public, h.readyz)
	r.GET("/metrics", Public, gin.WrapH(promhttp.HandlerFor(h.s.metrics.registry, promhttp.HandlerOpts{})))
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
