package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
)

// SendsAPI is the send part of the JSON API v1.
type SendsAPI struct {
	s *Server
}

// Register adds the send endpoints. senders (press officers, campaigners) may
// run sends; which documents each may send is checked in models.CanSend.
func (h *SendsAPI) Register(r Routes) {
	r.POST("/sends", senders, h.create)
	r.GET("/sends", Staff, h.list)
	r.GET("/sends/:id", Staff, h.get)
	r.POST("/sends/:id/test", senders, h.test)
	r.POST("/sends/:id/dispatch", senders, h.dispatch)
	r.POST("/sends/:id/cancel", senders, h.cancel)
	r.POST("/sends/:id/pause", senders, h.pause)
	r.POST("/sends/:id/resume", senders, h.resume)
	r.POST("/sends/:id/retry-failed", senders, h.retryFailed)
	r.POST("/sends/:id/repoint", senders, h.repoint)
}

// sendRequest is the body of POST /sends. Schedule and the segment ids extend
// API.md: "embargo" sends when the release's embargo lifts.
type sendRequest struct {
	ReleaseID           string   `json:"release_id"`
	MediaListIDs        []string `json:"media_list_ids"`
	SupporterListIDs    []string `json:"supporter_list_ids"`
	MediaSegmentIDs     []string `json:"media_segment_ids"`
	SupporterSegmentIDs []string `json:"supporter_segment_ids"`
	// ActionParticipantsOf sends to everyone who acted on or received these
	// original Urgent Actions (their Further Information updates).
	ActionParticipantsOf []string   `json:"action_participants_of"`
	Subject              *string    `json:"subject"`
	ScheduledAt          *time.Time `json:"scheduled_at"`
	Schedule             string     `json:"schedule"`
}

// sendError is one failed batch as the API shows it.
type sendError struct {
	Batch      int    `json:"batch"`
	Status     string `json:"status"`
	Recipients int    `json:"recipients"`
	Message    string `json:"message"`
}

// sendJSON is a send as the API shows it.
type sendJSON struct {
	ID           string            `json:"id"`
	Status       models.SendStatus `json:"status"`
	ReleaseID    string            `json:"release_id"`
	Revision     int               `json:"revision"`
	HeldReason   string            `json:"held_reason"`
	Subject      string            `json:"subject"`
	Schedule     string            `json:"schedule"`
	ScheduledAt  *time.Time        `json:"scheduled_at"`
	Recipients   int               `json:"recipients"`
	Queued       int               `json:"queued"`
	Submitted    int               `json:"submitted"`
	Failed       int               `json:"failed"`
	Suppressed   int               `json:"suppressed"`
	Delivered    int               `json:"delivered"`
	Opened       int               `json:"opened"`
	Clicked      int               `json:"clicked"`
	Bounced      int               `json:"bounced"`
	Spam         int               `json:"spam_reports"`
	Unsubscribed int               `json:"unsubscribed"`
	Batches      int               `json:"batches"`
	Errors       []sendError       `json:"errors"`
	CreatedAt    time.Time         `json:"created_at"`
	DispatchedAt *time.Time        `json:"dispatched_at"`
	CompletedAt  *time.Time        `json:"completed_at"`
}

func (h *SendsAPI) toJSON(c *gin.Context, s *models.Send) (*sendJSON, error) {
	ctx := c.Request.Context()
	p, err := models.ProgressOf(ctx, h.s.db.Gorm, s)
	if err != nil {
		return nil, err
	}
	fails, err := models.SendFailures(ctx, h.s.db.Gorm, s.ID)
	if err != nil {
		return nil, err
	}
	out := &sendJSON{ID: s.ID, Status: s.Status, ReleaseID: s.DocumentID, Revision: s.Revision, HeldReason: s.HeldReason, Subject: s.Subject, Schedule: s.Schedule,
		ScheduledAt: utcPtr(s.ScheduledAt), Recipients: s.Recipients, Queued: p.Queued, Submitted: p.Submitted, Failed: p.Failed, Suppressed: p.Suppressed,
		Delivered: s.Delivered, Opened: s.Opened, Clicked: s.Clicked, Bounced: s.Bounced, Spam: s.Spam, Unsubscribed: s.Unsubscribed,
		Batches: s.Batches, Errors: []sendError{}, CreatedAt: s.CreatedAt.UTC(), DispatchedAt: utcPtr(s.DispatchedAt), CompletedAt: utcPtr(s.CompletedAt)}
	for _, b := range fails {
		out.Errors = append(out.Errors, sendError{Batch: b.BatchNo, Status: b.Status, Recipients: b.Recipients, Message: b.Error})
	}
	return out, nil
}

func (h *SendsAPI) fail(c *gin.Context, err error) {
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		apiError(c, http.StatusUnprocessableEntity, "validation_failed", "some fields are not valid", ve.Fields)
	case errors.Is(err, models.ErrForbidden):
		apiError(c, http.StatusForbidden, "forbidden", reason(err), nil)
	case errors.Is(err, models.ErrConflict):
		apiError(c, http.StatusConflict, "conflict", reason(err), nil)
	default:
		_ = c.Error(err)
	}
}

