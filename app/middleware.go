package app

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/csrf"

	"pressroom/models"
)

const ctxRequestID = "pressroom.request_id"

// requestLog gives every request an id (echoed in X-Request-Id and every log line
// about it), records its duration in the metrics, and logs it.
func (s *Server) requestLog(c *gin.Context) {
	start := time.Now()
	id := c.GetHeader("X-Request-Id")
	if id == "" || len(id) > 64 {
		id = models.NewID()
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-Id", id)
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	elapsed := time.Since(start)
	status := c.Writer.Status()
	s.metrics.observe(c.Request.Method, route, status, elapsed)
	if route == "/healthz" || route == "/readyz" || route == "/metrics" || strings.HasPrefix(route, "/static/") {
		return
	}
	s.logger.InfoContext(c.Request.Context(), "request", "request_id", id, "method", c.Request.Method, "route", route,
		"status", status, "duration_ms", elapsed.Milliseconds())
}

// recoverPanics turns a panic into a logged 500 page; no stack trace reaches the
// browser.
func (s *Server) recoverPanics(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.logger.ErrorContext(c.Request.Context(), "panic", "panic", r, "request_id", c.GetString(ctxRequestID), "path", c.Request.URL.Path)
			if !c.Writer.Written() {
				if isAPI(c) {
					apiError(c, http.StatusInternalServerError, "internal", "something went wrong", nil)
				} else {
					s.errorPage(c, http.StatusInternalServerError, "Something went wrong", "The error was logged (request id "+c.GetString(ctxRequestID)+").")
				}
			}
			c.Abort()
		}
	}()
	c.Next()
}

// securityHeaders sets the strict defaults every response carries. Pages load no
// inline script; the preview frame of an outbox message relaxes frame-ancestors
// itself.
func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	// Violations are reported to Pressroom itself (report-uri for browsers
	// without the Reporting API, report-to for those with it).
	reportURL := CSPReportPath
	if s.cfg.BaseURL != nil {
		reportURL = strings.TrimRight(s.cfg.BaseURL.String(), "/") + CSPReportPath
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; report-uri "+reportURL+"; report-to csp-endpoint")
	h.Set("Reporting-Endpoints", `csp-endpoint="`+reportURL+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if s.cfg.Secure() {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	c.Next()
}

type ginContextKey struct{}

// csrfProtect applies gorilla/csrf to every state-changing browser request. The
// JSON API (bearer tokens, no cookies), signed webhooks, RFC 8058 one-click
// unsubscribe posts and browsers' CSP violation reports are exempt: they carry
// no ambient credentials to abuse. The framable petition widget is exempt too:
// a cross-site frame never gets the SameSite cookie, so it has its own check
// (PetitionEmbedHandler). The petition page's signing form and the action
// page's letter forms are checked by origin instead of by token
// (petitionFormGuard), so those pages are the same bytes for every visitor.
func (s *Server) csrfProtect() gin.HandlerFunc {
	petitionForm := s.petitionFormGuard()
	protect := csrf.Protect(s.cfg.SessionSecret,
		csrf.Secure(s.cfg.Secure()),
		csrf.Path("/"),
		csrf.HttpOnly(true),
		csrf.SameSite(csrf.SameSiteLaxMode),
		csrf.CookieName("pressroom_csrf"),
		csrf.FieldName("csrf_token"),
		csrf.RequestHeader("X-CSRF-Token"),
		csrf.ErrorHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := r.Context().Value(ginContextKey{}).(*gin.Context)
			c.Request = r
			s.errorPage(c, http.StatusForbidden, "This form has expired",
				"For your security the form could not be accepted (it was open too long, or came from another site). Go back, reload the page and submit it again.")
			c.Abort()
		})),
	)
	plaintext := !s.cfg.Secure()
	return func(c *gin.Context) {
		r := c.Request
		path := r.URL.Path
		if strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/webhooks/") || path == CSPReportPath ||
			strings.HasPrefix(path, "/static/") || path == "/healthz" || path == "/readyz" || path == "/metrics" ||
			(publicCacheablePath(path) && (r.Method == http.MethodGet || r.Method == http.MethodHead)) ||
			embedPath(path) {
			c.Next()
			return
		}
		if petitionFormPath(path) || actionFormPath(path) {
			petitionForm(c)
			return
		}
		if plaintext {
			r = csrf.PlaintextHTTPRequest(r)
		}
		if r.Method == http.MethodPost && strings.HasPrefix(path, "/u/") && r.PostFormValue("List-Unsubscribe") == "One-Click" {
			r = csrf.UnsafeSkipCheck(r)
		}
		r = r.WithContext(context.WithValue(r.Context(), ginContextKey{}, c))
		called := false
		protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			called = true
			c.Request = r
			c.Next()
		})).ServeHTTP(c.Writer, r)
		if !called {
			c.Abort()
		}
	}
}

const sessionCookie = "pressroom_session"

// sessionUser returns the user signed in by the session cookie, or nil.
func (s *Server) sessionUser(c *gin.Context) *models.User {
	u, _ := s.session(c)
	return u
}

// session returns the user and session of the session cookie, or nils. A
// half-finished sign-in (password right, code to come) is a LoginChallenge,
// not a session, and never signs anyone in here.
func (s *Server) session(c *gin.Context) (*models.User, *models.Session) {
	ck, err := c.Request.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	u, sess, err := s.cfg.Sessions.User(c.Request.Context(), s.db.Gorm, ck.Value, s.clock.Now())
	if err != nil {
		return nil, nil
	}
	return u, sess
}

// apiUser returns the user a bearer token acts as and the token, or nils.
func (s *Server) apiUser(c *gin.Context) (*models.User, *models.APIToken) {
	h := c.GetHeader("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		return nil, nil
	}
	u, t, err := models.AuthenticateAPIToken(c.Request.Context(), s.db.Gorm, strings.TrimSpace(token), c.ClientIP(), s.clock.Now())
	if err != nil {
		return nil, nil
	}
	return u, t
}

func (s *Server) setSessionCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
}
