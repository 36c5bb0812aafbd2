package app

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"pressroom/models"
)

// LetterReviewHandler is the campaigners' queue of an Urgent Action's flagged
// letters: each is read, then let go to the officials or rejected.
type LetterReviewHandler struct {
	s *Server
}

// flaggedPageSize is how many flagged letters the queue shows at once; a
// decision takes one off the top, so the next ones move up.
const flaggedPageSize = 50

// Register adds /admin/releases/{id}/letters/flagged and its decisions.
func (h *LetterReviewHandler) Register(r Routes) {
	manage := Roles(models.RoleCampaigner)
	r.GET("/releases/:id/letters/flagged", manage, h.list)
	r.POST("/releases/:id/letters/:letter/release", manage, h.release)
	r.POST("/releases/:id/letters/:letter/reject", manage, h.reject)
}

type flaggedLettersPage struct {
	Doc     *models.Document
	Letters []models.FlaggedLetter
	Total   int64
}

func (h *LetterReviewHandler) action(c *gin.Context) *models.Document {
	d, err := models.DocumentByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return nil
	}
	if d.Kind != models.KindActionAlert {
		_ = c.Error(models.ErrNotFound)
		return nil
	}
	return d
}

func (h *LetterReviewHandler) list(c *gin.Context) {
	d := h.action(c)
	if d == nil {
		return
	}
	letters, total, err := models.FlaggedLetters(c.Request.Context(), h.s.db.Gorm, currentUser(c), d.ID, flaggedPageSize)
	if err != nil {
		_ = c.Error(err)
		return
	}
	noStore(c)
	h.s.render(c, http.StatusOK, "admin/letters_flagged", h.s.page(c, "Flagged letters", "releases", flaggedLettersPage{Doc: d, Letters: letters, Total: total}))
}

// release lets a flagged letter go: scheduled to its officials at once if the
// writer has confirmed, otherwise when they do.
func (h *LetterReviewHandler) release(c *gin.Context) {
	d := h.action(c)
	if d == nil {
		return
	}
	ctx := c.Request.Context()
	now := h.s.clock.Now()
	err := models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		dels, err := models.ReleaseFlaggedLetter(ctx, tx, currentUser(c), d.ID, c.Param("letter"), c.ClientIP(), now)
		if err != nil {
			return err
		}
		return h.s.scheduleLetters(ctx, tx, dels, now)
	})
	h.decided(c, d, err, "The letter will go to the officials (once its writer has confirmed their address).")
}

func (h *LetterReviewHandler) reject(c *gin.Context) {
	d := h.action(c)
	if d == nil {
		return
	}
	ctx := c.Request.Context()
	err := models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		return models.RejectFlaggedLetter(ctx, tx, currentUser(c), d.ID, c.Param("letter"), c.ClientIP(), h.s.clock.Now())
	})
	h.decided(c, d, err, "The letter was rejected. It will not be sent or counted.")
}

func (h *LetterReviewHandler) decided(c *gin.Context, d *models.Document, err error, done string) {
	back := "/admin/releases/" + d.ID + "/letters/flagged"
	switch {
	case errors.Is(err, models.ErrLetterNotFlagged):
		h.s.setFlash(c, "error", "That letter was already decided, perhaps by someone else; the list below is up to date.")
	case err != nil:
		_ = c.Error(err)
		return
	default:
		h.s.setFlash(c, "success", done)
	}
	redirect(c, back)
}
