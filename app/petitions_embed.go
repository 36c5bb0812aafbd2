package app

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// PetitionEmbedHandler serves the petition widget, /p/{slug}/embed: the
// counter and the signing form in a page the organisation's own sites
// (PUBLIC_ALLOWED_ORIGINS) may put in an iframe. It is the only framable
// route; every other response keeps frame-ancestors 'none' and
// X-Frame-Options: DENY (securityHeaders).
//
// Its form cannot use the cookie-based CSRF token: a cross-site frame is a
// third-party context, where the SameSite=Lax cookie is never sent (and
// browsers increasingly drop third-party cookies altogether). So the widget
// sets no cookie and its POST is checked in two other ways instead:
//
//   - the request's Origin (or, without one, its Referer) must be this site or
//     one of PUBLIC_ALLOWED_ORIGINS. A form in our frame posts with our own
//     origin whoever frames it; a forged cross-site post carries the forger's
//     origin and is refused. This is the standard-header check OWASP
//     recommends, and no browser lets a page set Origin.
//   - the form carries a token signed with the server key (HMAC-SHA256 over the
//     petition and the time it was rendered) that expires after
//     embedTokenTTL, so a post must come from a form we rendered for this
//     petition, recently.
//
// Neither needs anything of the visitor's, so the widget stays cacheable and
// sets no cookie in the host page's visitors' browsers. What a forged post
// could do is limited anyway: signing always answers the same, the signature
// counts only once confirmed from the mailbox, and the IP limits still apply.
type PetitionEmbedHandler struct {
	pub *PetitionPublicHandler
}

// embedTokenTTL is how long a rendered widget form may be submitted: long
// enough for someone reading an article at leisure, short enough that a
// harvested token is soon worthless.
const embedTokenTTL = 12 * time.Hour

// Register adds the widget routes.
func (h *PetitionEmbedHandler) Register(r Routes) {
	r.GET("/p/:slug/embed", Public, h.framable(h.page))
	r.POST("/p/:slug/embed", Public, h.framable(h.submit))
	r.GET("/p/:slug/embed/thanks", Public, h.framable(h.thanks))
}

// embedPath reports whether a path is one of the widget's, which skip the
// cookie-based CSRF check (see PetitionEmbedHandler for the check they use).
func embedPath(path string) bool {
	rest, ok := strings.CutPrefix(path, "/p/")
	if !ok {
		return false
	}
	parts := strings.Split(rest, "/")
	return parts[0] != "" && ((len(parts) == 2 && parts[1] == "embed") || (len(parts) == 3 && parts[1] == "embed" && parts[2] == "thanks"))
}

// frameAncestors is the CSP frame-ancestors source list of the widget: this
// site and the organisation's own.
func (h *PetitionEmbedHandler) frameAncestors() string {
	return strings.Join(append([]string{"'self'"}, h.pub.s.cfg.Petitions.AllowedOrigins...), " ")
}

// framable relaxes the framing headers of one widget response: CSP
// frame-ancestors lists the allowed origins, and X-Frame-Options goes (it
// cannot name several origins; browsers that know CSP ignore it anyway, and
// DENY would block the frame in those that do not).
func (h *PetitionEmbedHandler) framable(next gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		hd := c.Writer.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors "+h.frameAncestors())
		hd.Del("X-Frame-Options")
		next(c)
	}
}

// ownOrigin is this site's origin, from BASE_URL.
func (h *PetitionEmbedHandler) ownOrigin() string {
	u := h.pub.s.cfg.BaseURL
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// originAllowed reports whether a post comes from this site or one of the
// allowed origins, by its Origin header or, without one, its Referer. A post
// with neither is refused: every browser sends Origin with a form POST.
func (h *PetitionEmbedHandler) originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		ref, err := url.Parse(r.Referer())
		if err != nil || ref.Scheme == "" || ref.Host == "" {
			return false
		}
		o = ref.Scheme + "://" + ref.Host
	}
	o = strings.ToLower(strings.TrimRight(strings.TrimSpace(o), "/"))
	if o == "" || o == "null" {
		return false
	}
	return o == h.ownOrigin() || slices.Contains(h.pub.s.cfg.Petitions.AllowedOrigins, o)
}

// embedKey derives the widget tokens' key from a session secret, apart from
// every other use of it.
func embedKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("pressroom petition widget forms v1"))
	return m.Sum(nil)
}

func embedMAC(key []byte, petitionID string, issued int64) []byte {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s\x00%d", petitionID, issued)
	return m.Sum(nil)
}

// embedToken signs a form rendered now for a petition: "<unix time>.<mac>".
func (h *PetitionEmbedHandler) embedToken(petitionID string, now time.Time) string {
	issued := now.Unix()
	return strconv.FormatInt(issued, 10) + "." + base64.RawURLEncoding.EncodeToString(embedMAC(embedKey(h.pub.s.cfg.SessionSecret), petitionID, issued))
}

