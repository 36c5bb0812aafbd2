package app

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// OutboxHandler shows the development outbox: every email Pressroom would have
// sent, as its recipient would see it.
type OutboxHandler struct {
	s *Server
}

// Register adds the outbox pages.
func (h *OutboxHandler) Register(r Routes) {
	r.GET("/outbox", Staff, h.list)
	r.GET("/outbox/:id", Staff, h.show)
	r.GET("/outbox/:id/html", Staff, h.html)
}

type outboxPage struct {
	Messages []models.OutboxMessage
	To       string
	Message  *models.OutboxMessage
	Headers  map[string]string
	Live     bool // the SendGrid transport is configured: the outbox only holds history
}

func (h *OutboxHandler) list(c *gin.Context) {
	to := c.Query("to")
	ms, err := models.OutboxMessages(c.Request.Context(), h.s.db.Gorm, to, 200)
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.render(c, http.StatusOK, "admin/outbox", h.s.page(c, "Outbox", "outbox", outboxPage{Messages: ms, To: to, Live: h.s.cfg.SendGridAPIKey != ""}))
}

func (h *OutboxHandler) message(c *gin.Context) *models.OutboxMessage {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		_ = c.Error(models.ErrNotFound)
		return nil
	}
	m, err := models.OutboxMessageByID(c.Request.Context(), h.s.db.Gorm, id)
	if err != nil {
		_ = c.Error(err)
		return nil
	}
	return m
}

func (h *OutboxHandler) show(c *gin.Context) {
	m := h.message(c)
	if m == nil {
		return
	}
	h.s.render(c, http.StatusOK, "admin/outbox_message", h.s.page(c, m.Subject, "outbox", outboxPage{Message: m, Headers: m.HeaderMap()}))
}

// html serves a message's HTML body for the preview frame: sandboxed, no scripts,
// framable only by our own page.
func (h *OutboxHandler) html(c *gin.Context) {
	m := h.message(c)
	if m == nil {
		return
	}
	c.Header("Content-Security-Policy", "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; frame-ancestors 'self'")
	c.Header("X-Frame-Options", "SAMEORIGIN")
	c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(m.HTML))
}
