package app

import (
	"bytes"
	"errors"
	"html"
	"image/png"
	"net/http"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"pressroom/models"
)

// TwoFactorHandler is enrolment, recovery codes and removal of a user's own
// second factor, and an admin's reset of someone else's.
type TwoFactorHandler struct {
	s *Server
}

// enrolPath is the enrolment page, where a user the Settings page requires a
// second factor of is sent until they have one (see Server.enforce).
const enrolPath = "/account/two-factor"

// Register adds the second-factor routes under /admin.
func (h *TwoFactorHandler) Register(r Routes) {
	r.GET(enrolPath, Staff, h.enrolForm)
	r.GET(enrolPath+"/qr.png", Staff, h.qr)
	r.POST(enrolPath+"/confirm", Staff, h.confirm)
	r.POST(enrolPath+"/remove", Staff, h.remove)
	r.POST(enrolPath+"/recovery-codes", Staff, h.renewCodes)
	r.POST("/users/:id/two-factor/reset", Roles(models.RoleAdmin), h.reset)
}

// issuer names Pressroom in authenticator apps, with the host so two
// installations are told apart.
func (h *TwoFactorHandler) issuer() string { return "Pressroom " + h.s.cfg.BaseURL.Host }

type enrolPage struct {
	Secret   string // for manual entry, only while enrolling
	Required bool
	Codes    []string // recovery codes, shown once right after confirmation
}

func (h *TwoFactorHandler) enrolForm(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	if has, err := models.HasSecondFactor(ctx, h.s.db.Gorm, u.ID); err != nil || has {
		if err != nil {
			_ = c.Error(err)
			return
		}
		redirect(c, "/admin/account")
		return
	}
	// The same secret while enrolment is unfinished, so a reload keeps the QR
	// code the phone may already have scanned.
	key, err := models.PendingTOTPKey(ctx, h.s.db.Gorm, h.s.cfg.SecretBox(), u, h.issuer())
	if errors.Is(err, models.ErrNotFound) {
		key, err = models.BeginTOTPEnrolment(ctx, h.s.db.Gorm, h.s.cfg.SecretBox(), u, h.issuer(), h.s.clock.Now())
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.renderEnrol(c, http.StatusOK, enrolPage{Secret: key.Secret()}, nil)
}

func (h *TwoFactorHandler) renderEnrol(c *gin.Context, status int, p enrolPage, errs map[string]string) {
	must, err := h.s.mustEnrol(c, currentUser(c))
	if err != nil {
		_ = c.Error(err)
		return
	}
	p.Required = must
	noStore(c)
	v := h.s.page(c, "Two-factor sign-in", "account", p)
	v.Errors = errs
	h.s.render(c, status, "admin/two_factor", v)
}

// qr serves the enrolment QR code from this origin (the CSP's img-src 'self'),
// never once enrolment is confirmed.
func (h *TwoFactorHandler) qr(c *gin.Context) {
	key, err := models.PendingTOTPKey(c.Request.Context(), h.s.db.Gorm, h.s.cfg.SecretBox(), currentUser(c), h.issuer())
	if errors.Is(err, models.ErrNotFound) {
		c.Status(http.StatusNotFound)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	img, err := key.Image(240, 240)
	if err != nil {
		_ = c.Error(err)
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		_ = c.Error(err)
		return
	}
	noStore(c)
	c.Data(http.StatusOK, "image/png", buf.Bytes())
}

func (h *TwoFactorHandler) confirm(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	codes, err := models.ConfirmTOTP(ctx, h.s.db.Gorm, h.s.cfg.SecretBox(), u.ID, c.PostForm("code"), currentSession(c).ID, h.s.clock.Now())
	if errors.Is(err, models.ErrWrongCode) || errors.Is(err, models.ErrCodeReused) {
		key, kerr := models.PendingTOTPKey(ctx, h.s.db.Gorm, h.s.cfg.SecretBox(), u, h.issuer())
		if kerr != nil {
			_ = c.Error(kerr)
			return
		}
		h.renderEnrol(c, http.StatusUnprocessableEntity, enrolPage{Secret: key.Secret()},
			map[string]string{"code": "is not the code your app shows for this secret: check the phone's clock, and type the 6 digits shown now"})
		return
	}
	if errors.Is(err, models.ErrNotFound) {
		redirect(c, "/admin"+enrolPath)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: ActionTwoFactorEnrolled, SubjectType: "user", SubjectID: u.ID, IP: c.ClientIP(), Details: "totp"})
	// Rendered, not redirected: recovery codes never sit in a cookie or URL.
	h.renderEnrol(c, http.StatusOK, enrolPage{Codes: codes}, nil)
}

// needCode checks the code a change to the second factor asks for; false
// means the account page was re-rendered with why.
func (h *TwoFactorHandler) needCode(c *gin.Context) bool {
	_, refused, err := h.s.checkCode(c, currentUser(c), c.PostForm("code"))
	if err != nil {
		_ = c.Error(err)
		return false
	}
	if refused != "" {
		(&AccountHandler{s: h.s}).render(c, http.StatusUnprocessableEntity, map[string]string{"two_factor_code": refused})
		return false
	}
	return true
}

func (h *TwoFactorHandler) remove(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	if !h.needCode(c) {
		return
	}
	err := models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		if err := models.RemoveSecondFactor(ctx, tx, u.ID, currentSession(c).ID, h.s.clock.Now()); err != nil {
			return err
		}
		return models.Audit(ctx, tx, models.AuditEvent{ActorID: &u.ID, Action: ActionTwoFactorRemoved, SubjectType: "user", SubjectID: u.ID, IP: c.ClientIP()})
	})
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", "Two-factor sign-in is off, and you were signed out everywhere else.")
	redirect(c, "/admin/account")
}

