package app

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
)

// The second step of signing in: after a right password, an account with a
// second factor gets a challenge cookie (path /login only) and this page;
// only a right code turns the challenge into a session.

const (
	loginCodePath   = "/login/code"
	challengeCookie = "pressroom_login"
)

// Code attempt limits: per account, since whoever reaches this step already
// has the password. Five wrong codes in a quarter of an hour and the account
// waits out the window; a million codes against five tries per window is
// hopeless for a guesser, and the owner is held up minutes, not locked out.
const (
	CodeFailuresPerAccount = 5
	CodeFailureWindow      = 15 * time.Minute
)

// Audit actions of second factors and sessions.
const (
	ActionLoginCodeFailed      = "login_code_failed"
	ActionRecoveryCodeUsed     = "recovery_code_used"
	ActionTwoFactorEnrolled    = "two_factor_enrolled"
	ActionTwoFactorRemoved     = "two_factor_removed"
	ActionTwoFactorReset       = "two_factor_reset"
	ActionRecoveryCodesRenewed = "recovery_codes_renewed"
	ActionSessionsRevokedOther = "sessions_revoked_others"
	ActionSettingsChanged      = "settings_changed"
)

type codeForm struct {
	Recovery bool
}

func (h *AuthHandler) challenge(c *gin.Context) (*models.User, *models.LoginChallenge) {
	ck, err := c.Request.Cookie(challengeCookie)
	if err != nil {
		return nil, nil
	}
	u, ch, err := models.LoginChallengeUser(c.Request.Context(), h.s.db.Gorm, ck.Value, h.s.clock.Now())
	if err != nil {
		return nil, nil
	}
	return u, ch
}

// signInFirst answers the code step without a live challenge (none, expired
// or already spent) with the sign-in form and why.
func (h *AuthHandler) signInFirst(c *gin.Context) {
	v := h.s.page(c, "Sign in", "", loginForm{})
	v.Errors = map[string]string{"form": "Sign in with your password first: the code step lasts ten minutes and works once."}
	h.s.render(c, http.StatusUnauthorized, "public/login", v)
}

func (h *AuthHandler) codeForm(c *gin.Context) {
	if u, _ := h.challenge(c); u == nil {
		h.signInFirst(c)
		return
	}
	noStore(c)
	h.s.render(c, http.StatusOK, "public/login_code", h.s.page(c, "Enter your code", "", codeForm{Recovery: c.Query("recovery") != ""}))
}

func (h *AuthHandler) code(c *gin.Context) {
	ctx := c.Request.Context()
	u, ch := h.challenge(c)
	if u == nil {
		h.signInFirst(c)
		return
	}
	noStore(c)
	v := h.s.page(c, "Enter your code", "", codeForm{Recovery: c.PostForm("recovery") != ""})
	method, refused, err := h.s.checkCode(c, u, c.PostForm("code"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	if refused != "" {
		v.Errors = map[string]string{"code": refused}
		status := http.StatusUnauthorized
		if c.Writer.Header().Get("Retry-After") != "" {
			status = http.StatusTooManyRequests
		}
		h.s.render(c, status, "public/login_code", v)
		return
	}
	if err := models.FinishLoginChallenge(ctx, h.s.db.Gorm, ch.ID, h.s.clock.Now()); err != nil {
		h.s.setFlash(c, "error", "That sign-in was already finished. Sign in again.")
		redirect(c, "/login")
		return
	}
	h.s.setChallengeCookie(c, "", -1)
	if err := h.s.startSession(c, u, method); err != nil {
		_ = c.Error(err)
		return
	}
	if method == models.MethodRecoveryCode {
		st, err := models.TwoFactorStatusOf(ctx, h.s.db.Gorm, u.ID)
		if err != nil {
			_ = c.Error(err)
			return
		}
		h.s.setFlash(c, "success", fmt.Sprintf("You signed in with a recovery code; it cannot be used again. You have %d left: make new ones on your account page if you are running out.", st.RecoveryCodesLeft))
	}
	if u.MustChangePassword {
		redirect(c, "/admin"+changePasswordPath)
		return
	}
	redirect(c, safeNext(ch.NextPath))
}

// checkCode verifies a second-factor code for u under the per-account limit.
// It returns the method that matched, or the refusal in words (setting
// Retry-After when the limit is reached). Failures are audited; a recovery
// code spent is audited too.
func (s *Server) checkCode(c *gin.Context, u *models.User, code string) (method, refused string, err error) {
	ctx := c.Request.Context()
	n, reset, err := s.codeFailures.Add(ctx, u.ID)
	if err != nil {
		return "", "", fmt.Errorf("app: code limits: %w", err)
	}
	if n > CodeFailuresPerAccount {
		c.Header("Retry-After", fmt.Sprint(int((reset+time.Second-1)/time.Second)))
		return "", fmt.Sprintf("Too many wrong codes for this account. Try again in %s.", minutes(reset)), s.codeFailures.Undo(ctx, u.ID)
	}
	method, err = models.VerifySecondFactor(ctx, s.db.Gorm, s.cfg.SecretBox(), u.ID, code, s.clock.Now())
	switch {
	case errors.Is(err, models.ErrWrongCode), errors.Is(err, models.ErrCodeReused), errors.Is(err, models.ErrNotFound):
		_ = models.Audit(ctx, s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: ActionLoginCodeFailed, SubjectType: "user", SubjectID: u.ID, IP: c.ClientIP()})
		if errors.Is(err, models.ErrCodeReused) {
			return "", "That code was already used. Wait for your app to show the next one.", nil
		}
		return "", "That code is not right. Type the 6 digits your authenticator app shows now, or one of your recovery codes.", nil
	case err != nil:
		return "", "", err
	}
	if err := s.codeFailures.Reset(ctx, u.ID); err != nil {
		return "", "", fmt.Errorf("app: code limits: %w", err)
	}
	if method == models.MethodRecoveryCode {
		_ = models.Audit(ctx, s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: ActionRecoveryCodeUsed, SubjectType: "user", SubjectID: u.ID, IP: c.ClientIP()})
	}
	return method, "", nil
}

