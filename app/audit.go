package app

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// AuditHandler shows the audit log.
type AuditHandler struct {
	s *Server
}

// Register adds the audit log page.
func (h *AuditHandler) Register(r Routes) {
	r.GET("/audit", Staff, h.list)
}

type auditPage struct {
	Events []models.AuditEvent
	Users  []models.User
	Filter models.AuditFilter
	Older  string // query string of the next page, empty on the last
}

func (h *AuditHandler) list(c *gin.Context) {
	ctx := c.Request.Context()
	before, _ := strconv.ParseInt(c.Query("before"), 10, 64)
	f := models.AuditFilter{ActorID: c.Query("user"), SubjectType: c.Query("subject_type"), SubjectID: c.Query("subject"),
		Action: c.Query("action"), BeforeID: before, Limit: 100}
	events, err := models.AuditEvents(ctx, h.s.db.Gorm, f)
	if err != nil {
		_ = c.Error(err)
		return
	}
	users, err := models.Users(ctx, h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := auditPage{Events: events, Users: users, Filter: f}
	if len(events) == f.Limit {
		q := c.Request.URL.Query()
		q.Set("before", strconv.FormatInt(events[len(events)-1].ID, 10))
		p.Older = q.Encode()
	}
	h.s.render(c, http.StatusOK, "admin/audit", h.s.page(c, "Audit log", "audit", p))
}
