package app

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// ContactsHandler serves media contacts, media lists and media segments: the
// press office's address book. Press officers (and admins) change it; everyone
// signed in may read it.
type ContactsHandler struct {
	s *Server
}

// pressOnly may change media contacts, lists and segments: the roles that own
// the media audience in models (models.CanManageAudience).
var pressOnly = Roles(models.AudienceRoles(models.AudienceMedia)...)

// contactReaders may see who the media contacts are (models.CanReadPeople, the
// same roles); the contacts page shows everyone else the counts only.
var contactReaders = pressOnly

// Register adds the admin pages under /admin.
func (h *ContactsHandler) Register(r Routes) {
	r.GET("/media", Staff, h.list)
	r.GET("/media/export.csv", pressOnly, h.export)
	r.GET("/media/contacts/new", pressOnly, h.newForm)
	r.POST("/media/contacts", pressOnly, h.create)
	r.GET("/media/contacts/:id", contactReaders, h.editForm)
	r.POST("/media/contacts/:id", pressOnly, h.update)
	h.s.listRoutes(r, mediaLists, pressOnly)
	r.POST("/media/segments", pressOnly, h.createSegment)
	r.POST("/media/segments/:id/delete", pressOnly, h.deleteSegment)
}

// RegisterAPI adds the JSON API under /api/v1.
func (h *ContactsHandler) RegisterAPI(r Routes) {
	h.s.apiListRoutes(r, mediaLists, pressOnly)
	r.GET("/contacts", contactReaders, h.apiContacts)
}

// mediaFilterFrom reads the filter of the contacts page (and the export) from
// the query string; a segment's saved filter is the starting point.
func (h *ContactsHandler) mediaFilterFrom(c *gin.Context) (models.MediaFilter, *models.Segment, error) {
	var f models.MediaFilter
	var seg *models.Segment
	if id := c.Query("segment_id"); id != "" {
		s, err := models.SegmentByID(c.Request.Context(), h.s.db.Gorm, models.AudienceMedia, id)
		if err != nil {
			return f, nil, err
		}
		seg, f = s, s.MediaFilter()
	}
	if q := c.Query("q"); q != "" {
		f.Q = q
	}
	f.Beats = append(f.Beats, queryList(c, "beat")...)
	f.Countries = append(f.Countries, queryList(c, "country")...)
	f.Languages = append(f.Languages, queryList(c, "language")...)
	f.Outlets = append(f.Outlets, queryList(c, "outlet")...)
	f.ListIDs = append(f.ListIDs, queryList(c, "list_id")...)
	return f, seg, nil
}

type mediaPage struct {
	Filter   models.MediaFilter
	Segment  *models.Segment
	Contacts []models.MediaContact
	Total    int64
	Lists    []models.ListWithCount
	Segments []models.Segment
	List     *models.MediaList
	Query    string // the filter as a query string, for export and segment links
	// CountsOnly: the user's role may not see who the contacts are.
	CountsOnly bool
}

