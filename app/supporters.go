package app

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// SupportersHandler serves supporters, supporter lists and segments, the
// suppression list, and data-subject requests (export, erasure). Campaigners
// (and admins) change supporters; everyone signed in may read.
type SupportersHandler struct {
	s *Server
}

// campaignersOnly may change supporters, their lists and segments: the roles
// that own the supporter audience in models (models.CanManageAudience).
var campaignersOnly = Roles(models.AudienceRoles(models.AudienceSupporters)...)

// supporterReaders may see who the supporters are (models.CanReadPeople, the
// same roles); the list page shows everyone else the counts only.
var supporterReaders = campaignersOnly

// senders may add manual suppressions: anyone who sends mail.
var senders = Roles(models.RoleCampaigner, models.RolePressOfficer)

// Register adds the admin pages under /admin.
func (h *SupportersHandler) Register(r Routes) {
	r.GET("/supporters", Staff, h.list)
	r.GET("/supporters/export.csv", campaignersOnly, h.export)
	h.s.listRoutes(r, supporterLists, campaignersOnly)
	r.POST("/supporters/segments", campaignersOnly, h.createSegment)
	r.POST("/supporters/segments/:id/delete", campaignersOnly, h.deleteSegment)
	r.GET("/supporters/:id", supporterReaders, h.show)
	r.POST("/supporters/:id", campaignersOnly, h.update)
	r.GET("/supporters/:id/export.json", campaignersOnly, h.exportOne)
	r.POST("/supporters/:id/erase", campaignersOnly, h.erase)
	r.GET("/suppressions", senders, h.suppressions) // addresses: for those who send, not every reader
	r.POST("/suppressions", senders, h.addSuppression)
}

// RegisterAPI adds the JSON API under /api/v1.
func (h *SupportersHandler) RegisterAPI(r Routes) {
	h.s.apiListRoutes(r, supporterLists, campaignersOnly)
	r.GET("/supporters", supporterReaders, h.apiSupporters)
}

func supporterFilterFrom(q url.Values) models.SupporterFilter {
	f := models.SupporterFilter{Q: q.Get("q"), Countries: q["country"], Languages: q["language"], Tags: q["tag"], ListIDs: q["list_id"]}
	for _, s := range q["status"] {
		if s != "" {
			f.Statuses = append(f.Statuses, models.SupporterStatus(s))
		}
	}
	if d, err := strconv.Atoi(q.Get("engaged_days")); err == nil {
		f.EngagedWithinDays = d
	}
	return f
}

// filterFrom reads the page's filter; a segment's saved filter is the base.
func (h *SupportersHandler) filterFrom(c *gin.Context) (models.SupporterFilter, *models.Segment, error) {
	q := c.Request.URL.Query()
	for _, k := range []string{"country", "language", "tag", "list_id", "status"} {
		q[k] = queryList(c, k)
	}
	f := supporterFilterFrom(q)
	if id := c.Query("segment_id"); id != "" {
		seg, err := models.SegmentByID(c.Request.Context(), h.s.db.Gorm, models.AudienceSupporters, id)
		if err != nil {
			return f, nil, err
		}
		base := seg.SupporterFilter()
		if f.Q != "" {
			base.Q = f.Q
		}
		base.Statuses = append(base.Statuses, f.Statuses...)
		base.Countries = append(base.Countries, f.Countries...)
		base.Languages = append(base.Languages, f.Languages...)
		base.Tags = append(base.Tags, f.Tags...)
		base.ListIDs = append(base.ListIDs, f.ListIDs...)
		if f.EngagedWithinDays > 0 {
			base.EngagedWithinDays = f.EngagedWithinDays
		}
		return base, seg, nil
	}
	return f, nil, nil
}

type supportersPage struct {
	Filter     models.SupporterFilter
	Segment    *models.Segment
	Supporters []models.Supporter
	Total      int64
	Lists      []models.ListWithCount
	Segments   []models.Segment
	List       *models.SupporterList
	Statuses   []models.SupporterStatus
	Query      string
	Status     string
	Engaged    string
	// CountsOnly: the user's role may not see who the supporters are.
	CountsOnly bool
}

