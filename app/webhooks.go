package app

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
)

// WebhooksHandler receives SendGrid's Event Webhook.
type WebhooksHandler struct {
	s *Server
	// verifier is built once at start-up from SENDGRID_WEBHOOK_PUBLIC_KEY; nil
	// when the key is unset, and the endpoint then answers 503 (SendGrid retries
	// 5xx, so events wait for the key instead of being accepted unverified).
	verifier *jobs.WebhookVerifier
}

// maxWebhookBody bounds one post; SendGrid batches events into posts well under it.
const maxWebhookBody = 16 << 20

// Register adds the webhook route.
func (h *WebhooksHandler) Register(r Routes) {
	r.POST("/webhooks/sendgrid", Public, h.sendgrid)
}

// sendgrid verifies the post's signature over the raw body bytes (no
// re-encoding), stores the raw events (deduplicated by sg_event_id) and enqueues
// their processing in the same transaction, then answers 200. Missing signature
// 401, forged or older than five minutes 403.
func (h *WebhooksHandler) sendgrid(c *gin.Context) {
	if h.verifier == nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": gin.H{"code": "not_configured", "message": "SENDGRID_WEBHOOK_PUBLIC_KEY is not set"}})
		return
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxWebhookBody+1))
	if err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": gin.H{"code": "bad_body", "message": err.Error()}})
		return
	}
	if len(body) > maxWebhookBody {
		c.JSON(http.StatusRequestEntityTooLarge, gin.H{"error": gin.H{"code": "too_large", "message": "post is too large"}})
		return
	}
	err = h.verifier.Verify(c.GetHeader(jobs.WebhookSignatureHeader), c.GetHeader(jobs.WebhookTimestampHeader), body, h.s.clock.Now(), 0)
	if err != nil {
		status := jobs.WebhookHTTPStatus(err)
		if status >= 500 {
			h.s.logger.ErrorContext(c.Request.Context(), "sendgrid webhook key", "err", err)
		}
		c.JSON(status, gin.H{"error": gin.H{"code": "bad_signature", "message": err.Error()}})
		return
	}
	// A NUL in an event would make PostgreSQL refuse the whole post, and
	// SendGrid would retry it forever: clean it out of the (verified) body and
	// store every event.
	body = stripJSONNUL(body)
	events, err := jobs.ParseWebhookEvents(body)
	if err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": gin.H{"code": "bad_json", "message": "the body is not a JSON array of events"}})
		return
	}
	ctx := c.Request.Context()
	var stored int
	err = models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		var err error
		if stored, err = models.StoreWebhookEvents(ctx, tx, events, h.s.clock.Now()); err != nil || stored == 0 {
			return err
		}
		return jobs.EnqueueTx(ctx, h.s.jobs, tx, jobs.ProcessWebhookEventsArgs{}, nil)
	})
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"received": len(events), "stored": stored})
}
