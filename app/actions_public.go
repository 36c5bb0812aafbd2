package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
)

// ActionPublicHandler serves Urgent Actions to the public: the action page
// with its letter composer (which works without JavaScript), the JSON letter
// endpoint, the confirmation page (confirming only on POST), the printable
// letter and "I posted it". Abuse handling, CORS and opt-in are the
// petitions' own (the same limits, counted over letters).
type ActionPublicHandler struct {
	s   *Server
	pub *PetitionPublicHandler // CORS for the organisation's sites
	// prints bounds the printable letters one address may ask for (nil: no
	// limit): each is a PDF made for anyone, so it gets the public forms'
	// per-address ceiling.
	prints *Limiter
}

// newActionPublicHandler builds the public side of Urgent Actions.
func newActionPublicHandler(s *Server, pub *PetitionPublicHandler) *ActionPublicHandler {
	h := &ActionPublicHandler{s: s, pub: pub}
	if c := s.cfg.Petitions.Limits.Ceiling; c.N > 0 {
		h.prints = NewLimiter(c.N, c.Window, s.clock.Now)
	}
	return h
}

// Register adds the public pages under /a/.
func (h *ActionPublicHandler) Register(r Routes) {
	r.GET("/a/:slug", Public, h.page)
	r.POST("/a/:slug", Public, h.submit)
	r.GET("/a/:slug/thanks", Public, h.thanks)
	r.POST("/a/:slug/print", Public, h.print)
	r.POST("/a/:slug/posted", Public, h.posted)
	r.GET("/a/:slug/confirm/:token", Public, h.confirmPage)
	r.POST("/a/:slug/confirm/:token", Public, h.confirm)
}

// RegisterAPI adds POST /api/v1/public/actions/{slug}/letters.
func (h *ActionPublicHandler) RegisterAPI(r Routes) {
	r.POST("/public/actions/:slug/letters", Public, h.pub.withCORS(h.apiLetter))
	r.handle(http.MethodOptions, "/public/actions/:slug/letters", Public, h.pub.preflight)
}

// letterForm is what the composer posts.
type letterForm struct {
	Name, Email, Country string
	Subject, Body        string
	TargetIDs            []string
	OptIn                bool
	Source               string
	Src                  string // the send whose email brought the writer (models.SourceParam)
}

type actionPage struct {
	A         *models.PublicAction
	Body      template.HTML
	Form      letterForm
	Countries []models.Country
	Wording   string
	// State: "" (the composer), "nudge" (an unchanged letter: add a personal
	// sentence?), "check", "sent", "already", "posted".
	State    string
	Message  string
	Token    string
	Deadline *time.Time
	Loc      *time.Location
	ShareURL string
	// Latest is the newest public update, shown first once the action ends.
	Latest *models.ActionUpdate
}

// load finds a public action or answers 404 itself.
func (h *ActionPublicHandler) load(c *gin.Context) *models.PublicAction {
	a, err := models.PublicActionBySlug(c.Request.Context(), h.s.db.Gorm, c.Param("slug"), h.s.clock.Now())
	if errors.Is(err, models.ErrNotFound) {
		if isAPI(c) {
			apiError(c, http.StatusNotFound, "not_found", "no such action", nil)
		} else {
			h.s.errorPage(c, http.StatusNotFound, "Page not found", "There is nothing at this address.")
		}
		return nil
	}
	if err != nil {
		_ = c.Error(err)
		return nil
	}
	return a
}

// render answers with the page for this visitor alone (an answer to a form
// shows what was typed), which no cache may keep.
func (h *ActionPublicHandler) render(c *gin.Context, status int, a *models.PublicAction, form letterForm, state, msg string, errs map[string]string) {
	noStore(c)
	h.s.render(c, status, "public/action", h.view(c, a, form, state, msg, errs))
}