func (h *SupportersHandler) list(c *gin.Context) {
	ctx := c.Request.Context()
	f, seg, err := h.filterFrom(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if err := f.Validate(); err != nil {
		f = models.SupporterFilter{}
	}
	p := supportersPage{Filter: f, Segment: seg, Statuses: models.SupporterStatuses(), Query: c.Request.URL.RawQuery, Status: c.Query("status"), Engaged: c.Query("engaged_days")}
	if u := currentUser(c); !models.CanReadPeople(u, models.AudienceSupporters) {
		// Counts, not people: and no searching by name or address, which would
		// tell whether someone is a supporter.
		p.CountsOnly, f.Q = true, ""
	} else if p.Supporters, err = models.ReadSupporters(ctx, h.s.db.Gorm, u, f, 200, "", h.s.peopleRead(c, false)); err != nil {
		_ = c.Error(err)
		return
	}
	if p.Total, err = models.CountSupporters(ctx, h.s.db.Gorm, f); err != nil {
		_ = c.Error(err)
		return
	}
	if p.Lists, err = models.SupporterLists(ctx, h.s.db.Gorm); err != nil {
		_ = c.Error(err)
		return
	}
	if p.Segments, err = models.Segments(ctx, h.s.db.Gorm, models.AudienceSupporters); err != nil {
		_ = c.Error(err)
		return
	}
	if len(f.ListIDs) == 1 {
		p.List, _ = models.SupporterListByID(ctx, h.s.db.Gorm, f.ListIDs[0])
	}
	h.s.render(c, http.StatusOK, "admin/supporters", h.s.page(c, "Supporters", "supporters", p))
}

// export downloads the supporters matching the page's filter as CSV, in the
// import's column names. Bulk personal data: campaigners and admins only, and
// audited.
func (h *SupportersHandler) export(c *gin.Context) {
	ctx := c.Request.Context()
	f, _, err := h.filterFrom(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if err := f.Validate(); err != nil {
		_ = c.Error(err)
		return
	}
	ss, err := models.ReadSupporters(ctx, h.s.db.Gorm, currentUser(c), f, 0, "", h.s.peopleRead(c, true))
	if err != nil {
		_ = c.Error(err)
		return
	}
	rows := make([][]string, 0, len(ss))
	for _, s := range ss {
		rows = append(rows, []string{s.Address(), s.Name, s.Country, s.Language, s.Tags, s.Source, string(s.Status), s.CreatedAt.UTC().Format(time.RFC3339)})
	}
	writeCSV(c, "supporters.csv", []string{"email", "name", "country", "language", "tags", "source", "status", "created_at"}, rows)
}

type supporterPage struct {
	Supporter   *models.Supporter
	Consent     []models.ConsentRecord
	Lists       []string
	Suppression *models.Suppression
	Form        models.SupporterInput
}

func (h *SupportersHandler) renderShow(c *gin.Context, status int, form *models.SupporterInput, errs map[string]string) {
	ctx := c.Request.Context()
	exp, err := models.ExportSupporter(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := supporterPage{Supporter: &exp.Supporter, Consent: exp.ConsentRecords, Lists: exp.Lists, Suppression: exp.Suppression,
		Form: models.SupporterInput{Name: exp.Supporter.Name, Country: exp.Supporter.Country, Language: exp.Supporter.Language, Tags: exp.Supporter.Tags}}
	if form != nil {
		p.Form = *form
	}
	title := firstNonBlank(exp.Supporter.Name, exp.Supporter.Address(), "Erased supporter")
	v := h.s.page(c, title, "supporters", p)
	v.Errors = errs
	h.s.render(c, status, "admin/supporter", v)
}

func (h *SupportersHandler) show(c *gin.Context) { h.renderShow(c, http.StatusOK, nil, nil) }

func (h *SupportersHandler) update(c *gin.Context) {
	ctx := c.Request.Context()
	in := models.SupporterInput{Name: c.PostForm("name"), Country: c.PostForm("country"), Language: c.PostForm("language"), Tags: c.PostForm("tags")}
	err := models.UpdateSupporter(ctx, h.s.db.Gorm, c.Param("id"), in)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		h.renderShow(c, http.StatusUnprocessableEntity, &in, ve.Fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	actor := currentUser(c)
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: "supporter_updated", SubjectType: "supporter", SubjectID: c.Param("id"), IP: c.ClientIP()})
	h.s.setFlash(c, "success", "Saved.")
	redirect(c, "/admin/supporters/"+c.Param("id"))
}

// exportOne answers a data-subject access request: everything held on one
// supporter, as a JSON download.
func (h *SupportersHandler) exportOne(c *gin.Context) {
	ctx := c.Request.Context()
	exp, err := models.ExportSupporter(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	actor := currentUser(c)
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: "supporter_data_exported", SubjectType: "supporter", SubjectID: exp.Supporter.ID, IP: c.ClientIP()})
	c.Header("Content-Disposition", `attachment; filename="supporter-`+exp.Supporter.ID+`.json"`)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, exp)
}

