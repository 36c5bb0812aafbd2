package app

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// TokensHandler lets admins issue API tokens for anyone, and list and revoke
// everyone's. Every user manages their own on the account page too.
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
	Areas     []string
}

// issueToken issues a token acting as u from the form fields scope (read or
// write), area (any of models.TokenAreas; none is every area), name and
// expires (a duration such as 30d or 12h; empty for none). A bad field comes
// back as errs, in words, with nothing issued.
func issueToken(c *gin.Context, s *Server, u *models.User) (*models.APIToken, string, map[string]string, error) {
	scopes := strings.Join(append([]string{c.PostForm("scope")}, c.PostFormArray("area")...), " ")
	var ttl time.Duration
	if e := strings.TrimSpace(c.PostForm("expires")); e != "" {
		d, err := ParseLifetime(e)
		if err != nil || d <= 0 {
			return nil, "", map[string]string{"expires": "is not a duration: write it like 30d, 12h or 90m, or leave it empty for no expiry"}, nil
		}
		ttl = d
	}
	t, secret, err := models.IssueAPIToken(c.Request.Context(), s.db.Gorm, models.NewTokenInput{UserID: u.ID, Name: c.PostForm("name"), Scopes: scopes, TTL: ttl, Now: s.clock.Now()})
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return nil, "", ve.Fields, nil
	}
	return t, secret, nil, err
}

func (h *TokensHandler) renderList(c *gin.Context, status int, secret string, errs map[string]string) {
	ctx := c.Request.Context()
	users, err := models.Users(ctx, h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := tokensPage{Users: users, NewSecret: secret, Areas: models.TokenAreas}
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	ts, err := models.AllAPITokens(ctx, h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	for _, t := range ts {
		p.Tokens = append(p.Tokens, tokenRow{APIToken: t, UserName: names[t.UserID]})
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
	t, secret, errs, err := issueToken(c, h.s, u)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if errs != nil {
		h.renderList(c, http.StatusUnprocessableEntity, "", errs)
		return
	}
	actor := currentUser(c)
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: models.ActionTokenCreated, SubjectType: "api_token", SubjectID: t.ID, IP: c.ClientIP(), Details: "for " + u.Email + "; scopes " + t.Scopes})
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
