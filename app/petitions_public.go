package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
)

// PetitionPublicHandler serves petitions to the public: the page and its form,
// the JSON signing endpoint, the confirmation page (confirming only on POST)
// and the live count. Every answer to a signature is the same whatever the
// address's history, so nobody can learn from it who signed.
type PetitionPublicHandler struct {
	s *Server

	// signer group-commits signatures with their emails; built on first use.
	signerOnce sync.Once
	signer     *models.SignatureCommitter
}

// Register adds the public pages.
func (h *PetitionPublicHandler) Register(r Routes) {
	r.GET("/p/:slug", Public, h.page)
	r.POST("/p/:slug", Public, h.submit)
	r.GET("/p/:slug/thanks", Public, h.thanks)
	r.GET("/p/:slug/count.json", Public, h.withCORS(h.count))
	r.GET("/p/:slug/confirm/:token", Public, h.confirmPage)
	r.POST("/p/:slug/confirm/:token", Public, h.confirm)
	r.GET("/c/:slug", Public, h.campaign)
}

// RegisterAPI adds POST /api/v1/public/petitions/{slug}/signatures.
func (h *PetitionPublicHandler) RegisterAPI(r Routes) {
	r.POST("/public/petitions/:slug/signatures", Public, h.withCORS(h.apiSign))
	r.handle(http.MethodOptions, "/public/petitions/:slug/signatures", Public, h.preflight)
}

// allowedOrigin returns the request's Origin when it is one of
// PUBLIC_ALLOWED_ORIGINS, else "".
func (h *PetitionPublicHandler) allowedOrigin(c *gin.Context) string {
	o := strings.ToLower(strings.TrimRight(c.GetHeader("Origin"), "/"))
	if o != "" && slices.Contains(h.s.cfg.Petitions.AllowedOrigins, o) {
		return c.GetHeader("Origin")
	}
	return ""
}

// withCORS lets the organisation's own sites call a public endpoint from the
// browser: their origin is echoed, no credentials are allowed (the endpoints
// use none), and every other origin gets no CORS header at all.
func (h *PetitionPublicHandler) withCORS(next gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Vary", "Origin")
		if o := h.allowedOrigin(c); o != "" {
			c.Header("Access-Control-Allow-Origin", o)
		}
		next(c)
	}
}

// preflight answers the browser's CORS preflight of the signing endpoint.
func (h *PetitionPublicHandler) preflight(c *gin.Context) {
	c.Header("Vary", "Origin")
	if o := h.allowedOrigin(c); o != "" {
		c.Header("Access-Control-Allow-Origin", o)
		c.Header("Access-Control-Allow-Methods", "POST, OPTIONS")
		c.Header("Access-Control-Allow-Headers", "Content-Type")
		c.Header("Access-Control-Max-Age", "600")
	}
	c.Status(http.StatusNoContent)
}

// signForm is what the signing form posts.
type signForm struct {
	Name     string
	Email    string
	Country  string
	Postcode string
	OptIn    bool
	Source   string
	Src      string // the send whose email brought the signer (models.SourceParam)
}

type petitionPage struct {
	P         *models.Petition
	Body      template.HTML
	Count     models.PetitionCount
	Percent   int
	Signable  bool
	Form      signForm
	Countries []models.Country
	Wording   string
	Interval  int
	ShareURL  string
	Shares    []shareLink
	State     string // "", "thanks", "confirm", "confirmed", "already"
	Token     string
}

type shareLink struct {
	Label string
	URL   string
}

// load finds a public petition or answers 404 itself.
func (h *PetitionPublicHandler) load(c *gin.Context) *models.Petition {
	p, err := h.s.petitions.public(c.Request.Context(), h.s.db, c.Param("slug"))
	if errors.Is(err, models.ErrNotFound) {
		if isAPI(c) || strings.HasSuffix(c.Request.URL.Path, ".json") {
			apiError(c, http.StatusNotFound, "not_found", "no such petition", nil)
		} else {
			h.s.errorPage(c, http.StatusNotFound, "Page not found", "There is nothing at this address.")
		}
		return nil
	}
	if err != nil {
		_ = c.Error(err)
		return nil
	}
	return p
}

