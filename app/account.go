package app

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
)

// AccountHandler is every user's own page: their sessions and password.
type AccountHandler struct {
	s *Server
}

// Register adds the account routes.
func (h *AccountHandler) Register(r Routes) {
	r.GET("/account", Staff, h.show)
	r.GET(changePasswordPath, Staff, h.passwordForm)
	r.POST(changePasswordPath, Staff, h.password)
	r.POST("/account/sessions/:id/revoke", Staff, h.revokeSession)
	r.POST("/account/sessions/revoke-others", Staff, h.revokeOthers)
	r.POST("/account/tokens", Staff, h.createToken)
	r.POST("/account/tokens/:id/revoke", Staff, h.revokeToken)
	r.POST("/account/test-email", Staff, h.testEmail)
}

type accountPage struct {
	Sessions  []models.Session
	Current   string
	TwoFactor models.TwoFactorStatus
	Tokens    []models.APIToken
	NewSecret string // a token just created, shown once
	Areas     []string
}

func (h *AccountHandler) render(c *gin.Context, status int, errs map[string]string) {
	h.renderWith(c, status, "", errs)
}

func (h *AccountHandler) renderWith(c *gin.Context, status int, secret string, errs map[string]string) {
	ctx := c.Request.Context()
	u := currentUser(c)
	ss, err := h.s.cfg.Sessions.Active(ctx, h.s.db.Gorm, u.ID, h.s.clock.Now())
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := accountPage{Sessions: ss, NewSecret: secret, Areas: models.TokenAreas}
	if sess := currentSession(c); sess != nil {
		p.Current = sess.ID
	}
	if p.TwoFactor, err = models.TwoFactorStatusOf(ctx, h.s.db.Gorm, u.ID); err != nil {
		_ = c.Error(err)
		return
	}
	if p.Tokens, err = models.APITokensByUser(ctx, h.s.db.Gorm, u.ID); err != nil {
		_ = c.Error(err)
		return
	}
	if secret != "" {
		noStore(c)
	}
	v := h.s.page(c, "Your account", "account", p)
	v.Errors = errs
	h.s.render(c, status, "admin/account", v)
}

func (h *AccountHandler) show(c *gin.Context) { h.render(c, http.StatusOK, nil) }

// changePasswordPath is the page a user whose password someone else chose is
// sent to until they choose their own (see Server.enforce).
const changePasswordPath = "/account/password"

// passwordForm is the first-sign-in page: only the change-password form. Users
// who chose their own password already change it from the account page.
func (h *AccountHandler) passwordForm(c *gin.Context) {
	if !currentUser(c).MustChangePassword {
		c.Redirect(http.StatusSeeOther, "/admin/account")
		return
	}
	h.s.render(c, http.StatusOK, "admin/password", h.s.page(c, "Choose your own password", "account", nil))
}

func (h *AccountHandler) password(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	fail := func(errs map[string]string) {
		if u.MustChangePassword {
			v := h.s.page(c, "Choose your own password", "account", nil)
			v.Errors = errs
			h.s.render(c, http.StatusUnprocessableEntity, "admin/password", v)
			return
		}
		h.render(c, http.StatusUnprocessableEntity, errs)
	}
	current, next := c.PostForm("current_password"), c.PostForm("new_password")
	if _, err := models.Authenticate(ctx, h.s.db.Gorm, u.Email, current); err != nil {
		fail(map[string]string{"current_password": "is not your current password"})
		return
	}
	if next != c.PostForm("confirm_password") {
		fail(map[string]string{"confirm_password": "does not match the new password"})
		return
	}
	if next == current {
		msg := "is your current password: choose a new one"
		if u.MustChangePassword {
			msg = "is the password you were given: choose one of your own"
		}
		fail(map[string]string{"new_password": msg})
		return
	}
	now := h.s.clock.Now()
	err := models.SetPassword(ctx, h.s.db.Gorm, u.ID, next, now)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		fail(map[string]string{"new_password": ve.Fields["password"]})
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	// Every session was revoked with the password change; start a new one here.
	token, err := h.s.cfg.Sessions.Create(ctx, h.s.db.Gorm, u.ID, c.ClientIP(), c.Request.UserAgent(), now)
	if err != nil {
		_ = c.Error(err)
		return
	}
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: "password_changed", SubjectType: "user", SubjectID: u.ID, IP: c.ClientIP()})
	h.s.setSessionCookie(c, token, int(h.s.cfg.Sessions.MaxAge.Seconds()))
	if u.MustChangePassword {
		h.s.setFlash(c, "success", "Your password is set. Welcome to Pressroom.")
		redirect(c, "/admin")
		return
	}
	h.s.setFlash(c, "success", "Password changed. You were signed out everywhere else.")
	redirect(c, "/admin/account")
}

