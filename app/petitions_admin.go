package app

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
)

// PetitionsHandler is the campaigners' admin pages for petitions and the
// campaign page that lists every part of a campaign.
type PetitionsHandler struct {
	s *Server
}

// Register adds /admin/petitions… and /admin/campaigns/{id}.
func (h *PetitionsHandler) Register(r Routes) {
	manage := Roles(models.RoleCampaigner)
	r.GET("/petitions", Staff, h.list)
	r.GET("/petitions/new", manage, h.newForm)
	r.POST("/petitions", manage, h.create)
	r.GET("/petitions/:id", Staff, h.show)
	r.GET("/petitions/:id/edit", manage, h.editForm)
	r.POST("/petitions/:id", manage, h.update)
	r.POST("/petitions/:id/open", manage, h.open)
	r.POST("/petitions/:id/close", manage, h.close)
	r.GET("/petitions/:id/signatures.csv", manage, h.exportCSV)
	r.GET("/petitions/:id/handin.pdf", manage, h.exportPDF)
	r.GET("/campaigns/:id", Staff, h.campaign)
	r.POST("/petitions/:id/invalidations/preview", manage, h.previewInvalidation)
	r.POST("/petitions/:id/invalidations", manage, h.applyInvalidation)
	r.POST("/invalidations/:id/reverse", manage, h.reverseInvalidation)
}

// invalidationForm is what the invalidation form posts.
type invalidationForm struct {
	IP, CIDR, Domain, EmailPattern, Country, State, From, To string
}

func bindInvalidationForm(c *gin.Context) invalidationForm {
	return invalidationForm{IP: c.PostForm("ip"), CIDR: c.PostForm("cidr"), Domain: c.PostForm("domain"), EmailPattern: c.PostForm("email_pattern"),
		Country: c.PostForm("country"), State: c.PostForm("state"), From: c.PostForm("from"), To: c.PostForm("to")}
}

func (f invalidationForm) criteria(loc *time.Location) (models.InvalidationCriteria, map[string]string) {
	cr := models.InvalidationCriteria{IP: f.IP, CIDR: f.CIDR, Domain: f.Domain, EmailPattern: f.EmailPattern, Country: f.Country, State: f.State}
	errs := map[string]string{}
	for _, tf := range []struct {
		name, v string
		into    **time.Time
	}{{"from", f.From, &cr.From}, {"to", f.To, &cr.To}} {
		if v := strings.TrimSpace(tf.v); v != "" {
			t, err := time.ParseInLocation(formTime, v, loc)
			if err != nil {
				errs[tf.name] = "must be a date and time, such as 2026-07-09T18:00"
				continue
			}
			*tf.into = &t
		}
	}
	if len(errs) > 0 {
		return cr, errs
	}
	return cr, nil
}

func (h *PetitionsHandler) previewInvalidation(c *gin.Context) {
	f := bindInvalidationForm(c)
	cr, errs := f.criteria(h.s.cfg.DefaultTimezone)
	if errs == nil {
		n, err := models.PreviewInvalidation(c.Request.Context(), h.s.db.Gorm, c.Param("id"), cr)
		if fields := validationFields(err); fields != nil {
			errs = fields
		} else if err != nil {
			_ = c.Error(err)
			return
		} else {
			h.renderShow(c, http.StatusOK, f, &n, nil)
			return
		}
	}
	h.renderShow(c, http.StatusUnprocessableEntity, f, nil, errs)
}

func (h *PetitionsHandler) applyInvalidation(c *gin.Context) {
	ctx := c.Request.Context()
	f := bindInvalidationForm(c)
	cr, errs := f.criteria(h.s.cfg.DefaultTimezone)
	if errs != nil {
		h.renderShow(c, http.StatusUnprocessableEntity, f, nil, errs)
		return
	}
	var inv *models.Invalidation
	err := models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		var err error
		if inv, err = models.CreateInvalidation(ctx, tx, currentUser(c), c.Param("id"), cr, h.s.clock.Now()); err != nil {
			return err
		}
		return jobs.EnqueueTx(ctx, h.s.jobs, tx, jobs.InvalidateSignaturesArgs{InvalidationID: inv.ID}, nil)
	})
	if fields := validationFields(err); fields != nil {
		h.renderShow(c, http.StatusUnprocessableEntity, f, nil, fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", fmt.Sprintf("Invalidating %d signatures. They leave the count as the job works through them.", inv.Matched))
	redirect(c, "/admin/petitions/"+inv.PetitionID)
}

func (h *PetitionsHandler) reverseInvalidation(c *gin.Context) {
	inv, err := models.ReverseInvalidation(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), h.s.clock.Now())
	var se *models.PetitionStateError
	switch {
	case errors.As(err, &se):
		if prev, lerr := models.InvalidationByID(c.Request.Context(), h.s.db.Gorm, c.Param("id")); lerr == nil {
			h.s.setFlash(c, "error", se.Msg)
			redirect(c, "/admin/petitions/"+prev.PetitionID)
			return
		}
		_ = c.Error(err)
	case err != nil:
		_ = c.Error(err)
	default:
		h.s.setFlash(c, "success", "Invalidation reversed: its signatures are back and the confirmed ones count again.")
		redirect(c, "/admin/petitions/"+inv.PetitionID)
	}
}

