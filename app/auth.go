package app

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// AuthHandler signs staff in and out.
type AuthHandler struct {
	s *Server
}

// Register adds the login and logout routes.
func (h *AuthHandler) Register(r Routes) {
	r.GET("/", Public, func(c *gin.Context) { c.Redirect(http.StatusFound, "/news") })
	r.GET("/login", Public, h.form)
	r.POST("/login", Public, h.login)
	r.GET(loginCodePath, Public, h.codeForm)
	r.POST(loginCodePath, Public, h.code)
	r.POST("/logout", Staff, h.logout)
}

type loginForm struct {
	Email string
	Next  string
}

func (h *AuthHandler) form(c *gin.Context) {
	if u := h.s.sessionUser(c); u != nil {
		c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
		return
	}
	h.s.render(c, http.StatusOK, "public/login", h.s.page(c, "Sign in", "", loginForm{Next: c.Query("next")}))
}

func (h *AuthHandler) login(c *gin.Context) {
	ctx := c.Request.Context()
	form := loginForm{Email: strings.TrimSpace(c.PostForm("email")), Next: c.PostForm("next")}
	password := c.PostForm("password")
	ip := c.ClientIP()
	v := h.s.page(c, "Sign in", "", form)

	attempt, refused, err := h.s.loginGuard.Begin(ctx, form.Email, ip)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if refused != nil {
		c.Header("Retry-After", fmt.Sprint(int((refused.Wait+time.Second-1)/time.Second)))
		v.Errors = map[string]string{"form": refused.Message}
		h.s.render(c, http.StatusTooManyRequests, "public/login", v)
		return
	}
	u, err := models.Authenticate(ctx, h.s.db.Gorm, form.Email, password)
	if err != nil {
		_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{Action: models.ActionLoginFailed, SubjectType: "email", SubjectID: models.NormalizeEmail(form.Email), IP: ip})
		v.Errors = map[string]string{"form": "That email and password do not match an active account."}
		h.s.render(c, http.StatusUnauthorized, "public/login", v)
		return
	}
	if err := attempt.Succeeded(ctx); err != nil {
		_ = c.Error(err)
		return
	}
	has, err := models.HasSecondFactor(ctx, h.s.db.Gorm, u.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if has {
		// Password right, code to come: a challenge, not a session.
		token, err := models.CreateLoginChallenge(ctx, h.s.db.Gorm, u.ID, safeNext(form.Next), h.s.clock.Now())
		if err != nil {
			_ = c.Error(err)
			return
		}
		h.s.setChallengeCookie(c, token, int(models.LoginChallengeTTL.Seconds()))
		redirect(c, loginCodePath)
		return
	}
	if err := h.s.startSession(c, u, "password"); err != nil {
		_ = c.Error(err)
		return
	}
	if u.MustChangePassword {
		redirect(c, "/admin"+changePasswordPath)
		return
	}
	redirect(c, safeNext(form.Next))
}

func (h *AuthHandler) logout(c *gin.Context) {
	u := currentUser(c)
	if ck, err := c.Request.Cookie(sessionCookie); err == nil {
		if err := models.RevokeSession(c.Request.Context(), h.s.db.Gorm, ck.Value, h.s.clock.Now()); err != nil {
			_ = c.Error(err)
			return
		}
	}
	_ = models.Audit(c.Request.Context(), h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: models.ActionLogout, SubjectType: "user", SubjectID: u.ID, IP: c.ClientIP()})
	h.s.setSessionCookie(c, "", -1)
	h.s.setFlash(c, "success", "You are signed out.")
	redirect(c, "/login")
}