func (h *AccountHandler) revokeSession(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	if err := models.RevokeSessionByID(ctx, h.s.db.Gorm, u.ID, c.Param("id"), h.s.clock.Now()); err != nil {
		_ = c.Error(err)
		return
	}
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: models.ActionSessionRevoke, SubjectType: "session", SubjectID: c.Param("id")[:8], IP: c.ClientIP()})
	h.s.setFlash(c, "success", "That session is signed out.")
	redirect(c, "/admin/account")
}

// revokeOthers is "sign out everywhere else": every session of the user but
// this one ends.
func (h *AccountHandler) revokeOthers(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	if err := models.RevokeOtherSessions(ctx, h.s.db.Gorm, u.ID, currentSession(c).ID, h.s.clock.Now()); err != nil {
		_ = c.Error(err)
		return
	}
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: ActionSessionsRevokedOther, SubjectType: "user", SubjectID: u.ID, IP: c.ClientIP()})
	h.s.setFlash(c, "success", "You are signed out everywhere else.")
	redirect(c, "/admin/account")
}

// createToken issues an API token acting as the signed-in user, with the
// scopes and expiry they chose; the secret is shown once, on this response.
func (h *AccountHandler) createToken(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	t, secret, errs, err := issueToken(c, h.s, u)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if errs != nil {
		h.render(c, http.StatusUnprocessableEntity, errs)
		return
	}
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: models.ActionTokenCreated, SubjectType: "api_token", SubjectID: t.ID, IP: c.ClientIP(), Details: "own; scopes " + t.Scopes})
	h.renderWith(c, http.StatusCreated, secret, nil)
}

func (h *AccountHandler) revokeToken(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	if err := models.RevokeAPIToken(ctx, h.s.db.Gorm, u.ID, c.Param("id"), h.s.clock.Now()); err != nil {
		_ = c.Error(err)
		return
	}
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: models.ActionTokenRevoked, SubjectType: "api_token", SubjectID: c.Param("id"), IP: c.ClientIP()})
	h.s.setFlash(c, "success", "Token revoked. Scripts using it now get 401.")
	redirect(c, "/admin/account")
}

// testEmail queues an email to the signed-in user, so staff can check that mail
// reaches them (through SendGrid, or into the outbox) and the worker is running.
func (h *AccountHandler) testEmail(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	from := h.s.cfg.MailFrom
	batch := jobs.Batch{
		From:    jobs.Address{Email: from.Address, Name: from.Name},
		Subject: "Pressroom test email",
		Text:    "Hello " + jobs.KeyName + ",\n\nThis is the test email you asked for from your Pressroom account page. Mail reaches you.\n",
		HTML:    "<p>Hello " + jobs.KeyNameHTML + ",</p><p>This is the test email you asked for from your Pressroom account page. Mail reaches you.</p>",
		Recipients: []jobs.Recipient{{To: jobs.Address{Email: u.Email, Name: u.Name},
			Substitutions: jobs.Substitutions(jobs.KeyName, u.Name)}},
	}
	err := models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		if err := models.Audit(ctx, tx, models.AuditEvent{ActorID: &u.ID, Action: "test_email_requested", SubjectType: "user", SubjectID: u.ID, IP: c.ClientIP()}); err != nil {
			return err
		}
		return jobs.EnqueueTx(ctx, h.s.jobs, tx, jobs.DeliverMailArgs{Batch: batch, Purpose: "test"}, nil)
	})
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", "A test email is on its way to "+u.Email+".")
	redirect(c, "/admin/account")
}