// petitionForm is what the petition form posts; times are in the
// organisation's zone, as datetime-local fields give them.
type petitionForm struct {
	ID                string
	Status            models.PetitionStatus
	Title             string
	Target            string
	Demand            string
	Body              string
	Goal              string
	Language          string
	CampaignID        string
	ReleaseID         string
	OpensAt           string
	ClosesAt          string
	OpenOnEmbargoLift bool
	ConfirmTextChange bool
}

const formTime = "2006-01-02T15:04"

func bindPetitionForm(c *gin.Context) petitionForm {
	return petitionForm{Title: c.PostForm("title"), Target: c.PostForm("target"), Demand: c.PostForm("demand"), Body: c.PostForm("body"),
		Goal: strings.TrimSpace(c.PostForm("goal")), Language: c.PostForm("language"), CampaignID: c.PostForm("campaign_id"), ReleaseID: strings.TrimSpace(c.PostForm("release_id")),
		OpensAt: c.PostForm("opens_at"), ClosesAt: c.PostForm("closes_at"), OpenOnEmbargoLift: c.PostForm("open_on_embargo_lift") == "yes",
		ConfirmTextChange: c.PostForm("confirm_text_change") == "yes"}
}

func formOf(p *models.Petition, loc *time.Location) petitionForm {
	t := func(v *time.Time) string {
		if v == nil {
			return ""
		}
		return v.In(loc).Format(formTime)
	}
	return petitionForm{ID: p.ID, Status: p.Status, Title: p.Title, Target: p.Target, Demand: p.Demand, Body: p.Body, Goal: strconv.Itoa(p.Goal),
		Language: p.Language, CampaignID: deref(p.CampaignID), ReleaseID: deref(p.ReleaseID), OpensAt: t(p.OpensAt), ClosesAt: t(p.ClosesAt),
		OpenOnEmbargoLift: p.OpenOnEmbargoLift}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// input turns the form into a models input, collecting the errors of values
// that are not even well-formed (a goal that is not a number, a bad time).
func (f petitionForm) input(loc *time.Location) (models.PetitionInput, map[string]string) {
	errs := map[string]string{}
	in := models.PetitionInput{Title: &f.Title, Target: &f.Target, Demand: &f.Demand, Body: &f.Body, Language: &f.Language,
		CampaignID: &f.CampaignID, ReleaseID: &f.ReleaseID, OpenOnEmbargoLift: &f.OpenOnEmbargoLift, ConfirmTextChange: f.ConfirmTextChange}
	goal := 0
	if f.Goal != "" {
		n, err := strconv.Atoi(strings.ReplaceAll(f.Goal, ",", ""))
		if err != nil {
			errs["goal"] = "must be a whole number, such as 10000"
		}
		goal = n
	}
	in.Goal = &goal
	for _, tf := range []struct {
		name, v string
		into    ***time.Time
	}{{"opens_at", f.OpensAt, &in.OpensAt}, {"closes_at", f.ClosesAt, &in.ClosesAt}} {
		var t *time.Time
		if v := strings.TrimSpace(tf.v); v != "" {
			parsed, err := time.ParseInLocation(formTime, v, loc)
			if err != nil {
				errs[tf.name] = "must be a date and time, such as 2026-07-09T18:00"
				continue
			}
			t = &parsed
		}
		*tf.into = &t
	}
	if len(errs) > 0 {
		return in, errs
	}
	return in, nil
}

type petitionFormPage struct {
	Form      petitionForm
	Campaigns []models.Campaign
	Zone      string
}

func (h *PetitionsHandler) renderForm(c *gin.Context, status int, f petitionForm, errs map[string]string) {
	cs, err := models.Campaigns(c.Request.Context(), h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	title := "New petition"
	if f.ID != "" {
		title = "Edit petition"
	}
	v := h.s.page(c, title, "petitions", petitionFormPage{Form: f, Campaigns: cs, Zone: h.s.cfg.DefaultTimezone.String()})
	v.Errors = errs
	h.s.render(c, status, "admin/petition_form", v)
}

type petitionRow struct {
	P      models.Petition
	Count  int64
	Public bool
}

func (h *PetitionsHandler) list(c *gin.Context) {
	ctx := c.Request.Context()
	ps, err := models.Petitions(ctx, h.s.db.Gorm, models.PetitionFilter{Status: models.PetitionStatus(c.Query("status")), Limit: 200})
	if err != nil {
		_ = c.Error(err)
		return
	}
	rows := make([]petitionRow, 0, len(ps))
	for _, p := range ps {
		cnt, err := models.PetitionCountOf(ctx, h.s.db.Gorm, p.ID)
		if err != nil {
			_ = c.Error(err)
			return
		}
		rel, err := models.ReleaseOfPetition(ctx, h.s.db.Gorm, &p)
		if err != nil {
			_ = c.Error(err)
			return
		}
		rows = append(rows, petitionRow{P: p, Count: cnt.Confirmed, Public: p.Public(rel, h.s.clock.Now())})
	}
	h.s.render(c, http.StatusOK, "admin/petitions", h.s.page(c, "Petitions", "petitions", rows))
}

func (h *PetitionsHandler) newForm(c *gin.Context) {
	h.renderForm(c, http.StatusOK, petitionForm{Goal: "10000", Language: "en", CampaignID: c.Query("campaign_id"), ReleaseID: c.Query("release_id")}, nil)
}

func (h *PetitionsHandler) create(c *gin.Context) {
	f := bindPetitionForm(c)
	in, errs := f.input(h.s.cfg.DefaultTimezone)
	if errs != nil {
		h.renderForm(c, http.StatusUnprocessableEntity, f, errs)
		return
	}
	p, err := models.CreatePetition(c.Request.Context(), h.s.db.Gorm, currentUser(c), in, h.s.clock.Now())
	if fields := validationFields(err); fields != nil {
		h.renderForm(c, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", "Petition created as a draft. Open it when it is ready.")
	redirect(c, "/admin/petitions/"+p.ID)
}

func (h *PetitionsHandler) editForm(c *gin.Context) {
	p, err := models.PetitionByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.renderForm(c, http.StatusOK, formOf(p, h.s.cfg.DefaultTimezone), nil)
}

func (h *PetitionsHandler) update(c *gin.Context) {
	ctx := c.Request.Context()
	cur, err := models.PetitionByID(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	f := bindPetitionForm(c)
	f.ID, f.Status = cur.ID, cur.Status
	in, errs := f.input(h.s.cfg.DefaultTimezone)
	if errs != nil {
		h.renderForm(c, http.StatusUnprocessableEntity, f, errs)
		return
	}
	_, err = models.UpdatePetition(ctx, h.s.db.Gorm, currentUser(c), cur.ID, in, h.s.clock.Now())
	if fields := validationFields(err); fields != nil {
		h.renderForm(c, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if errors.Is(err, models.ErrTextChangeUnconfirmed) {
		h.renderForm(c, http.StatusUnprocessableEntity, f, map[string]string{"confirm_text_change": "people have signed the current demand and target: tick this box to change them (the page will say they were updated)"})
		return
	}
	var se *models.PetitionStateError
	if errors.As(err, &se) {
		h.renderForm(c, http.StatusConflict, f, map[string]string{"form": se.Msg})
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", "Petition saved.")
	redirect(c, "/admin/petitions/"+cur.ID)
}

func (h *PetitionsHandler) transition(c *gin.Context, fn func(*gin.Context) (*models.Petition, error), done string) {
	p, err := fn(c)
	var se *models.PetitionStateError
	switch {
	case errors.As(err, &se):
		h.s.setFlash(c, "error", se.Msg)
		redirect(c, "/admin/petitions/"+c.Param("id"))
	case err != nil:
		_ = c.Error(err)
	default:
		h.s.setFlash(c, "success", done)
		redirect(c, "/admin/petitions/"+p.ID)
	}
}

func (h *PetitionsHandler) open(c *gin.Context) {
	h.transition(c, func(c *gin.Context) (*models.Petition, error) {
		return models.OpenPetition(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), h.s.clock.Now())
	}, "Petition opened.")
}

func (h *PetitionsHandler) close(c *gin.Context) {
	h.transition(c, func(c *gin.Context) (*models.Petition, error) {
		return models.ClosePetition(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), h.s.clock.Now())
	}, "Petition closed. Its page shows the final count.")
}

func (h *PetitionsHandler) exportCSV(c *gin.Context) {
	p, err := models.PetitionByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.exportSignatures(c, p)
}

func (h *PetitionsHandler) exportPDF(c *gin.Context) {
	p, err := models.PetitionByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.handinPDF(c, p)
}

type countryCount struct {
	Code, Name string
	N          int64
}

type petitionAdminPage struct {
	P         *models.Petition
	Public    bool
	Release   *models.Document
	Campaign  *models.Campaign
	Counted   int64
	Tally     models.SignatureTally
	ByCountry []countryCount
	PublicURL string
	Trending  []models.TrendingSource
	// Threshold is the signatures an hour that highlight a source.
	Threshold int
	// Embed is the copy-paste snippet that frames the petition's widget.
	Embed string
	// Analytics are the petition's figures over time, by country and per send.
	Analytics analyticsView
	// The invalidation form, its preview and the invalidations so far.
	Invalidate    invalidationForm
	Matches       *int
	Invalidations []models.Invalidation
}

func (h *PetitionsHandler) show(c *gin.Context) {
	h.renderShow(c, http.StatusOK, invalidationForm{}, nil, nil)
}

// renderShow renders the petition page, with the invalidation form's input,
// its preview count or its errors.
func (h *PetitionsHandler) renderShow(c *gin.Context, status int, inv invalidationForm, matches *int, errs map[string]string) {
	ctx := c.Request.Context()
	p, err := models.PetitionByID(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	pg := petitionAdminPage{P: p, PublicURL: h.s.cfg.URL("/p/" + models.EscapeSlug(p.Slug)), Invalidate: inv, Matches: matches,
		Threshold: h.s.cfg.Petitions.TrendingThreshold, Embed: h.s.embedSnippet(p)}
	if pg.Invalidations, err = models.InvalidationsOf(ctx, h.s.db.Gorm, p.ID); err != nil {
		_ = c.Error(err)
		return
	}
	if pg.Release, err = models.ReleaseOfPetition(ctx, h.s.db.Gorm, p); err != nil {
		_ = c.Error(err)
		return
	}
	pg.Public = p.Public(pg.Release, h.s.clock.Now())
	if p.CampaignID != nil {
		if pg.Campaign, err = models.CampaignByID(ctx, h.s.db.Gorm, *p.CampaignID); err != nil {
			_ = c.Error(err)
			return
		}
	}
	cnt, err := models.PetitionCountOf(ctx, h.s.db.Gorm, p.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	pg.Counted = cnt.Confirmed
	if pg.Tally, err = models.SignatureTallyOf(ctx, h.s.db.Gorm, p.ID); err != nil {
		_ = c.Error(err)
		return
	}
	byCountry, err := models.ConfirmedByCountry(ctx, h.s.db.Gorm, p.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	for code, n := range byCountry {
		pg.ByCountry = append(pg.ByCountry, countryCount{Code: code, Name: models.CountryName(code), N: n})
	}
	sortCountries(pg.ByCountry)
	a, err := models.PetitionAnalytics(ctx, h.s.db.Gorm, p)
	if err != nil {
		_ = c.Error(err)
		return
	}
	pg.Analytics = newAnalyticsView(a, "/admin/petitions/"+p.ID+"/analytics.csv", currentUser(c).Location(h.s.cfg.DefaultTimezone))
	if pg.Trending, err = models.TrendingSources(ctx, h.s.db.Gorm, p.ID, h.s.clock.Now().Add(-time.Hour), h.s.cfg.Petitions.TrendingThreshold); err != nil {
		_ = c.Error(err)
		return
	}
	v := h.s.page(c, p.Title, "petitions", pg)
	v.Errors = errs
	h.s.render(c, status, "admin/petition", v)
}

func sortCountries(cs []countryCount) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].N != cs[j].N {
			return cs[i].N > cs[j].N
		}
		return cs[i].Code < cs[j].Code
	})
}

type campaignAdminPage struct {
	C         *models.Campaign
	Parts     *models.CampaignParts
	Analytics analyticsView
}

func (h *PetitionsHandler) campaign(c *gin.Context) {
	ctx := c.Request.Context()
	cp, err := models.CampaignByID(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	parts, err := models.PartsOfCampaign(ctx, h.s.db.Gorm, cp.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	a, err := models.CampaignAnalytics(ctx, h.s.db.Gorm, cp.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	pg := campaignAdminPage{C: cp, Parts: parts, Analytics: newAnalyticsView(a, "/admin/campaigns/"+cp.ID+"/analytics.csv", currentUser(c).Location(h.s.cfg.DefaultTimezone))}
	h.s.render(c, http.StatusOK, "admin/campaign", h.s.page(c, cp.Name, "petitions", pg))
}