// erase removes a supporter's personal data (right to erasure), keeping only
// the hash that stops them being mailed again.
func (h *SupportersHandler) erase(c *gin.Context) {
	ctx := c.Request.Context()
	actor := currentUser(c)
	if err := models.EraseSupporter(ctx, h.s.db.Gorm, c.Param("id"), &actor.ID); err != nil {
		_ = c.Error(err)
		return
	}
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: "supporter_erased", SubjectType: "supporter", SubjectID: c.Param("id"), IP: c.ClientIP()})
	h.s.setFlash(c, "success", "The supporter's personal data was erased. Their address stays blocked (by hash only).")
	redirect(c, "/admin/supporters/"+c.Param("id"))
}

func (h *SupportersHandler) createSegment(c *gin.Context) {
	q, _ := url.ParseQuery(c.PostForm("query"))
	h.s.saveSegment(c, models.AudienceSupporters, supporterFilterFrom(q), "/admin/supporters")
}

func (h *SupportersHandler) deleteSegment(c *gin.Context) {
	h.s.removeSegment(c, models.AudienceSupporters, "/admin/supporters")
}

type suppressionsPage struct {
	Suppressions []models.Suppression
	Q            string
	Email        string
	Note         string
}

func (h *SupportersHandler) renderSuppressions(c *gin.Context, status int, p suppressionsPage, errs map[string]string) {
	var err error
	if p.Suppressions, err = models.Suppressions(c.Request.Context(), h.s.db.Gorm, p.Q, 500); err != nil {
		_ = c.Error(err)
		return
	}
	v := h.s.page(c, "Suppression list", "suppressions", p)
	v.Errors = errs
	h.s.render(c, status, "admin/suppressions", v)
}

func (h *SupportersHandler) suppressions(c *gin.Context) {
	h.renderSuppressions(c, http.StatusOK, suppressionsPage{Q: c.Query("q")}, nil)
}

func (h *SupportersHandler) addSuppression(c *gin.Context) {
	ctx := c.Request.Context()
	p := suppressionsPage{Email: c.PostForm("email"), Note: c.PostForm("note")}
	actor := currentUser(c)
	err := models.Suppress(ctx, h.s.db.Gorm, p.Email, models.SuppressManual, p.Note, &actor.ID)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		h.renderSuppressions(c, http.StatusUnprocessableEntity, p, ve.Fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: "suppression_added", SubjectType: "suppression", SubjectID: models.EmailHash(p.Email), IP: c.ClientIP(), Details: p.Note})
	h.s.setFlash(c, "success", models.NormalizeEmail(p.Email)+" will not be mailed.")
	redirect(c, "/admin/suppressions")
}

type supporterJSON struct {
	ID        string     `json:"id"`
	Email     string     `json:"email"`
	Name      string     `json:"name"`
	Country   string     `json:"country"`
	Language  string     `json:"language"`
	Tags      []string   `json:"tags"`
	Source    string     `json:"source"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	EngagedAt *time.Time `json:"last_engaged_at"`
}

func (h *SupportersHandler) apiSupporters(c *gin.Context) {
	limit, after, ok := pageParams(c)
	if !ok {
		return
	}
	f, _, err := h.filterFrom(c)
	if err != nil {
		apiFail(c, err)
		return
	}
	if err := f.Validate(); err != nil {
		apiFail(c, err)
		return
	}
	ss, err := models.ReadSupporters(c.Request.Context(), h.s.db.Gorm, currentUser(c), f, limit, after, h.s.peopleRead(c, false))
	if err != nil {
		apiFail(c, err)
		return
	}
	out := listPage[supporterJSON]{Items: make([]supporterJSON, 0, len(ss))}
	for _, s := range ss {
		out.Items = append(out.Items, supporterJSON{ID: s.ID, Email: s.Address(), Name: s.Name, Country: s.Country, Language: s.Language,
			Tags: nonNil(models.ListItems(s.Tags)), Source: s.Source, Status: string(s.Status), CreatedAt: s.CreatedAt.UTC(), EngagedAt: utcPtr(s.LastEngagedAt)})
	}
	if len(ss) == limit {
		out.NextCursor = nextCursor(ss[len(ss)-1].Address())
	}
	c.JSON(http.StatusOK, out)
}