// view is the action page in a state.
func (h *ActionPublicHandler) view(c *gin.Context, a *models.PublicAction, form letterForm, state, msg string, errs map[string]string) view {
	pg := actionPage{A: a, Body: h.s.markdown.Render(a.Release.Body), Form: form, Countries: models.Countries(), Wording: models.LetterConsentWording,
		State: state, Message: msg, Deadline: a.Action.AppealDeadline, Loc: a.Action.Location(h.s.cfg.DefaultTimezone), ShareURL: h.s.cfg.URL("/a/" + models.EscapeSlug(*a.Release.Slug))}
	if n := len(a.Status.Updates); n > 0 {
		pg.Latest = &a.Status.Updates[n-1]
	}
	if pg.Form.Subject == "" && pg.Form.Body == "" {
		pg.Form.Subject, pg.Form.Body = a.Action.LetterSubject, a.Action.LetterBody
	}
	if pg.Form.TargetIDs == nil {
		for _, t := range a.Targets {
			pg.Form.TargetIDs = append(pg.Form.TargetIDs, t.ID)
		}
	}
	v := h.s.page(c, a.Release.Headline, "", pg)
	v.Errors, v.Lang, v.Dir = errs, a.Release.Language, dirOf(a.Release.Language)
	v.Meta = &pageMeta{Title: a.Release.Headline, Description: a.Release.Summary(), URL: pg.ShareURL, Type: "article"}
	return v
}

func (h *ActionPublicHandler) page(c *gin.Context) {
	form := letterForm{Country: countryFromLanguage(c.GetHeader("Accept-Language")), Source: c.Query("source"), Src: c.Query(models.SourceParam)}
	if h.cachedPage(c, form) {
		return
	}
	a := h.load(c)
	if a == nil {
		return
	}
	h.render(c, http.StatusOK, a, form, "", "", nil)
}

func bindLetterForm(c *gin.Context) letterForm {
	return letterForm{Name: c.PostForm("name"), Email: c.PostForm("email"), Country: c.PostForm("country"), Subject: c.PostForm("subject"),
		Body: c.PostForm("body"), TargetIDs: c.PostFormArray("target_ids"), OptIn: c.PostForm("opt_in") == "yes", Source: c.PostForm("source"), Src: c.PostForm(models.SourceParam)}
}

func (f letterForm) input(c *gin.Context, honeypot, source string) models.LetterInput {
	return models.LetterInput{Name: f.Name, Email: f.Email, Country: f.Country, Subject: f.Subject, Body: f.Body, TargetIDs: f.TargetIDs, OptIn: f.OptIn,
		Honeypot: honeypot, IP: c.ClientIP(), Source: source, Src: f.Src}
}

// write runs one letter: stored with its confirmation email or its delivery
// jobs, in one transaction.
func (h *ActionPublicHandler) write(c *gin.Context, a *models.PublicAction, in models.LetterInput) (*models.LetterResult, error) {
	ctx := c.Request.Context()
	now := h.s.clock.Now()
	in.ProvenWriter = h.s.provenWriter(c)
	var res *models.LetterResult
	err := models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		rules, err := models.LoadEmailRules(ctx, tx)
		if err != nil {
			return err
		}
		if res, err = models.RequestLetter(ctx, tx, a, in, h.s.cfg.Petitions.Limits, rules, now); err != nil {
			return err
		}
		if res.Token != "" {
			return jobs.EnqueueTx(ctx, h.s.jobs, tx, jobs.DeliverMailArgs{Batch: h.s.letterConfirmMail(a, res.Letter, res.Token), Purpose: "letter_confirm"}, nil)
		}
		if len(res.AlreadyWritten) > 0 && res.Letter.Address() != "" {
			return jobs.EnqueueTx(ctx, h.s.jobs, tx, jobs.DeliverMailArgs{Batch: h.s.letterAlreadyMail(a, res.Letter, res.AlreadyWritten), Purpose: "letter_already"}, nil)
		}
		return h.s.scheduleLetters(ctx, tx, res.Deliveries, now)
	})
	return res, err
}

// scheduleLetters gives deliveries their pacing slots and inserts one job per
// delivery at its slot, inside tx.
func (s *Server) scheduleLetters(ctx context.Context, tx *gorm.DB, dels []models.LetterDelivery, now time.Time) error {
	if len(dels) == 0 {
		return nil
	}
	slots, err := models.ScheduleLetterDeliveries(ctx, tx, dels, s.cfg.Actions.LettersPerTargetPerHour, now)
	if err != nil || len(slots) == 0 {
		return err
	}
	params := make([]river.InsertManyParams, len(slots))
	for i, sl := range slots {
		opts := &river.InsertOpts{}
		if sl.At.After(now) {
			opts.ScheduledAt = sl.At
		}
		params[i] = river.InsertManyParams{Args: jobs.DeliverLetterArgs{DeliveryID: sl.ID}, InsertOpts: opts}
	}
	sqlTx, err := jobs.SQLTx(tx)
	if err != nil {
		return err
	}
	if _, err := s.jobs.InsertManyTx(ctx, sqlTx, params); err != nil {
		return fmt.Errorf("app: enqueue letters: %w", err)
	}
	return nil
}

