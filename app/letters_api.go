package app

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// LettersAPI serves an action's letter counts to staff: counts only, never
// the writers (everyone signed in may read them, as for petitions' counts).
type LettersAPI struct {
	s *Server
}

// Register adds GET /api/v1/releases/{id}/letters.
func (h *LettersAPI) Register(r Routes) {
	r.GET("/releases/:id/letters", Staff, h.counts)
}

func (h *LettersAPI) counts(c *gin.Context) {
	ctx := c.Request.Context()
	d, err := models.DocumentByID(ctx, h.s.db.Gorm, c.Param("id"))
	if errors.Is(err, models.ErrNotFound) || (err == nil && d.Kind != models.KindActionAlert) {
		apiError(c, http.StatusNotFound, "not_found", "no such action alert", nil)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	counts, err := models.LetterCountsOf(ctx, h.s.db.Gorm, d.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.JSON(http.StatusOK, counts)
}
