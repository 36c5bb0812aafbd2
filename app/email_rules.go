package app

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// EmailRulesHandler lets campaigners and admins edit how addresses of each
// domain fold into one mailbox (one signature per mailbox per petition): dots
// ignored, sub-address separator, and aliases of one canonical domain.
type EmailRulesHandler struct {
	s *Server
}

// Register adds /admin/email-rules.
func (h *EmailRulesHandler) Register(r Routes) {
	manage := Roles(models.RoleCampaigner)
	r.GET("/email-rules", manage, h.list)
	r.POST("/email-rules", manage, h.save)
	r.POST("/email-rules/:domain/delete", manage, h.remove)
}

// emailRuleForm is what the rule form posts.
type emailRuleForm struct {
	Domain, CanonicalDomain, TagSeparator string
	StripDots                             bool
}

type emailRulesPage struct {
	Rules []models.EmailRule
	Form  emailRuleForm
}

func (h *EmailRulesHandler) render(c *gin.Context, status int, f emailRuleForm, errs map[string]string) {
	rules, err := models.EmailRuleList(c.Request.Context(), h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	v := h.s.page(c, "Email address rules", "petitions", emailRulesPage{Rules: rules, Form: f})
	v.Errors = errs
	h.s.render(c, status, "admin/email_rules", v)
}

func (h *EmailRulesHandler) list(c *gin.Context) {
	h.render(c, http.StatusOK, emailRuleForm{TagSeparator: "+"}, nil)
}

func (h *EmailRulesHandler) save(c *gin.Context) {
	f := emailRuleForm{Domain: c.PostForm("domain"), CanonicalDomain: c.PostForm("canonical_domain"), TagSeparator: c.PostForm("tag_separator"),
		StripDots: c.PostForm("strip_dots") == "yes"}
	r, err := models.SaveEmailRule(c.Request.Context(), h.s.db.Gorm, currentUser(c),
		models.EmailRule{Domain: f.Domain, CanonicalDomain: f.CanonicalDomain, TagSeparator: f.TagSeparator, StripDots: f.StripDots}, c.ClientIP())
	if fields := validationFields(err); fields != nil {
		h.render(c, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", "Rule for "+r.Domain+" saved. It applies to signatures from now on.")
	redirect(c, "/admin/email-rules")
}

func (h *EmailRulesHandler) remove(c *gin.Context) {
	err := models.DeleteEmailRule(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("domain"), c.ClientIP())
	switch {
	case errors.Is(err, models.ErrNotFound):
		h.s.setFlash(c, "error", "There is no rule for "+c.Param("domain")+" (someone may have removed it already).")
	case err != nil:
		_ = c.Error(err)
		return
	default:
		h.s.setFlash(c, "success", "Rule for "+c.Param("domain")+" removed.")
	}
	redirect(c, "/admin/email-rules")
}