// requeueWaitingLetters lets the letters that waited for a bounced target go
// once its address is fixed, paced like any other.
func (s *Server) requeueWaitingLetters(ctx context.Context, targetID string) error {
	return models.Transaction(ctx, s.db.Gorm, func(tx *gorm.DB) error {
		dels, err := models.WaitingDeliveries(ctx, tx, targetID)
		if err != nil {
			return err
		}
		return s.scheduleLetters(ctx, tx, dels, s.clock.Now())
	})
}

func (h *ActionPublicHandler) submit(c *gin.Context) {
	a := h.load(c)
	if a == nil {
		return
	}
	form := bindLetterForm(c)
	if a.Open() && c.PostForm("send_anyway") != "yes" && models.SameLetter(form.Body, a.Action.LetterBody) && strings.TrimSpace(form.Body) != "" {
		// Not a refusal: a personal sentence carries more weight, so ask once.
		h.render(c, http.StatusOK, a, form, "nudge", "", nil)
		return
	}
	res, err := h.write(c, a, form.input(c, c.PostForm("website"), form.Source))
	var ve *models.ValidationError
	var aw *models.AlreadyWrittenError
	switch {
	case errors.As(err, &ve):
		h.render(c, http.StatusUnprocessableEntity, a, form, "", "", ve.Fields)
	case errors.As(err, &aw):
		h.render(c, http.StatusConflict, a, form, "already", upperFirst(aw.Error())+".", nil)
	case errors.Is(err, models.ErrActionClosed):
		h.render(c, http.StatusConflict, a, form, "", "", nil)
	case errors.Is(err, models.ErrSignFlood):
		c.Header("Retry-After", "60")
		h.s.errorPage(c, http.StatusTooManyRequests, "Too many letters", "Too many letters came from your network just now. Please wait a few minutes and try again.")
	case err != nil:
		_ = c.Error(err)
	case res.Status == models.LetterQueued:
		redirect(c, "/a/"+models.EscapeSlug(*a.Release.Slug)+"/thanks?s=sent")
	default:
		redirect(c, "/a/"+models.EscapeSlug(*a.Release.Slug)+"/thanks?s=check")
	}
}

func (h *ActionPublicHandler) thanks(c *gin.Context) {
	a := h.load(c)
	if a == nil {
		return
	}
	state := "check"
	if c.Query("s") == "sent" {
		state = "sent"
	}
	h.render(c, http.StatusOK, a, letterForm{}, state, "", nil)
}

// letterRequest is the JSON body of the public letter API.
type letterRequest struct {
	Name      string   `json:"name"`
	Email     string   `json:"email"`
	Country   string   `json:"country"`
	Subject   string   `json:"subject"`
	Body      string   `json:"body"`
	TargetIDs []string `json:"target_ids"`
	OptIn     bool     `json:"opt_in"`
	Source    string   `json:"source"`
	Src       string   `json:"src"`     // the ?src= of the emailed link that brought the writer
	Website   string   `json:"website"` // the honeypot
}

func (h *ActionPublicHandler) apiLetter(c *gin.Context) {
	a := h.load(c)
	if a == nil {
		return
	}
	var req letterRequest
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apiError(c, http.StatusBadRequest, "bad_request", "the body must be a JSON object with the letter's fields", nil)
		return
	}
	source := req.Source
	if source == "" {
		source = "api"
	}
	form := letterForm{Name: req.Name, Email: req.Email, Country: req.Country, Subject: req.Subject, Body: req.Body, TargetIDs: req.TargetIDs, OptIn: req.OptIn, Src: req.Src}
	res, err := h.write(c, a, form.input(c, req.Website, source))
	var ve *models.ValidationError
	var aw *models.AlreadyWrittenError
	switch {
	case errors.As(err, &ve):
		apiError(c, http.StatusUnprocessableEntity, "validation_failed", "some fields are not valid", ve.Fields)
	case errors.As(err, &aw):
		apiError(c, http.StatusConflict, "already_written", aw.Error(), nil)
	case errors.Is(err, models.ErrActionClosed):
		apiError(c, http.StatusConflict, "action_closed", "this action has closed and takes no more letters", nil)
	case errors.Is(err, models.ErrSignFlood):
		c.Header("Retry-After", "60")
		apiError(c, http.StatusTooManyRequests, "rate_limited", "too many letters from this address; try again later", nil)
	case err != nil:
		_ = c.Error(err)
	default:
		out := gin.H{"status": res.Status}
		if res.Status == models.LetterQueued && len(res.Skipped) > 0 {
			out["already_written_to"] = res.Skipped
		}
		// From what was posted, not from the stored letter: a repeated
		// letter's answer must not describe the earlier one.
		out["unchanged"] = models.SameLetter(req.Body, a.Action.LetterBody)
		c.JSON(http.StatusAccepted, out)
	}
}