func (h *PetitionPublicHandler) view(c *gin.Context, p *models.Petition, form signForm) (petitionPage, error) {
	count, err := h.s.petitionPages.count(c.Request.Context(), h.s.db, p.ID)
	if err != nil {
		return petitionPage{}, err
	}
	pg := petitionPage{P: p, Body: h.s.markdown.Render(p.Body), Count: count, Signable: p.Signable(h.s.clock.Now()), Form: form,
		Countries: models.Countries(), Wording: models.PetitionConsentWording, Interval: int(h.s.cfg.Petitions.CountInterval.Seconds()),
		ShareURL: h.s.cfg.URL("/p/" + models.EscapeSlug(p.Slug))}
	if pg.Interval < 1 {
		pg.Interval = 1
	}
	if p.Goal > 0 {
		pg.Percent = int(min(100, count.Confirmed*100/int64(p.Goal)))
	}
	share := url.QueryEscape(pg.ShareURL)
	text := url.QueryEscape(p.Title)
	pg.Shares = []shareLink{{"Email", "mailto:?subject=" + text + "&body=" + share}, {"X", "https://x.com/intent/post?text=" + text + "&url=" + share},
		{"Facebook", "https://www.facebook.com/sharer/sharer.php?u=" + share}, {"WhatsApp", "https://wa.me/?text=" + text + "%20" + share},
		{"Bluesky", "https://bsky.app/intent/compose?text=" + text + "%20" + share}}
	return pg, nil
}

func (h *PetitionPublicHandler) render(c *gin.Context, status int, p *models.Petition, form signForm, state string, errs map[string]string) {
	v, err := h.pageView(c, p, form, state)
	if err != nil {
		_ = c.Error(err)
		return
	}
	v.Errors = errs
	if status != http.StatusOK {
		noStore(c) // it shows what the visitor typed
	}
	h.s.render(c, status, "public/petition", v)
}

// pageView is the view of the petition page in a state.
func (h *PetitionPublicHandler) pageView(c *gin.Context, p *models.Petition, form signForm, state string) (view, error) {
	pg, err := h.view(c, p, form)
	if err != nil {
		return view{}, err
	}
	pg.State = state
	v := h.s.page(c, p.Title, "", pg)
	v.Lang, v.Dir = p.Language, dirOf(p.Language)
	v.Meta = &pageMeta{Title: p.Title, Description: p.Demand, URL: pg.ShareURL, Type: "website"}
	return v, nil
}

// countryFromLanguage picks the default country from Accept-Language
// ("en-GB,en;q=0.9" → GB), or "" when the header names none.
func countryFromLanguage(header string) string {
	for _, part := range strings.Split(header, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		fields := strings.FieldsFunc(tag, func(r rune) bool { return r == '-' || r == '_' })
		for _, f := range fields[min(1, len(fields)):] {
			if len(f) == 2 && models.ValidCountry(f) {
				return strings.ToUpper(f)
			}
		}
	}
	return ""
}

func (h *PetitionPublicHandler) page(c *gin.Context) {
	p := h.load(c)
	if p == nil {
		return
	}
	form := signForm{Country: countryFromLanguage(c.GetHeader("Accept-Language")), Source: c.Query("source"), Src: c.Query(models.SourceParam)}
	if h.cachedPage(c, p, form) {
		return
	}
	noStore(c) // not the shared page: a staff member's, one with a flash message, or the cache is off
	h.render(c, http.StatusOK, p, form, "", nil)
}

// sign runs one signing request: the signature and the email it causes commit
// together (the email job is inserted in the same transaction), grouped with
// the concurrent requests into one commit, and sign returns after it.
func (h *PetitionPublicHandler) sign(c *gin.Context, p *models.Petition, in models.SignInput) error {
	h.signerOnce.Do(func() {
		h.signer = models.NewSignatureCommitter(h.s.db, h.s.clock.Now, h.enqueueSignatureMails)
		h.signer.RulesTTL = h.s.petitions.ttl
		job := jobs.SignatureMailsJob()
		h.signer.MailJob = &job
	})
	in.IP = c.ClientIP()
	_, err := h.signer.Sign(c.Request.Context(), p, in, h.s.cfg.Petitions.Limits)
	return err
}

// enqueueSignatureMails inserts the emails of a committed batch of signatures
// in its transaction, as one job: the worker renders them (a small row per
// batch, not the messages) and sends each petition's in one request.
func (h *PetitionPublicHandler) enqueueSignatureMails(ctx context.Context, tx *gorm.DB, done []models.SignedRequest) error {
	var args jobs.SignatureMailsArgs
	for _, d := range done {
		if d.Result.Email == models.SignEmailNone {
			continue
		}
		args.Mails = append(args.Mails, jobs.SignatureMailArgs{SignatureID: d.Result.Signature.ID, Email: d.Result.Email, Token: d.Result.Token})
	}
	if len(args.Mails) == 0 {
		return nil
	}
	sqlTx, err := jobs.SQLTx(tx)
	if err != nil {
		return err
	}
	// The fast variant returns no row to decode; the job has no unique
	// options to conflict on.
	if _, err := h.s.jobs.InsertManyFastTx(ctx, sqlTx, []river.InsertManyParams{{Args: args}}); err != nil {
		return fmt.Errorf("app: enqueue signature mails: %w", err)
	}
	return nil
}

