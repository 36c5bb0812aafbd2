package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// TargetsHandler is the directory of officials that Urgent Actions write to:
// the JSON API and the admin pages. Campaigners and admins manage it; the
// officials' work addresses are not shown to other roles either.
type TargetsHandler struct {
	s *Server
}

// targetsAccess is the role rule of every targets route.
var targetsAccess = Roles(models.RoleCampaigner)

// Register adds /admin/targets….
func (h *TargetsHandler) Register(r Routes) {
	r.GET("/targets", targetsAccess, h.list)
	r.GET("/targets/new", targetsAccess, h.newForm)
	r.POST("/targets", targetsAccess, h.create)
	r.GET("/targets/import", targetsAccess, h.importForm)
	r.POST("/targets/import", targetsAccess, h.importFile)
	r.GET("/targets/:id", targetsAccess, h.editForm)
	r.POST("/targets/:id", targetsAccess, h.update)
}

// RegisterAPI adds /api/v1/targets….
func (h *TargetsHandler) RegisterAPI(r Routes) {
	r.POST("/targets", targetsAccess, h.apiCreate)
	r.GET("/targets", targetsAccess, h.apiList)
	r.POST("/targets/import", targetsAccess, h.apiImport)
	r.GET("/targets/:id", targetsAccess, h.apiGet)
	r.PATCH("/targets/:id", targetsAccess, h.apiUpdate)
}