// tokenLetter resolves a confirmation link to its letter and action, which
// must be public and match the link's slug; otherwise it answers 404 itself.
func (h *ActionPublicHandler) tokenLetter(c *gin.Context) (*models.Letter, *models.PublicAction) {
	l, err := models.LetterByToken(c.Request.Context(), h.s.db.Gorm, c.Param("token"))
	if err == nil {
		if a := h.load(c); a != nil && a.Release.ID == l.DocumentID {
			return l, a
		} else if a != nil {
			h.s.errorPage(c, http.StatusNotFound, "Link expired", "This confirmation link is not valid any more.")
		}
		return nil, nil
	}
	if !errors.Is(err, models.ErrNotFound) {
		_ = c.Error(err)
		return nil, nil
	}
	h.s.errorPage(c, http.StatusNotFound, "Link expired", "This confirmation link is not valid any more. Write your letter again to get a new one.")
	return nil, nil
}

func (h *ActionPublicHandler) renderConfirm(c *gin.Context, status int, a *models.PublicAction, l *models.Letter, state string) {
	pg := actionPage{A: a, State: state, Token: c.Param("token"), Form: letterForm{Name: l.Name, Subject: l.Subject}}
	v := h.s.page(c, "Confirm your letter", "", pg)
	v.NoIndex, v.Lang, v.Dir = true, a.Release.Language, dirOf(a.Release.Language)
	h.s.render(c, status, "public/action_confirm", v)
}

// confirmPage shows the one button. It changes nothing: mail security
// scanners open every link in a message.
func (h *ActionPublicHandler) confirmPage(c *gin.Context) {
	l, a := h.tokenLetter(c)
	if l == nil {
		return
	}
	state := "confirm"
	if l.ConfirmedAt != nil {
		state = "confirmed"
	} else if !a.Open() {
		state = "closed"
	}
	h.renderConfirm(c, http.StatusOK, a, l, state)
}

func (h *ActionPublicHandler) confirm(c *gin.Context) {
	l, a := h.tokenLetter(c)
	if l == nil {
		return
	}
	if l.ConfirmedAt == nil && !a.Open() {
		h.renderConfirm(c, http.StatusConflict, a, l, "closed")
		return
	}
	ctx := c.Request.Context()
	now := h.s.clock.Now()
	err := models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		dels, err := models.ConfirmLetter(ctx, tx, l, "action:"+*a.Release.Slug, c.ClientIP(), now)
		if err != nil {
			return err
		}
		return h.s.scheduleLetters(ctx, tx, dels, now)
	})
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.rememberWriter(c, l.NormalisedEmail)
	h.renderConfirm(c, http.StatusOK, a, l, "confirmed")
}

// posted records "I posted it" for the chosen targets.
func (h *ActionPublicHandler) posted(c *gin.Context) {
	a := h.load(c)
	if a == nil {
		return
	}
	form := bindLetterForm(c)
	if !a.Open() {
		h.render(c, http.StatusConflict, a, form, "", "", nil)
		return
	}
	n, err := models.RecordPosted(c.Request.Context(), h.s.db.Gorm, a, form.TargetIDs, form.Country, c.ClientIP(), h.s.cfg.Petitions.Limits, h.s.clock.Now())
	if fields := validationFields(err); fields != nil {
		h.render(c, http.StatusUnprocessableEntity, a, form, "", "", fields)
		return
	}
	if errors.Is(err, models.ErrSignFlood) {
		c.Header("Retry-After", "60")
		h.s.errorPage(c, http.StatusTooManyRequests, "Too many letters", "Too many posted letters were recorded from your network just now. Please wait a few minutes and try again.")
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	msg := "Thank you for posting your letter. It is counted with the posted letters."
	if n > 1 {
		msg = fmt.Sprintf("Thank you for posting your %d letters. They are counted with the posted letters.", n)
	}
	h.render(c, http.StatusOK, a, form, "posted", msg, nil)
}