func (h *PetitionPublicHandler) submit(c *gin.Context) {
	p := h.load(c)
	if p == nil {
		return
	}
	form := signForm{Name: c.PostForm("name"), Email: c.PostForm("email"), Country: c.PostForm("country"), Postcode: c.PostForm("postcode"),
		OptIn: c.PostForm("opt_in") == "yes", Source: c.PostForm("source"), Src: c.PostForm(models.SourceParam)}
	err := h.sign(c, p, models.SignInput{Name: form.Name, Email: form.Email, Country: form.Country, Postcode: form.Postcode, OptIn: form.OptIn,
		Honeypot: c.PostForm("website"), Source: form.Source, Src: form.Src})
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		h.render(c, http.StatusUnprocessableEntity, p, form, "", ve.Fields)
	case errors.Is(err, models.ErrPetitionClosed):
		h.render(c, http.StatusConflict, p, form, "", nil)
	case errors.Is(err, models.ErrSignFlood):
		c.Header("Retry-After", "60")
		h.s.errorPage(c, http.StatusTooManyRequests, "Too many signatures", "Too many signatures came from your network just now. Please wait a few minutes and try again.")
	case err != nil:
		_ = c.Error(err)
	default:
		redirect(c, "/p/"+models.EscapeSlug(p.Slug)+"/thanks")
	}
}

func (h *PetitionPublicHandler) thanks(c *gin.Context) {
	p := h.load(c)
	if p == nil {
		return
	}
	h.render(c, http.StatusOK, p, signForm{}, "thanks", nil)
}

// signRequest is the JSON body of the public signing API.
type signRequest struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Country  string `json:"country"`
	Postcode string `json:"postcode"`
	OptIn    bool   `json:"opt_in"`
	Source   string `json:"source"`
	Src      string `json:"src"`     // the ?src= of the emailed link that brought the signer
	Website  string `json:"website"` // the honeypot
}

func (h *PetitionPublicHandler) apiSign(c *gin.Context) {
	p := h.load(c)
	if p == nil {
		return
	}
	var req signRequest
	if err := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 16<<10)).Decode(&req); err != nil {
		apiError(c, http.StatusBadRequest, "bad_request", "the body must be a JSON object", nil)
		return
	}
	source := req.Source
	if source == "" {
		source = "api"
	}
	err := h.sign(c, p, models.SignInput{Name: req.Name, Email: req.Email, Country: req.Country, Postcode: req.Postcode, OptIn: req.OptIn,
		Honeypot: req.Website, Source: source, Src: req.Src})
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		apiError(c, http.StatusUnprocessableEntity, "validation_failed", "some fields are not valid", ve.Fields)
	case errors.Is(err, models.ErrPetitionClosed):
		apiError(c, http.StatusConflict, "petition_closed", "this petition is closed and takes no more signatures", nil)
	case errors.Is(err, models.ErrSignFlood):
		c.Header("Retry-After", "60")
		apiError(c, http.StatusTooManyRequests, "rate_limited", "too many signatures from this address; try again later", nil)
	case err != nil:
		_ = c.Error(err)
	default:
		// The same answer for a new, pending, confirmed or flagged signature.
		c.JSON(http.StatusAccepted, gin.H{"status": "check_your_email"})
	}
}

// countJSON is the public count.
type countJSON struct {
	Confirmed int64            `json:"confirmed"`
	Goal      int              `json:"goal"`
	Status    string           `json:"status"`
	ByCountry map[string]int64 `json:"by_country"`
}