func (h *TwoFactorHandler) renewCodes(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	if !h.needCode(c) {
		return
	}
	codes, err := models.RegenerateRecoveryCodes(ctx, h.s.db.Gorm, u.ID, h.s.clock.Now())
	if err != nil {
		_ = c.Error(err)
		return
	}
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: ActionRecoveryCodesRenewed, SubjectType: "user", SubjectID: u.ID, IP: c.ClientIP()})
	h.renderEnrol(c, http.StatusOK, enrolPage{Codes: codes}, nil)
}

// reset removes another user's second factor (they lost their phone and
// their recovery codes), ends all their sessions, and tells them by email,
// so a reset they did not ask for does not go unnoticed.
func (h *TwoFactorHandler) reset(c *gin.Context) {
	ctx := c.Request.Context()
	actor := currentUser(c)
	u, err := models.UserByID(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	err = models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		if err := models.RemoveSecondFactor(ctx, tx, u.ID, "", h.s.clock.Now()); err != nil {
			return err
		}
		if err := models.Audit(ctx, tx, models.AuditEvent{ActorID: &actor.ID, Action: ActionTwoFactorReset, SubjectType: "user", SubjectID: u.ID, IP: c.ClientIP(), Details: "for " + u.Email}); err != nil {
			return err
		}
		return h.s.mailUser(ctx, tx, u, "Your Pressroom two-factor sign-in was reset", "two_factor_reset",
			actor.Name+" (an admin) reset the two-factor sign-in of your Pressroom account, and every session of yours was signed out. "+
				"Next time you sign in you will need only your password, and you can set up your authenticator app again from your account page.\n\n"+
				"If you did not ask for this, tell your admins and change your password now.\n",
			"<p>"+html.EscapeString(actor.Name)+" (an admin) reset the two-factor sign-in of your Pressroom account, and every session of yours was signed out. "+
				"Next time you sign in you will need only your password, and you can set up your authenticator app again from your account page.</p>"+
				"<p>If you did not ask for this, tell your admins and change your password now.</p>")
	})
	if errors.Is(err, models.ErrNotFound) {
		h.s.setFlash(c, "error", u.Name+" has no second factor to reset.")
		redirect(c, "/admin/users/"+u.ID)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", "Two-factor sign-in reset for "+u.Name+". They were signed out and told by email.")
	redirect(c, "/admin/users/"+u.ID)
}