// startSession signs a browser in as u after every factor was checked: a
// fresh session (the old one revoked, against fixation), the login audited
// with the method, and, when the device is new to a user who signed in
// before, an email telling them.
func (s *Server) startSession(c *gin.Context, u *models.User, method string) error {
	ctx := c.Request.Context()
	now, ip, ua := s.clock.Now(), c.ClientIP(), c.Request.UserAgent()
	if old, err := c.Request.Cookie(sessionCookie); err == nil {
		_ = models.RevokeSession(ctx, s.db.Gorm, old.Value, now)
	}
	known, before, err := models.KnownDevice(ctx, s.db.Gorm, u.ID, ip, ua)
	if err != nil {
		return err
	}
	var token string
	err = models.Transaction(ctx, s.db.Gorm, func(tx *gorm.DB) error {
		var err error
		if token, err = s.cfg.Sessions.Create(ctx, tx, u.ID, ip, ua, now); err != nil {
			return err
		}
		if err := models.Audit(ctx, tx, models.AuditEvent{ActorID: &u.ID, Action: models.ActionLogin, SubjectType: "user", SubjectID: u.ID, IP: ip, Details: method}); err != nil {
			return err
		}
		if known || !before {
			return nil
		}
		device := models.DeviceLabel(ua)
		when := now.In(u.Location(s.cfg.DefaultTimezone)).Format("2 January 2006 at 15:04 MST")
		return s.mailUser(ctx, tx, u, "New sign-in to your Pressroom account", "new_device",
			"Someone signed in to your Pressroom account from a device it has not seen before:\n\n"+
				"  "+device+"\n  from "+ip+"\n  on "+when+"\n\n"+
				"If that was you, there is nothing to do. If not, change your password now and sign out everywhere else from your account page: "+s.cfg.URL("/admin/account")+"\n",
			"<p>Someone signed in to your Pressroom account from a device it has not seen before:</p><ul><li>"+html.EscapeString(device)+
				"</li><li>from "+html.EscapeString(ip)+"</li><li>on "+html.EscapeString(when)+"</li></ul>"+
				"<p>If that was you, there is nothing to do. If not, change your password now and sign out everywhere else from <a href=\""+
				html.EscapeString(s.cfg.URL("/admin/account"))+"\">your account page</a>.</p>")
	})
	if err != nil {
		return fmt.Errorf("app: start session: %w", err)
	}
	s.setSessionCookie(c, token, int(s.cfg.Sessions.MaxAge.Seconds()))
	return nil
}

// mailUser queues a security notice to a staff member in tx, so it goes
// exactly when the change it reports is committed. text and htmlBody follow
// "Hello <name>," which is substituted per part, escaped in HTML.
func (s *Server) mailUser(ctx context.Context, tx *gorm.DB, u *models.User, subject, purpose, text, htmlBody string) error {
	from := s.cfg.MailFrom
	batch := jobs.Batch{
		From:    jobs.Address{Email: from.Address, Name: from.Name},
		Subject: subject,
		Text:    "Hello " + jobs.KeyName + ",\n\n" + text,
		HTML:    "<p>Hello " + jobs.KeyNameHTML + ",</p>" + htmlBody,
		Recipients: []jobs.Recipient{{To: jobs.Address{Email: u.Email, Name: u.Name},
			Substitutions: jobs.Substitutions(jobs.KeyName, u.Name)}},
	}
	return jobs.EnqueueTx(ctx, s.jobs, tx, jobs.DeliverMailArgs{Batch: batch, Purpose: purpose}, nil)
}

func (s *Server) setChallengeCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: challengeCookie, Value: value, Path: "/login", MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
}