// validEmbedToken checks a widget form's token: signed for this petition with
// the current or a previous session secret, and neither expired nor from the
// future (beyond a little clock skew).
func (h *PetitionEmbedHandler) validEmbedToken(petitionID, token string, now time.Time) bool {
	ts, sig, ok := strings.Cut(token, ".")
	if !ok {
		return false
	}
	issued, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	at := time.Unix(issued, 0)
	if now.Sub(at) > embedTokenTTL || at.Sub(now) > 5*time.Minute {
		return false
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	cfg := h.pub.s.cfg
	for _, secret := range append([][]byte{cfg.SessionSecret}, cfg.PreviousSessionSecrets...) {
		if hmac.Equal(mac, embedMAC(embedKey(secret), petitionID, issued)) {
			return true
		}
	}
	return false
}

// render writes the widget. It builds its view itself rather than with
// Server.page: the widget reads and sets no cookie (no session, no flash, no
// CSRF token), so it holds nothing of one visitor's.
func (h *PetitionEmbedHandler) render(c *gin.Context, status int, p *models.Petition, form signForm, state string, errs map[string]string) {
	s := h.pub.s
	pg, err := h.pub.view(c, p, form)
	if err != nil {
		_ = c.Error(err)
		return
	}
	v := h.widgetView(pg, state, errs)
	if status == http.StatusOK && c.Request.Method == http.MethodGet {
		c.Header("Cache-Control", h.cacheControl())
	} else {
		noStore(c)
	}
	s.render(c, status, "embed/petition", v)
}

// widgetView is the view of the widget in a state, with a form token issued
// now. The token names the petition and the time only, so a widget rendered
// for one visitor serves every other within the page cache's second.
func (h *PetitionEmbedHandler) widgetView(pg petitionPage, state string, errs map[string]string) view {
	s := h.pub.s
	pg.State, pg.Token = state, h.embedToken(pg.P.ID, s.clock.Now())
	return view{Title: pg.P.Title, Loc: s.cfg.DefaultTimezone, Data: pg, BaseURL: s.cfg.BaseURL.String(), Now: s.clock.Now(), Lang: pg.P.Language, Dir: "ltr", Errors: errs, NoIndex: true}
}

// cacheControl is the widget's: browsers and caches may keep it for the count
// interval, which is as often as its count moves.
func (h *PetitionEmbedHandler) cacheControl() string {
	return fmt.Sprintf("public, max-age=%d", max(1, int(h.pub.s.cfg.Petitions.CountInterval.Seconds())))
}

// cachedPage answers GET /p/{slug}/embed from the shared render, built at most
// once per second per process for a form's defaults; it reports false (and
// writes nothing) when the page cache is off or the query is too long to key.
func (h *PetitionEmbedHandler) cachedPage(c *gin.Context, p *models.Petition, form signForm) bool {
	s := h.pub.s
	if !s.petitionPages.keeps(form) {
		return false
	}
	page, err := s.petitionPages.shared(h.pub.pageKey(p, form, true), func() ([]byte, error) {
		pg, err := h.pub.view(c, p, form)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := s.renderer.Render(&buf, "embed/petition", h.widgetView(pg, "", nil)); err != nil {
			return nil, fmt.Errorf("app: petition widget: %w", err)
		}
		return buf.Bytes(), nil
	})
	if err != nil {
		_ = c.Error(err)
		return true
	}
	serveShared(c, page, h.cacheControl())
	return true
}

func (h *PetitionEmbedHandler) page(c *gin.Context) {
	p := h.pub.load(c)
	if p == nil {
		return
	}
	source := c.Query("source")
	if source == "" {
		source = "embed"
	}
	form := signForm{Country: countryFromLanguage(c.GetHeader("Accept-Language")), Source: source, Src: c.Query(models.SourceParam)}
	if h.cachedPage(c, p, form) {
		return
	}
	h.render(c, http.StatusOK, p, form, "", nil)
}

func (h *PetitionEmbedHandler) thanks(c *gin.Context) {
	p := h.pub.load(c)
	if p == nil {
		return
	}
	h.render(c, http.StatusOK, p, signForm{}, "thanks", nil)
}

func (h *PetitionEmbedHandler) submit(c *gin.Context) {
	s := h.pub.s
	if !h.originAllowed(c.Request) {
		noStore(c)
		s.errorPage(c, http.StatusForbidden, "This form cannot be sent from here",
			"The petition form only accepts signatures sent from the petition's own pages. Open the petition and sign it there.")
		return
	}
	p := h.pub.load(c)
	if p == nil {
		return
	}
	form := signForm{Name: c.PostForm("name"), Email: c.PostForm("email"), Country: c.PostForm("country"), Postcode: c.PostForm("postcode"),
		OptIn: c.PostForm("opt_in") == "yes", Source: c.PostForm("source"), Src: c.PostForm(models.SourceParam)}
	if !h.validEmbedToken(p.ID, c.PostForm("embed_token"), s.clock.Now()) {
		// Shown again with what they typed and a fresh token: nothing lost.
		h.render(c, http.StatusForbidden, p, form, "", map[string]string{"form": "This form was open for too long. Check your details and press the button again."})
		return
	}
	err := h.pub.sign(c, p, models.SignInput{Name: form.Name, Email: form.Email, Country: form.Country, Postcode: form.Postcode, OptIn: form.OptIn,
		Honeypot: c.PostForm("website"), Source: form.Source, Src: form.Src})
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		h.render(c, http.StatusUnprocessableEntity, p, form, "", ve.Fields)
	case errors.Is(err, models.ErrPetitionClosed):
		h.render(c, http.StatusConflict, p, form, "", nil)
	case errors.Is(err, models.ErrSignFlood):
		c.Header("Retry-After", "60")
		noStore(c)
		s.errorPage(c, http.StatusTooManyRequests, "Too many signatures", "Too many signatures came from your network just now. Please wait a few minutes and try again.")
	case err != nil:
		_ = c.Error(err)
	default:
		redirect(c, "/p/"+models.EscapeSlug(p.Slug)+"/embed/thanks")
	}
}

// embedSnippet is the HTML a campaigner pastes into one of the organisation's
// sites to show the widget.
func (s *Server) embedSnippet(p *models.Petition) string {
	return `<iframe src="` + html.EscapeString(s.cfg.URL("/p/"+models.EscapeSlug(p.Slug)+"/embed")) + `" title="` + html.EscapeString("Sign the petition: "+p.Title) +
		`" width="100%" height="720" style="border:0;max-width:560px" loading="lazy"></iframe>`
}