// targetJSON is a target as the API shows it.
type targetJSON struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	Title          string     `json:"title"`
	Organisation   string     `json:"organisation"`
	Country        string     `json:"country"`
	Email          string     `json:"email"`
	PostalAddress  string     `json:"postal_address"`
	Salutation     string     `json:"salutation"`
	Language       string     `json:"language"`
	Notes          string     `json:"notes"`
	EmailBouncedAt *time.Time `json:"email_bounced_at"`
	BounceReason   string     `json:"bounce_reason,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

func toTargetJSON(t *models.Target) targetJSON {
	return targetJSON{ID: t.ID, Name: t.Name, Title: t.Title, Organisation: t.Organisation, Country: t.Country, Email: t.Email,
		PostalAddress: t.PostalAddress, Salutation: t.Salutation, Language: t.Language, Notes: t.Notes, EmailBouncedAt: utcPtr(t.EmailBouncedAt),
		BounceReason: t.BounceReason, CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC()}
}

// targetFields are the writable fields of a target.
var targetFields = []string{"name", "title", "organisation", "country", "email", "postal_address", "salutation", "language", "notes"}

// bindTarget reads a JSON body into a TargetInput; unknown and read-only
// fields are refused by name.
func bindTarget(c *gin.Context) (models.TargetInput, bool) {
	var in models.TargetInput
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10)).Decode(&raw); err != nil {
		apiError(c, http.StatusBadRequest, "bad_request", "the body must be a JSON object", nil)
		return in, false
	}
	fields := map[string]string{}
	into := map[string]**string{"name": &in.Name, "title": &in.Title, "organisation": &in.Organisation, "country": &in.Country, "email": &in.Email,
		"postal_address": &in.PostalAddress, "salutation": &in.Salutation, "language": &in.Language, "notes": &in.Notes}
	for k, v := range raw {
		dst, ok := into[k]
		if !ok {
			fields[k] = "is not a writable field of a target"
			continue
		}
		var s *string
		if err := json.Unmarshal(v, &s); err != nil {
			fields[k] = "must be a string"
			continue
		}
		if s == nil {
			s = new(string)
		}
		*dst = s
	}
	if len(fields) > 0 {
		apiError(c, http.StatusUnprocessableEntity, "validation_failed", "some fields are not valid", fields)
		return in, false
	}
	return in, true
}

// targetFail answers a models error on the targets API.
func targetFail(c *gin.Context, err error) {
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		apiError(c, http.StatusUnprocessableEntity, "validation_failed", "some fields are not valid", ve.Fields)
	case errors.Is(err, models.ErrNotFound):
		apiError(c, http.StatusNotFound, "not_found", "no such target", nil)
	case errors.Is(err, models.ErrForbidden):
		apiError(c, http.StatusForbidden, "forbidden", conflictMessage(err), nil)
	default:
		_ = c.Error(err)
	}
}

func (h *TargetsHandler) apiCreate(c *gin.Context) {
	in, ok := bindTarget(c)
	if !ok {
		return
	}
	t, err := models.CreateTarget(c.Request.Context(), h.s.db.Gorm, currentUser(c), in, h.s.clock.Now())
	if err != nil {
		targetFail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toTargetJSON(t))
}

func (h *TargetsHandler) apiUpdate(c *gin.Context) {
	in, ok := bindTarget(c)
	if !ok {
		return
	}
	t, err := h.updateTarget(c, in)
	if err != nil {
		targetFail(c, err)
		return
	}
	c.JSON(http.StatusOK, toTargetJSON(t))
}

// updateTarget saves a change; a fixed address lets the letters that waited
// for it go.
func (h *TargetsHandler) updateTarget(c *gin.Context, in models.TargetInput) (*models.Target, error) {
	ctx := c.Request.Context()
	t, fixed, err := models.UpdateTarget(ctx, h.s.db.Gorm, currentUser(c), c.Param("id"), in, h.s.clock.Now())
	if err != nil {
		return nil, err
	}
	if fixed {
		if err := h.s.requeueWaitingLetters(ctx, t.ID); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (h *TargetsHandler) apiGet(c *gin.Context) {
	t, err := models.TargetByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		targetFail(c, err)
		return
	}
	c.JSON(http.StatusOK, toTargetJSON(t))
}

func (h *TargetsHandler) apiList(c *gin.Context) {
	limit, after, ok := pageParams(c)
	if !ok {
		return
	}
	ts, err := models.Targets(c.Request.Context(), h.s.db.Gorm, models.TargetFilter{Query: c.Query("q"), Country: c.Query("country"), AfterID: after, Limit: limit + 1})
	if err != nil {
		_ = c.Error(err)
		return
	}
	page := listPage[targetJSON]{Items: []targetJSON{}}
	for i := range ts {
		if i == limit {
			page.NextCursor = nextCursor(ts[i-1].ID)
			break
		}
		page.Items = append(page.Items, toTargetJSON(&ts[i]))
	}
	c.JSON(http.StatusOK, page)
}

func (h *TargetsHandler) apiImport(c *gin.Context) {
	data, ok := readImportBody(c)
	if !ok {
		return
	}
	res, err := h.runImport(c, data)
	if err != nil {
		targetFail(c, err)
		return
	}
	rej := res.Rejected
	if rej == nil {
		rej = []models.RejectedRow{}
	}
	c.JSON(http.StatusOK, gin.H{"imported": res.Imported, "updated": res.Updated, "rejected": rej})
}

func (h *TargetsHandler) runImport(c *gin.Context, data []byte) (*models.ImportResult, error) {
	tbl, err := models.ParseCSV(data)
	if err != nil {
		return nil, err
	}
	return models.ImportTargets(c.Request.Context(), h.s.db.Gorm, currentUser(c), tbl, models.AutoMapping(models.AudienceTargets, tbl.Header))
}

// targetForm is what the admin form posts.
type targetForm struct {
	ID, Name, Title, Organisation, Country, Email, PostalAddress, Salutation, Language, Notes string
	EmailBouncedAt                                                                            *time.Time
	BounceReason                                                                              string
}

func bindTargetForm(c *gin.Context) targetForm {
	return targetForm{ID: c.Param("id"), Name: c.PostForm("name"), Title: c.PostForm("title"), Organisation: c.PostForm("organisation"),
		Country: c.PostForm("country"), Email: c.PostForm("email"), PostalAddress: c.PostForm("postal_address"), Salutation: c.PostForm("salutation"),
		Language: c.PostForm("language"), Notes: c.PostForm("notes")}
}

func (f targetForm) input() models.TargetInput {
	return models.TargetInput{Name: &f.Name, Title: &f.Title, Organisation: &f.Organisation, Country: &f.Country, Email: &f.Email,
		PostalAddress: &f.PostalAddress, Salutation: &f.Salutation, Language: &f.Language, Notes: &f.Notes}
}

func formOfTarget(t *models.Target) targetForm {
	return targetForm{ID: t.ID, Name: t.Name, Title: t.Title, Organisation: t.Organisation, Country: t.Country, Email: t.Email, PostalAddress: t.PostalAddress,
		Salutation: t.Salutation, Language: t.Language, Notes: t.Notes, EmailBouncedAt: t.EmailBouncedAt, BounceReason: t.BounceReason}
}

type targetsPage struct {
	Query   string
	Targets []models.Target
	Next    string
}

func (h *TargetsHandler) list(c *gin.Context) {
	q := c.Query("q")
	ts, err := models.Targets(c.Request.Context(), h.s.db.Gorm, models.TargetFilter{Query: q, AfterID: c.Query("after"), Limit: 101})
	if err != nil {
		_ = c.Error(err)
		return
	}
	pg := targetsPage{Query: q, Targets: ts}
	if len(ts) > 100 {
		pg.Targets, pg.Next = ts[:100], ts[99].ID
	}
	h.s.render(c, http.StatusOK, "admin/targets", h.s.page(c, "Targets", "targets", pg))
}

type targetFormPage struct {
	Form    targetForm
	Actions []models.DocumentSummary
}

func (h *TargetsHandler) renderForm(c *gin.Context, status int, f targetForm, errs map[string]string) {
	pg := targetFormPage{Form: f}
	title := "New target"
	if f.ID != "" {
		title = "Edit target"
		acts, err := models.ActionsUsingTarget(c.Request.Context(), h.s.db.Gorm, f.ID)
		if err != nil {
			_ = c.Error(err)
			return
		}
		pg.Actions = acts
	}
	v := h.s.page(c, title, "targets", pg)
	v.Errors = errs
	h.s.render(c, status, "admin/target_form", v)
}

func (h *TargetsHandler) newForm(c *gin.Context) { h.renderForm(c, http.StatusOK, targetForm{}, nil) }

func (h *TargetsHandler) create(c *gin.Context) {
	f := bindTargetForm(c)
	t, err := models.CreateTarget(c.Request.Context(), h.s.db.Gorm, currentUser(c), f.input(), h.s.clock.Now())
	if fields := validationFields(err); fields != nil {
		h.renderForm(c, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", "Target added: "+t.Describe())
	redirect(c, "/admin/targets")
}

func (h *TargetsHandler) editForm(c *gin.Context) {
	t, err := models.TargetByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if errors.Is(err, models.ErrNotFound) {
		h.s.errorPage(c, http.StatusNotFound, "Page not found", "There is no such target.")
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.renderForm(c, http.StatusOK, formOfTarget(t), nil)
}

func (h *TargetsHandler) update(c *gin.Context) {
	f := bindTargetForm(c)
	t, err := h.updateTarget(c, f.input())
	if errors.Is(err, models.ErrNotFound) {
		h.s.errorPage(c, http.StatusNotFound, "Page not found", "There is no such target.")
		return
	}
	if fields := validationFields(err); fields != nil {
		if old, lerr := models.TargetByID(c.Request.Context(), h.s.db.Gorm, c.Param("id")); lerr == nil {
			f.EmailBouncedAt, f.BounceReason = old.EmailBouncedAt, old.BounceReason
		}
		h.renderForm(c, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", "Saved: "+t.Describe())
	redirect(c, "/admin/targets/"+t.ID)
}

type targetImportPage struct {
	Result *models.ImportResult
	Fields []string
}

func (h *TargetsHandler) importForm(c *gin.Context) {
	h.s.render(c, http.StatusOK, "admin/target_import", h.s.page(c, "Import targets", "targets", targetImportPage{Fields: models.ImportFields(models.AudienceTargets)}))
}

func (h *TargetsHandler) importFile(c *gin.Context) {
	pg := targetImportPage{Fields: models.ImportFields(models.AudienceTargets)}
	fail := func(msg string) {
		v := h.s.page(c, "Import targets", "targets", pg)
		v.Errors = map[string]string{"file": msg}
		h.s.render(c, http.StatusUnprocessableEntity, "admin/target_import", v)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		fail("choose a CSV file to import")
		return
	}
	if fh.Size > models.MaxImportBytes {
		fail(fmt.Sprintf("the file is larger than %d MB", models.MaxImportBytes>>20))
		return
	}
	f, err := fh.Open()
	if err != nil {
		fail("the file could not be read")
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		fail("the file could not be read")
		return
	}
	res, err := h.runImport(c, data)
	if fields := validationFields(err); fields != nil {
		fail(fields["file"])
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	pg.Result = res
	h.s.render(c, http.StatusOK, "admin/target_import", h.s.page(c, "Import targets", "targets", pg))
}
