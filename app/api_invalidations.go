package app

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
)

// invalidationJSON is a bulk invalidation as the API shows it.
type invalidationJSON struct {
	ID          string                    `json:"id"`
	PetitionID  string                    `json:"petition_id"`
	Status      models.InvalidationStatus `json:"status"`
	Matched     int                       `json:"matched"`
	Invalidated int                       `json:"invalidated"`
	CreatedAt   time.Time                 `json:"created_at"`
	FinishedAt  *time.Time                `json:"finished_at"`
	ReversedAt  *time.Time                `json:"reversed_at"`
}

func toInvalidationJSON(inv *models.Invalidation) invalidationJSON {
	return invalidationJSON{ID: inv.ID, PetitionID: inv.PetitionID, Status: inv.Status, Matched: inv.Matched, Invalidated: inv.Invalidated,
		CreatedAt: inv.CreatedAt.UTC(), FinishedAt: utcPtr(inv.FinishedAt), ReversedAt: utcPtr(inv.ReversedAt)}
}

// registerInvalidations adds the bulk invalidation endpoints.
func (h *PetitionsAPI) registerInvalidations(r Routes) {
	manage := Roles(models.RoleCampaigner)
	r.POST("/petitions/:id/invalidations/preview", manage, h.previewInvalidation)
	r.POST("/petitions/:id/invalidations", manage, h.createInvalidation)
	r.GET("/invalidations/:id", Staff, h.getInvalidation)
	r.POST("/invalidations/:id/reverse", manage, h.reverseInvalidation)
}

func bindCriteria(c *gin.Context) (models.InvalidationCriteria, bool) {
	var cr models.InvalidationCriteria
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cr); err != nil {
		apiError(c, http.StatusBadRequest, "bad_request", "the body must be a JSON object of criteria: ip, cidr, domain, email_pattern, country, state, from, to", nil)
		return cr, false
	}
	return cr, true
}

func (h *PetitionsAPI) previewInvalidation(c *gin.Context) {
	cr, ok := bindCriteria(c)
	if !ok {
		return
	}
	n, err := models.PreviewInvalidation(c.Request.Context(), h.s.db.Gorm, c.Param("id"), cr)
	if err != nil {
		petitionFail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"matches": n})
}

func (h *PetitionsAPI) createInvalidation(c *gin.Context) {
	cr, ok := bindCriteria(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	var inv *models.Invalidation
	err := models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		var err error
		if inv, err = models.CreateInvalidation(ctx, tx, currentUser(c), c.Param("id"), cr, h.s.clock.Now()); err != nil {
			return err
		}
		return jobs.EnqueueTx(ctx, h.s.jobs, tx, jobs.InvalidateSignaturesArgs{InvalidationID: inv.ID}, nil)
	})
	if err != nil {
		petitionFail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, toInvalidationJSON(inv))
}

func (h *PetitionsAPI) getInvalidation(c *gin.Context) {
	inv, err := models.InvalidationByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		apiError(c, http.StatusNotFound, "not_found", "no such invalidation", nil)
		return
	}
	c.JSON(http.StatusOK, toInvalidationJSON(inv))
}

func (h *PetitionsAPI) reverseInvalidation(c *gin.Context) {
	inv, err := models.ReverseInvalidation(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), h.s.clock.Now())
	if err != nil {
		petitionFail(c, err)
		return
	}
	c.JSON(http.StatusOK, toInvalidationJSON(inv))
}
