package app

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// TokensHandler lets admins issue and revoke API tokens.
type TokensHandler struct {
	s *Server
}

// Register adds the token pages.
func (h *TokensHandler) Register(r Routes) {
	admin := Roles(models.RoleAdmin)
	r.GET("/tokens", admin, h.list)
	r.POST("/tokens", admin, h.create)
	r.POST("/tokens/:id/revoke", admin, h.revoke)
}

type tokenRow struct {
	models.APIToken
	UserName string
}

type tokensPage struct {
	Tokens    []tokenRow
	Users     []models.User
	NewSecret string // shown once, right after creation
}

func (h *TokensHandler) renderList(c *gin.Context, status int, secret string, errs map[string]string) {
	ctx := c.Request.Context()
	users, err := models.Users(ctx, h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := tokensPage{Users: users, NewSecret: secret}
	for _, u := range users {
		ts, err := models.APITokensByUser(ctx, h.s.db.Gorm, u.ID)
		if err != nil {
			_ = c.Error(err)
			return
		}
		for _, t := range ts {
			p.Tokens = append(p.Tokens, tokenRow{APIToken: t, UserName: u.Name})
		}
	}
	v := h.s.page(c, "API tokens", "tokens", p)
	v.Errors = errs
	h.s.render(c, status, "admin/tokens", v)
}

func (h *TokensHandler) list(c *gin.Context) { h.renderList(c, http.StatusOK, "", nil) }

func (h *TokensHandler) create(c *gin.Context) {
	ctx := c.Request.Context()
	u, err := models.UserByID(ctx, h.s.db.Gorm, c.PostForm("user_id"))
	if err != nil {
		h.renderList(c, http.StatusUnprocessableEntity, "", map[string]string{"user_id": "choose the account the token acts as"})
		return
	}
	t, secret, err := models.CreateAPIToken(ctx, h.s.db.Gorm, u.ID, c.PostForm("name"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	actor := currentUser(c)
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: models.ActionTokenCreated, SubjectType: "api_token", SubjectID: t.ID, IP: c.ClientIP(), Details: "for " + u.Email})
	// Rendered rather than redirected: the secret must never sit in a cookie or URL.
	c.Header("Cache-Control", "no-store")
	h.renderList(c, http.StatusCreated, secret, nil)
}

func (h *TokensHandler) revoke(c *gin.Context) {
	ctx := c.Request.Context()
	if err := models.RevokeAPIToken(ctx, h.s.db.Gorm, c.PostForm("user_id"), c.Param("id"), h.s.clock.Now()); err != nil {
		_ = c.Error(err)
		return
	}
	actor := currentUser(c)
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: models.ActionTokenRevoked, SubjectType: "api_token", SubjectID: c.Param("id"), IP: c.ClientIP()})
	h.s.setFlash(c, "success", "Token revoked. Scripts using it now get 401.")
	redirect(c, "/admin/tokens")
}
