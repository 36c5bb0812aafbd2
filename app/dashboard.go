package app

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// DashboardHandler serves the admin home page.
type DashboardHandler struct {
	s *Server
}

// Register adds the dashboard.
func (h *DashboardHandler) Register(r Routes) {
	r.GET("", Staff, h.show)
	r.GET("/settings", Staff, h.settings)
}

// settings is the hub of the organisation's set-up pages.
func (h *DashboardHandler) settings(c *gin.Context) {
	(&SettingsHandler{s: h.s}).render(c, http.StatusOK, h.s.site(c.Request.Context()), nil)
}

func (h *DashboardHandler) show(c *gin.Context) {
	stats, err := models.Dashboard(c.Request.Context(), h.s.db.Gorm, h.s.clock.Now())
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.render(c, http.StatusOK, "admin/dashboard", h.s.page(c, "Dashboard", "dashboard", stats))
}
