package app

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// SettingsHandler changes the organisation-wide settings shown on the
// Settings page (today: who must use two-factor sign-in).
type SettingsHandler struct {
	s *Server
}

// Register adds the settings forms.
func (h *SettingsHandler) Register(r Routes) {
	r.POST("/settings/two-factor", Roles(models.RoleAdmin), h.twoFactor)
}

type settingsPage struct {
	TwoFactorRequired string
	Options           []struct{ Value, Label string }
}

func (h *SettingsHandler) render(c *gin.Context, status int, errs map[string]string) {
	req, err := models.TwoFactorRequirement(c.Request.Context(), h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	v := h.s.page(c, "Settings", "settings", settingsPage{TwoFactorRequired: req, Options: models.TwoFactorRequirementLabels})
	v.Errors = errs
	h.s.render(c, status, "admin/settings", v)
}

func (h *SettingsHandler) twoFactor(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	value := c.PostForm("two_factor_required")
	err := models.SetTwoFactorRequirement(ctx, h.s.db.Gorm, value, u.ID, h.s.clock.Now())
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		h.render(c, http.StatusUnprocessableEntity, ve.Fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: ActionSettingsChanged, SubjectType: "setting", SubjectID: models.SettingTwoFactorRequired, IP: c.ClientIP(), Details: value})
	h.s.setFlash(c, "success", "Saved. Anyone it now covers who has no second factor sets one up before their next page.")
	redirect(c, "/admin/settings")
}