func (h *PetitionPublicHandler) count(c *gin.Context) {
	p := h.load(c)
	if p == nil {
		return
	}
	count, err := h.s.petitionPages.count(c.Request.Context(), h.s.db, p.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	status := "open"
	if !p.Signable(h.s.clock.Now()) {
		status = "closed"
	}
	secs := int(h.s.cfg.Petitions.CountInterval.Seconds())
	c.Header("Cache-Control", fmt.Sprintf("public, max-age=%d", max(1, secs)))
	body, err := marshalCount(countJSON{Confirmed: count.Confirmed, Goal: p.Goal, Status: status, ByCountry: count.ByCountry})
	if err != nil {
		_ = c.Error(err)
		return
	}
	// A poller whose count has not moved gets 304 and no body.
	etag := bodyETag(body)
	c.Header("ETag", etag)
	if notModified(c, etag) {
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// tokenPetition resolves a confirmation link to its petition, which must be
// public and match the link's slug; otherwise it answers 404 itself.
func (h *PetitionPublicHandler) tokenPetition(c *gin.Context) (*models.Signature, *models.Petition) {
	sig, p, err := models.SignatureByToken(c.Request.Context(), h.s.db.Gorm, c.Param("token"))
	if err == nil && p.Slug == c.Param("slug") {
		rel, rerr := models.ReleaseOfPetition(c.Request.Context(), h.s.db.Gorm, p)
		if rerr != nil {
			_ = c.Error(rerr)
			return nil, nil
		}
		if p.Public(rel, h.s.clock.Now()) {
			return sig, p
		}
	} else if err != nil && !errors.Is(err, models.ErrNotFound) {
		_ = c.Error(err)
		return nil, nil
	}
	h.s.errorPage(c, http.StatusNotFound, "Link expired", "This confirmation link is not valid any more. Sign the petition again to get a new one.")
	return nil, nil
}

// confirmPage shows the one button. It changes nothing: mail security
// scanners open every link in a message.
func (h *PetitionPublicHandler) confirmPage(c *gin.Context) {
	sig, p := h.tokenPetition(c)
	if p == nil {
		return
	}
	state := "confirm"
	if sig.ConfirmedAt != nil {
		state = "confirmed"
	}
	pg, err := h.view(c, p, signForm{})
	if err != nil {
		_ = c.Error(err)
		return
	}
	pg.State, pg.Token = state, c.Param("token")
	v := h.s.page(c, "Confirm your signature", "", pg)
	v.NoIndex, v.Lang, v.Dir = true, p.Language, dirOf(p.Language)
	h.s.render(c, http.StatusOK, "public/petition_confirm", v)
}

func (h *PetitionPublicHandler) confirm(c *gin.Context) {
	_, p := h.tokenPetition(c)
	if p == nil {
		return
	}
	_, p, err := models.ConfirmSignature(c.Request.Context(), h.s.db.Gorm, c.Param("token"), c.ClientIP(), h.s.clock.Now())
	if errors.Is(err, models.ErrPetitionClosed) {
		h.s.errorPage(c, http.StatusConflict, "The petition has closed", "This petition closed before your signature was confirmed, so it could not be counted.")
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	pg, err := h.view(c, p, signForm{})
	if err != nil {
		_ = c.Error(err)
		return
	}
	pg.State = "confirmed"
	v := h.s.page(c, "Thank you", "", pg)
	v.NoIndex, v.Lang, v.Dir = true, p.Language, dirOf(p.Language)
	h.s.render(c, http.StatusOK, "public/petition_confirm", v)
}

type campaignPublicPage struct {
	C         *models.Campaign
	Releases  []models.PublicRelease
	Petitions []models.Petition
}

// campaign is the public campaign page: its published releases and the
// petitions the public may see, nothing under embargo.
func (h *PetitionPublicHandler) campaign(c *gin.Context) {
	ctx := c.Request.Context()
	cp, err := models.CampaignBySlug(ctx, h.s.db.Gorm, c.Param("slug"))
	if errors.Is(err, models.ErrNotFound) {
		h.s.errorPage(c, http.StatusNotFound, "Page not found", "There is nothing at this address.")
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	now := h.s.clock.Now()
	rels, _, err := models.PublicReleases(ctx, h.s.db.Gorm, models.PublicFilter{CampaignID: cp.ID, Limit: 50, Now: now})
	if err != nil {
		_ = c.Error(err)
		return
	}
	ps, err := models.PublicCampaignPetitions(ctx, h.s.db.Gorm, cp.ID, now)
	if err != nil {
		_ = c.Error(err)
		return
	}
	v := h.s.page(c, cp.Name, "", campaignPublicPage{C: cp, Releases: rels, Petitions: ps})
	v.Meta = &pageMeta{Title: cp.Name, Description: cp.Description, URL: h.s.cfg.URL("/c/" + models.EscapeSlug(cp.Slug)), Type: "website"}
	h.s.render(c, http.StatusOK, "public/campaign", v)
}