func (h *SendsAPI) respond(c *gin.Context, status int, s *models.Send) {
	out, err := h.toJSON(c, s)
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.JSON(status, out)
}

func (h *SendsAPI) create(c *gin.Context) {
	var req sendRequest
	if err := json.NewDecoder(io.LimitReader(c.Request.Body, maxBody)).Decode(&req); err != nil {
		apiError(c, http.StatusBadRequest, "bad_json", "the body is not a JSON object: "+err.Error(), nil)
		return
	}
	in := models.SendInput{DocumentID: req.ReleaseID, MediaListIDs: req.MediaListIDs, SupporterListIDs: req.SupporterListIDs,
		MediaSegmentIDs: req.MediaSegmentIDs, SupporterSegmentIDs: req.SupporterSegmentIDs, ActionParticipantsOf: req.ActionParticipantsOf,
		ScheduledAt: req.ScheduledAt, Schedule: req.Schedule}
	if req.Subject != nil {
		in.Subject = *req.Subject
	}
	s, err := models.CreateSend(c.Request.Context(), h.s.db.Gorm, currentUser(c), in, h.s.clock.Now())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.respond(c, http.StatusCreated, s)
}

func (h *SendsAPI) list(c *gin.Context) {
	limit, after, ok := pageParams(c)
	if !ok {
		return
	}
	ss, err := models.SendsAfter(c.Request.Context(), h.s.db.Gorm, c.Query("release_id"), limit, after)
	if err != nil {
		_ = c.Error(err)
		return
	}
	page := listPage[sendSummaryJSON]{Items: make([]sendSummaryJSON, 0, len(ss))}
	for _, s := range ss {
		page.Items = append(page.Items, sendSummaryJSON{ID: s.ID, Status: s.Status, ReleaseID: s.DocumentID, Headline: s.Headline,
			Recipients: s.Recipients, CreatedAt: s.CreatedAt.UTC()})
	}
	if len(ss) == limit {
		page.NextCursor = nextCursor(ss[len(ss)-1].ID)
	}
	c.JSON(http.StatusOK, page)
}

// sendSummaryJSON is a send in the list.
type sendSummaryJSON struct {
	ID         string            `json:"id"`
	Status     models.SendStatus `json:"status"`
	ReleaseID  string            `json:"release_id"`
	Headline   string            `json:"headline"`
	Recipients int               `json:"recipients"`
	CreatedAt  time.Time         `json:"created_at"`
}

func (h *SendsAPI) get(c *gin.Context) {
	s, err := models.SendByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.respond(c, http.StatusOK, s)
}

func (h *SendsAPI) dispatch(c *gin.Context) {
	s, err := h.s.dispatchSend(c, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.respond(c, http.StatusAccepted, s)
}

func (h *SendsAPI) cancel(c *gin.Context) {
	h.change(c, models.CancelSend)
}

func (h *SendsAPI) pause(c *gin.Context) {
	h.change(c, models.PauseSend)
}

func (h *SendsAPI) resume(c *gin.Context) {
	h.change(c, models.ResumeSend)
}

func (h *SendsAPI) change(c *gin.Context, fn func(ctx context.Context, db *gorm.DB, by *models.User, id string, now time.Time) (*models.Send, error)) {
	s, err := fn(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), h.s.clock.Now())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.respond(c, http.StatusOK, s)
}

func (h *SendsAPI) retryFailed(c *gin.Context) {
	n, err := h.s.retryFailed(c, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"requeued_batches": n})
}

func (h *SendsAPI) repoint(c *gin.Context) {
	s, err := h.s.repointSend(c, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.respond(c, http.StatusOK, s)
}

// repointSend moves a held send to its release's approved revision and, when
// it is to be worked out again, enqueues its dispatch job in the same
// transaction.
func (s *Server) repointSend(c *gin.Context, id string) (*models.Send, error) {
	ctx := c.Request.Context()
	return models.RepointSend(ctx, s.db.Gorm, currentUser(c), id, s.clock.Now(), func(tx *gorm.DB, snd *models.Send) error {
		return jobs.EnqueueDispatch(ctx, s.jobs, tx, snd)
	})
}

// dispatchSend queues a send and its dispatch job in one transaction.
func (s *Server) dispatchSend(c *gin.Context, id string) (*models.Send, error) {
	ctx := c.Request.Context()
	return models.DispatchSend(ctx, s.db.Gorm, currentUser(c), id, s.clock.Now(), func(tx *gorm.DB, snd *models.Send) error {
		return jobs.EnqueueDispatch(ctx, s.jobs, tx, snd)
	})
}

// retryFailed re-queues a send's failed batches.
func (s *Server) retryFailed(c *gin.Context, id string) (int, error) {
	ctx := c.Request.Context()
	return models.RetryFailedBatches(ctx, s.db.Gorm, currentUser(c), id, s.clock.Now(), func(tx *gorm.DB, snd *models.Send, nos []int) error {
		return jobs.EnqueueSendBatches(ctx, s.jobs, tx, snd.ID, nos)
	})
}