func (h *ContactsHandler) list(c *gin.Context) {
	ctx := c.Request.Context()
	f, seg, err := h.mediaFilterFrom(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := mediaPage{Filter: f, Segment: seg, Query: c.Request.URL.RawQuery}
	if u := currentUser(c); !models.CanReadPeople(u, models.AudienceMedia) {
		// Counts, not people: and no searching by name or address.
		p.CountsOnly, f.Q = true, ""
	} else if p.Contacts, err = models.ReadContacts(ctx, h.s.db.Gorm, u, f, 200, "", h.s.peopleRead(c, false)); err != nil {
		_ = c.Error(err)
		return
	}
	if p.Total, err = models.CountContacts(ctx, h.s.db.Gorm, f); err != nil {
		_ = c.Error(err)
		return
	}
	if p.Lists, err = models.MediaLists(ctx, h.s.db.Gorm); err != nil {
		_ = c.Error(err)
		return
	}
	if p.Segments, err = models.Segments(ctx, h.s.db.Gorm, models.AudienceMedia); err != nil {
		_ = c.Error(err)
		return
	}
	if len(f.ListIDs) == 1 {
		p.List, _ = models.MediaListByID(ctx, h.s.db.Gorm, f.ListIDs[0])
	}
	h.s.render(c, http.StatusOK, "admin/media", h.s.page(c, "Media contacts", "media", p))
}

func contactRow(ct models.MediaContact) []string {
	dnc := ""
	if ct.DoNotContact {
		dnc = "yes"
	}
	return []string{ct.Email, ct.Name, ct.Outlet, ct.Role, ct.Beats, ct.Countries, ct.Languages, ct.Phone, dnc}
}

// export downloads the contacts matching the page's filter (a list, a segment,
// a search) as CSV in the import's column names, so it can be re-imported.
func (h *ContactsHandler) export(c *gin.Context) {
	ctx := c.Request.Context()
	f, _, err := h.mediaFilterFrom(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	cs, err := models.ReadContacts(ctx, h.s.db.Gorm, currentUser(c), f, 0, "", h.s.peopleRead(c, true))
	if err != nil {
		_ = c.Error(err)
		return
	}
	rows := make([][]string, 0, len(cs))
	for _, ct := range cs {
		rows = append(rows, contactRow(ct))
	}
	writeCSV(c, "media-contacts.csv", []string{"email", "name", "outlet", "role", "beats", "countries", "languages", "phone", "do_not_contact"}, rows)
}

// contactForm is what the contact form posts; copied field by field into
// models.ContactInput.
type contactForm struct {
	ID           string
	Email        string
	Name         string
	Outlet       string
	Role         string
	Beats        string
	Countries    string
	Languages    string
	Phone        string
	Notes        string
	DoNotContact bool
	ListIDs      []string
}

type contactPage struct {
	Form  contactForm
	Lists []models.ListWithCount
}

func (h *ContactsHandler) renderForm(c *gin.Context, status int, form contactForm, errs map[string]string) {
	lists, err := models.MediaLists(c.Request.Context(), h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	title := "New media contact"
	if form.ID != "" {
		title = firstNonBlank(form.Name, form.Email)
	}
	v := h.s.page(c, title, "media", contactPage{Form: form, Lists: lists})
	v.Errors = errs
	h.s.render(c, status, "admin/contact_form", v)
}

func firstNonBlank(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func (h *ContactsHandler) newForm(c *gin.Context) {
	h.renderForm(c, http.StatusOK, contactForm{ListIDs: queryList(c, "list_id")}, nil)
}

func bindContactForm(c *gin.Context) contactForm {
	return contactForm{Email: c.PostForm("email"), Name: c.PostForm("name"), Outlet: c.PostForm("outlet"), Role: c.PostForm("role"),
		Beats: c.PostForm("beats"), Countries: c.PostForm("countries"), Languages: c.PostForm("languages"), Phone: c.PostForm("phone"),
		Notes: c.PostForm("notes"), DoNotContact: c.PostForm("do_not_contact") == "on", ListIDs: c.PostFormArray("list_ids")}
}

func (f contactForm) input() models.ContactInput {
	dnc := f.DoNotContact
	return models.ContactInput{Email: f.Email, Name: f.Name, Outlet: f.Outlet, Role: f.Role, Beats: f.Beats, Countries: f.Countries,
		Languages: f.Languages, Phone: f.Phone, Notes: f.Notes, DoNotContact: &dnc}
}

func (h *ContactsHandler) create(c *gin.Context) {
	ctx := c.Request.Context()
	form := bindContactForm(c)
	ct, err := models.CreateContact(ctx, h.s.db.Gorm, form.input())
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		h.renderForm(c, http.StatusUnprocessableEntity, form, ve.Fields)
		return
	case errors.Is(err, models.ErrConflict):
		h.renderForm(c, http.StatusUnprocessableEntity, form, map[string]string{"email": "is already a contact"})
		return
	case err != nil:
		_ = c.Error(err)
		return
	}
	if err := h.setLists(c, ct.ID, form.ListIDs); err != nil {
		_ = c.Error(err)
		return
	}
	actor := currentUser(c)
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: "contact_created", SubjectType: "media_contact", SubjectID: ct.ID, IP: c.ClientIP()})
	h.s.setFlash(c, "success", "Added "+ct.Email+".")
	redirect(c, "/admin/media")
}

// setLists makes the contact's list memberships exactly ids.
func (h *ContactsHandler) setLists(c *gin.Context, contactID string, ids []string) error {
	ctx := c.Request.Context()
	current, err := models.ContactListIDs(ctx, h.s.db.Gorm, contactID)
	if err != nil {
		return err
	}
	for _, id := range current {
		if !slices.Contains(ids, id) {
			if err := models.RemoveContactFromList(ctx, h.s.db.Gorm, id, contactID); err != nil {
				return err
			}
		}
	}
	for _, id := range ids {
		if !slices.Contains(current, id) {
			if _, err := models.MediaListByID(ctx, h.s.db.Gorm, id); err != nil {
				continue // a list deleted meanwhile, or a forged id: nothing to join
			}
			if err := models.AddContactsToList(ctx, h.s.db.Gorm, id, []string{contactID}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *ContactsHandler) editForm(c *gin.Context) {
	ctx := c.Request.Context()
	ct, err := models.ContactByID(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	ids, err := models.ContactListIDs(ctx, h.s.db.Gorm, ct.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.renderForm(c, http.StatusOK, contactForm{ID: ct.ID, Email: ct.Email, Name: ct.Name, Outlet: ct.Outlet, Role: ct.Role,
		Beats: strings.Join(models.ListItems(ct.Beats), ", "), Countries: strings.Join(models.ListItems(ct.Countries), ", "),
		Languages: strings.Join(models.ListItems(ct.Languages), ", "), Phone: ct.Phone, Notes: ct.Notes, DoNotContact: ct.DoNotContact, ListIDs: ids}, nil)
}

func (h *ContactsHandler) update(c *gin.Context) {
	ctx := c.Request.Context()
	before, err := models.ContactByID(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	form := bindContactForm(c)
	form.ID = before.ID
	actor := currentUser(c)
	ct, err := models.UpdateContact(ctx, h.s.db.Gorm, before.ID, form.input(), actor.Role == models.RoleAdmin)
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		h.renderForm(c, http.StatusUnprocessableEntity, form, ve.Fields)
		return
	case errors.Is(err, models.ErrConflict):
		h.renderForm(c, http.StatusUnprocessableEntity, form, map[string]string{"email": "belongs to another contact"})
		return
	case err != nil:
		_ = c.Error(err)
		return
	}
	if err := h.setLists(c, ct.ID, form.ListIDs); err != nil {
		_ = c.Error(err)
		return
	}
	details := ""
	if before.DoNotContact != ct.DoNotContact {
		details = "do_not_contact " + map[bool]string{true: "set", false: "cleared"}[ct.DoNotContact]
	}
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: "contact_updated", SubjectType: "media_contact", SubjectID: ct.ID, IP: c.ClientIP(), Details: details})
	h.s.setFlash(c, "success", "Saved "+ct.Email+".")
	redirect(c, "/admin/media/contacts/"+ct.ID)
}

func (h *ContactsHandler) createSegment(c *gin.Context) {
	// The filter comes from the page's query string, posted back as "query".
	q, _ := url.ParseQuery(c.PostForm("query"))
	f := models.MediaFilter{Q: q.Get("q"), Beats: q["beat"], Countries: q["country"], Languages: q["language"], Outlets: q["outlet"], ListIDs: q["list_id"]}
	h.s.saveSegment(c, models.AudienceMedia, f, "/admin/media")
}

func (h *ContactsHandler) deleteSegment(c *gin.Context) {
	h.s.removeSegment(c, models.AudienceMedia, "/admin/media")
}

type contactJSON struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Outlet       string    `json:"outlet"`
	Role         string    `json:"role"`
	Beats        []string  `json:"beats"`
	Countries    []string  `json:"countries"`
	Languages    []string  `json:"languages"`
	Phone        string    `json:"phone"`
	DoNotContact bool      `json:"do_not_contact"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func (h *ContactsHandler) apiContacts(c *gin.Context) {
	limit, after, ok := pageParams(c)
	if !ok {
		return
	}
	f, _, err := h.mediaFilterFrom(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	cs, err := models.ReadContacts(c.Request.Context(), h.s.db.Gorm, currentUser(c), f, limit, after, h.s.peopleRead(c, false))
	if err != nil {
		apiFail(c, err)
		return
	}
	out := listPage[contactJSON]{Items: make([]contactJSON, 0, len(cs))}
	for _, ct := range cs {
		out.Items = append(out.Items, contactJSON{ID: ct.ID, Email: ct.Email, Name: ct.Name, Outlet: ct.Outlet, Role: ct.Role,
			Beats: nonNil(models.ListItems(ct.Beats)), Countries: nonNil(models.ListItems(ct.Countries)), Languages: nonNil(models.ListItems(ct.Languages)),
			Phone: ct.Phone, DoNotContact: ct.DoNotContact, UpdatedAt: ct.UpdatedAt.UTC()})
	}
	if len(cs) == limit {
		out.NextCursor = nextCursor(cs[len(cs)-1].Email)
	}
	c.JSON(http.StatusOK, out)
}
