package app

import (
	"net/http"
	"strconv"
	"strings"

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
	// Popups may leave the sandbox so that a link opens in a new tab, as it
	// would from a mail client; scripts stay off. Images load as a mail
	// client loads them: from HTTPS, and from the newsroom itself even when
	// BASE_URL is plain HTTP (development), so the photo is seen, not its alt.
	base := h.s.cfg.BaseURL
	c.Header("Content-Security-Policy", "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; img-src https: data: "+base.Scheme+"://"+base.Host+"; style-src 'unsafe-inline'; frame-ancestors 'self'")
	c.Header("X-Frame-Options", "SAMEORIGIN")
	c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(previewDocument(m.HTML)))
}

// basePopup makes every link of a previewed email open in a new tab: followed
// inside the preview frame, a link would load the site into the frame (or be
// refused by it) and leave the outbox page broken.
const basePopup = `<base target="_blank">`

// previewDocument puts basePopup at the start of an email's head (or of the
// document when it has none).
func previewDocument(html string) string {
	lower := strings.ToLower(html)
	if i := strings.Index(lower, "<head"); i >= 0 {
		if j := strings.Index(lower[i:], ">"); j >= 0 {
			at := i + j + 1
			return html[:at] + basePopup + html[at:]
		}
	}
	return basePopup + html
}
