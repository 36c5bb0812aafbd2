package app

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// petitionFormPath reports whether a path is a petition's page, /p/{slug},
// whose signing form is a public anonymous form checked by origin rather
// than by a per-visitor token (petitionFormGuard).
func petitionFormPath(path string) bool {
	rest, ok := strings.CutPrefix(path, "/p/")
	return ok && rest != "" && !strings.Contains(rest, "/")
}

// actionFormPath reports whether a path is an Urgent Action's page,
// /a/{slug}, or one its forms post to (/print, /posted): like the petition's,
// they are checked by origin, so the page is the same bytes for everyone.
// The confirmation page (/a/{slug}/confirm/{token}) keeps its token: it is
// one visitor's page anyway.
func actionFormPath(path string) bool {
	rest, ok := strings.CutPrefix(path, "/a/")
	if !ok {
		return false
	}
	slug, form, nested := strings.Cut(rest, "/")
	return slug != "" && (!nested || form == "print" || form == "posted")
}

// petitionFormGuard protects the petition page's signing form (and the
// action page's letter forms, actionFormPath) against
// cross-site request forgery with the browser's own account of where a
// request comes from (net/http.CrossOriginProtection: Sec-Fetch-Site, which
// every current browser sends, or else Origin against Host) instead of a
// gorilla/csrf token. A token would make the page different for every
// visitor (and mint a cookie for each first-time one), so it could not be
// served as the same cached bytes; and it protects nothing the origin check
// does not here: the form is anonymous (no session is involved, the signature
// counts only once confirmed from the mailbox), so what a forger could do is
// have a visitor's browser submit a form, which is exactly what a cross-site
// request is. The form still works without JavaScript.
//
// Trusted besides this site's own origin: BASE_URL's origin (a proxy that
// rewrites Host would otherwise refuse a browser old enough to send only
// Origin) and PUBLIC_ALLOWED_ORIGINS, the organisation's own sites, which may
// carry the form as the JSON API's CORS lets them call it. A request without
// Sec-Fetch-Site or Origin is not a browser's form and is let through, as a
// token would have been fetched by such a client anyway. Staff forms keep
// gorilla/csrf: they act with a session.
func (s *Server) petitionFormGuard() gin.HandlerFunc {
	guard := http.NewCrossOriginProtection()
	for _, o := range append([]string{strings.ToLower(s.cfg.BaseURL.Scheme + "://" + s.cfg.BaseURL.Host)}, s.cfg.Petitions.AllowedOrigins...) {
		if err := guard.AddTrustedOrigin(o); err != nil {
			s.logger.Warn("petition form: origin not trusted", "origin", o, "err", err)
		}
	}
	return func(c *gin.Context) {
		if err := guard.Check(c.Request); err != nil {
			why := "The petition form only accepts signatures sent from the petition's own pages. Open the petition and sign it there."
			if actionFormPath(c.Request.URL.Path) {
				why = "The letter forms only accept letters sent from the action's own page. Open the action and write your letter there."
			}
			s.errorPage(c, http.StatusForbidden, "This form cannot be sent from here", why)
			c.Abort()
			return
		}
		c.Next()
	}
}
