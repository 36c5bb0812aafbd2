package app

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
)

// Shared by the media and supporter areas: list JSON, CSV import (API and the
// admin preview/mapping flow), import results and CSV export.

// unsubscribeKey derives the HMAC key of unsubscribe tokens from SESSION_SECRET,
// so links stay valid across restarts and across web processes without another
// secret to configure. Links signed before a rotation keep working while the old
// secret is listed in SESSION_SECRET_PREVIOUS (Config.UnsubscribeKeys).
func (s *Server) unsubscribeKey() []byte {
	return s.cfg.UnsubscribeKey()
}

// UnsubscribeURL is the per-recipient List-Unsubscribe URL for a supporter, for
// the sending code.
func (s *Server) UnsubscribeURL(supporterID string) string {
	return models.UnsubscribeURL(s.cfg.BaseURL.String(), s.unsubscribeKey(), supporterID)
}

type listJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Members     int64     `json:"members"`
	CreatedAt   time.Time `json:"created_at"`
}

type listRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func listsJSON(ls []models.ListWithCount) listPage[listJSON] {
	out := listPage[listJSON]{Items: make([]listJSON, 0, len(ls))}
	for _, l := range ls {
		out.Items = append(out.Items, listJSON{ID: l.ID, Name: l.Name, Description: l.Description, Members: l.Members, CreatedAt: l.CreatedAt.UTC()})
	}
	return out
}

// apiFail answers an error from models on the JSON API.
func apiFail(c *gin.Context, err error) {
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		apiError(c, http.StatusUnprocessableEntity, "validation_failed", "some fields are not valid", ve.Fields)
	case errors.Is(err, models.ErrConflict):
		apiError(c, http.StatusConflict, "conflict", "a list with that name already exists", nil)
	default:
		_ = c.Error(err)
	}
}

type importResponse struct {
	Imported int                  `json:"imported"`
	Updated  int                  `json:"updated"`
	Rejected []models.RejectedRow `json:"rejected"`
	ImportID string               `json:"import_id"`
}

// readImportBody reads a text/csv request body, refusing oversized files (413).
func readImportBody(c *gin.Context) ([]byte, bool) {
	data, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, models.MaxImportBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		apiError(c, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the file is larger than %d MB", models.MaxImportBytes>>20), nil)
		return nil, false
	}
	if err != nil {
		apiError(c, http.StatusBadRequest, "bad_request", "could not read the request body", nil)
		return nil, false
	}
	return data, true
}

// runImport imports a parsed table into a list of an audience, records the
// import and audits it.
func (s *Server) runImport(c *gin.Context, a models.Audience, listID string, tbl *models.CSVTable, m models.Mapping) (*models.ImportResult, *models.Import, error) {
	ctx := c.Request.Context()
	actor := currentUser(c)
	var res *models.ImportResult
	var err error
	if a == models.AudienceMedia {
		res, err = models.ImportContacts(ctx, s.db.Gorm, listID, tbl, m)
	} else {
		res, err = models.ImportSupporters(ctx, s.db.Gorm, listID, tbl, m, &actor.ID)
	}
	if err != nil {
		return nil, nil, err
	}
	im, err := models.RecordImport(ctx, s.db.Gorm, a, listID, &actor.ID, tbl, res)
	if err != nil {
		return nil, nil, err
	}
	_ = models.Audit(ctx, s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: "audience_imported", SubjectType: string(a) + "_list", SubjectID: listID,
		IP: c.ClientIP(), Details: fmt.Sprintf("import %s: %d imported, %d updated, %d rejected (%s, %q-delimited)", im.ID, res.Imported, res.Updated, len(res.Rejected), tbl.Encoding, tbl.Delimiter)})
	return res, im, nil
}

// apiImport serves POST /api/v1/{media,supporter}-lists/:id/import.
func (s *Server) apiImport(c *gin.Context, a models.Audience) {
	data, ok := readImportBody(c)
	if !ok {
		return
	}
	tbl, err := models.ParseCSV(data)
	if err != nil {
		apiFail(c, err)
		return
	}
	res, im, err := s.runImport(c, a, c.Param("id"), tbl, models.AutoMapping(a, tbl.Header))
	if err != nil {
		apiFail(c, err)
		return
	}
	rej := res.Rejected
	if rej == nil {
		rej = []models.RejectedRow{}
	}
	c.JSON(http.StatusOK, importResponse{Imported: res.Imported, Updated: res.Updated, Rejected: rej, ImportID: im.ID})
}

// importPage drives admin/import: upload, then preview with column mapping,
// then (after the POST) the result.
type importPage struct {
	Audience models.Audience
	ListID   string
	ListName string
	Action   string // base path: /admin/media/lists/ID/import
	// Preview
	Encoded  string // the uploaded file, base64, carried to the confirm step
	Header   []string
	Sample   [][]string
	Fields   []string
	Mapping  models.Mapping
	Rows     int
	Encoding string
}

// MappedIndex is the column chosen for a field, or -1.
func (p importPage) MappedIndex(field string) int {
	if i, ok := p.Mapping[field]; ok {
		return i
	}
	return -1
}

func (s *Server) importUpload(c *gin.Context, status int, p importPage, errs map[string]string) {
	v := s.page(c, "Import into "+p.ListName, string(p.Audience), p)
	v.Errors = errs
	s.render(c, status, "admin/import", v)
}

// importPreview parses the uploaded file and shows its first rows with the
// detected column mapping, for staff to check and adjust.
func (s *Server) importPreview(c *gin.Context, p importPage) {
	fh, err := c.FormFile("file")
	if err != nil {
		s.importUpload(c, http.StatusUnprocessableEntity, p, map[string]string{"file": "choose a CSV file"})
		return
	}
	if fh.Size > models.MaxImportBytes {
		s.importUpload(c, http.StatusRequestEntityTooLarge, p, map[string]string{"file": "the file is too large"})
		return
	}
	f, err := fh.Open()
	if err != nil {
		_ = c.Error(err)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		_ = c.Error(err)
		return
	}
	tbl, err := models.ParseCSV(data)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		s.importUpload(c, http.StatusUnprocessableEntity, p, ve.Fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	p.Encoded = base64.StdEncoding.EncodeToString(data)
	p.Header, p.Fields, p.Rows, p.Encoding = tbl.Header, models.ImportFields(p.Audience), len(tbl.Rows), tbl.Encoding
	p.Mapping = models.AutoMapping(p.Audience, tbl.Header)
	for i, r := range tbl.Rows {
		if i == 5 {
			break
		}
		p.Sample = append(p.Sample, r.Fields)
	}
	v := s.page(c, "Check the columns", string(p.Audience), p)
	if _, ok := p.Mapping["email"]; !ok {
		v.Errors = map[string]string{"map_email": "no column was recognised as the email address: choose it"}
	}
	s.render(c, http.StatusOK, "admin/import", v)
}

// importConfirm imports the previewed file with the chosen mapping and
// redirects to the result.
func (s *Server) importConfirm(c *gin.Context, p importPage) {
	data, err := base64.StdEncoding.DecodeString(c.PostForm("file_data"))
	if err != nil || len(data) == 0 {
		s.importUpload(c, http.StatusUnprocessableEntity, p, map[string]string{"file": "the upload was lost; choose the file again"})
		return
	}
	tbl, err := models.ParseCSV(data)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		s.importUpload(c, http.StatusUnprocessableEntity, p, ve.Fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	m := models.Mapping{}
	for _, f := range models.ImportFields(p.Audience) {
		if i, err := strconv.Atoi(c.PostForm("map_" + f)); err == nil && i >= 0 && i < len(tbl.Header) {
			m[f] = i
		}
	}
	if len(tbl.Rows) > asyncImportRows {
		s.queueImport(c, p, data, tbl, m)
		return
	}
	_, im, err := s.runImport(c, p.Audience, p.ListID, tbl, m)
	if errors.As(err, &ve) {
		s.importUpload(c, http.StatusUnprocessableEntity, p, ve.Fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	redirect(c, "/admin/imports/"+im.ID)
}

// asyncImportRows is the size above which the admin UI imports in the
// background with a progress bar instead of during the request.
const asyncImportRows = 5000

// queueImport stores the file and enqueues the import job in one transaction,
// then shows the progress page.
func (s *Server) queueImport(c *gin.Context, p importPage, data []byte, tbl *models.CSVTable, m models.Mapping) {
	ctx := c.Request.Context()
	actor := currentUser(c)
	if _, ok := m["email"]; !ok {
		s.importUpload(c, http.StatusUnprocessableEntity, p, map[string]string{"file": "no column holds email addresses; map one of the columns to email"})
		return
	}
	var im *models.Import
	err := models.Transaction(ctx, s.db.Gorm, func(tx *gorm.DB) error {
		var err error
		if im, err = models.QueueImport(ctx, tx, p.Audience, p.ListID, &actor.ID, data, tbl, m); err != nil {
			return err
		}
		return jobs.EnqueueTx(ctx, s.jobs, tx, jobs.ImportAudienceArgs{ImportID: im.ID}, nil)
	})
	if err != nil {
		_ = c.Error(err)
		return
	}
	_ = models.Audit(ctx, s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: "audience_import_queued", SubjectType: string(p.Audience) + "_list", SubjectID: p.ListID,
		IP: c.ClientIP(), Details: fmt.Sprintf("import %s: %d rows", im.ID, len(tbl.Rows))})
	redirect(c, "/admin/imports/"+im.ID)
}

// ImportsHandler shows import results and their rejected rows.
type ImportsHandler struct {
	s *Server
}

// Register adds the import result pages.
func (h *ImportsHandler) Register(r Routes) {
	r.GET("/imports/:id", Staff, h.show)
	r.GET("/imports/:id/rejects.csv", Staff, h.rejects)
}

type importResultPage struct {
	Import  *models.Import
	Rejects [][]string
	Back    string
}

func (h *ImportsHandler) show(c *gin.Context) {
	im, err := models.ImportByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	// Rejected rows keep their cells as they were, so their lengths differ.
	rr := csv.NewReader(strings.NewReader(im.Rejects))
	rr.FieldsPerRecord, rr.LazyQuotes = -1, true
	rows, _ := rr.ReadAll()
	if len(rows) > 0 {
		rows = rows[1:]
	}
	if len(rows) > 500 {
		rows = rows[:500] // the download has them all
	}
	for i := range rows {
		if len(rows[i]) > 2 {
			rows[i] = rows[i][:2]
		}
	}
	back := "/admin/media/lists"
	if im.Audience == models.AudienceSupporters {
		back = "/admin/supporters/lists"
	}
	h.s.render(c, http.StatusOK, "admin/import_result", h.s.page(c, "Import result", string(im.Audience), importResultPage{Import: im, Rejects: rows, Back: back}))
}

func (h *ImportsHandler) rejects(c *gin.Context) {
	im, err := models.ReadImportRejects(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), h.s.peopleRead(c, true))
	if err != nil {
		_ = c.Error(err)
		return
	}
	// Re-encoded through the neutralising writer, so reports stored before
	// cells were neutralised are safe to open too.
	r := csv.NewReader(strings.NewReader(im.Rejects))
	r.FieldsPerRecord, r.LazyQuotes = -1, true
	rows, err := r.ReadAll()
	if err != nil {
		_ = c.Error(fmt.Errorf("app: rejected rows of import %s: %w", im.ID, err))
		return
	}
	if len(rows) == 0 {
		rows = [][]string{{"row", "reason"}}
	}
	writeCSV(c, "rejected-rows-"+im.ID+".csv", rows[0], rows[1:])
}

// peopleRead describes a request that reads personal data, for the rule and
// audit of models.ReadSupporters and friends. The cursor is left out of the
// recorded filter: it encodes an address.
func (s *Server) peopleRead(c *gin.Context, export bool) models.PeopleRead {
	q := c.Request.URL.Query()
	q.Del("cursor")
	return models.PeopleRead{Export: export, Filter: q.Encode(), IP: c.ClientIP(), At: s.clock.Now()}
}

// writeCSV streams a CSV download through models.CSVWriter, so no cell can
// run as a spreadsheet formula.
func writeCSV(c *gin.Context, filename string, header []string, rows [][]string) {
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Status(http.StatusOK)
	w := models.NewCSVWriter(c.Writer)
	_ = w.Write(header)
	_ = w.WriteAll(rows)
}

// queryList reads a filter value that may be repeated or comma-separated.
func queryList(c *gin.Context, key string) []string {
	var out []string
	for _, v := range c.QueryArray(key) {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// audienceLists describes one audience's lists for the list pages and the CSV
// import, which media contacts and supporters share.
type audienceLists struct {
	audience    models.Audience
	title       string // page title
	section     string // highlighted navigation entry
	page        string // template
	path        string // base path of the list pages, e.g. /admin/media/lists
	apiPath     string // the API collection, e.g. /media-lists
	auditAction string
	subjectType string
	all         func(ctx context.Context, db *gorm.DB) ([]models.ListWithCount, error)
	create      func(ctx context.Context, db *gorm.DB, name, description string) (listJSON, error)
	find        func(ctx context.Context, db *gorm.DB, id string) (listName string, err error)
}

var mediaLists = audienceLists{audience: models.AudienceMedia, title: "Media lists", section: "media", page: "admin/media_lists",
	path: "/admin/media/lists", apiPath: "/media-lists", auditAction: "media_list_created", subjectType: "media_list",
	all: models.MediaLists,
	create: func(ctx context.Context, db *gorm.DB, name, description string) (listJSON, error) {
		l, err := models.CreateMediaList(ctx, db, name, description)
		if err != nil {
			return listJSON{}, err
		}
		return listJSON{ID: l.ID, Name: l.Name, Description: l.Description, CreatedAt: l.CreatedAt.UTC()}, nil
	},
	find: func(ctx context.Context, db *gorm.DB, id string) (string, error) {
		l, err := models.MediaListByID(ctx, db, id)
		if err != nil {
			return "", err
		}
		return l.Name, nil
	},
}

var supporterLists = audienceLists{audience: models.AudienceSupporters, title: "Supporter lists", section: "supporters", page: "admin/supporter_lists",
	path: "/admin/supporters/lists", apiPath: "/supporter-lists", auditAction: "supporter_list_created", subjectType: "supporter_list",
	all: models.SupporterLists,
	create: func(ctx context.Context, db *gorm.DB, name, description string) (listJSON, error) {
		l, err := models.CreateSupporterList(ctx, db, name, description)
		if err != nil {
			return listJSON{}, err
		}
		return listJSON{ID: l.ID, Name: l.Name, Description: l.Description, CreatedAt: l.CreatedAt.UTC()}, nil
	},
	find: func(ctx context.Context, db *gorm.DB, id string) (string, error) {
		l, err := models.SupporterListByID(ctx, db, id)
		if err != nil {
			return "", err
		}
		return l.Name, nil
	},
}

// listsPage is the lists page of either audience.
type listsPage struct {
	Lists []models.ListWithCount
	Name  string
}

func (s *Server) renderLists(c *gin.Context, k audienceLists, status int, name string, errs map[string]string) {
	lists, err := k.all(c.Request.Context(), s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	v := s.page(c, k.title, k.section, listsPage{Lists: lists, Name: name})
	v.Errors = errs
	s.render(c, status, k.page, v)
}

// listRoutes registers an audience's list pages and CSV import, editable by
// the given roles.
func (s *Server) listRoutes(r Routes, k audienceLists, editors Access) {
	rel := strings.TrimPrefix(k.path, "/admin")
	r.GET(rel, Staff, func(c *gin.Context) { s.renderLists(c, k, http.StatusOK, "", nil) })
	r.POST(rel, editors, func(c *gin.Context) { s.createList(c, k) })
	r.GET(rel+"/:id/import", editors, func(c *gin.Context) {
		if p, ok := s.listImportPage(c, k); ok {
			s.importUpload(c, http.StatusOK, p, nil)
		}
	})
	r.POST(rel+"/:id/import/preview", editors, func(c *gin.Context) {
		if p, ok := s.listImportPage(c, k); ok {
			s.importPreview(c, p)
		}
	})
	r.POST(rel+"/:id/import", editors, func(c *gin.Context) {
		if p, ok := s.listImportPage(c, k); ok {
			s.importConfirm(c, p)
		}
	})
}

func (s *Server) createList(c *gin.Context, k audienceLists) {
	ctx := c.Request.Context()
	l, err := k.create(ctx, s.db.Gorm, c.PostForm("name"), c.PostForm("description"))
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		s.renderLists(c, k, http.StatusUnprocessableEntity, c.PostForm("name"), ve.Fields)
		return
	case errors.Is(err, models.ErrConflict):
		s.renderLists(c, k, http.StatusUnprocessableEntity, c.PostForm("name"), map[string]string{"name": "is already taken"})
		return
	case err != nil:
		_ = c.Error(err)
		return
	}
	actor := currentUser(c)
	_ = models.Audit(ctx, s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: k.auditAction, SubjectType: k.subjectType, SubjectID: l.ID, IP: c.ClientIP(), Details: l.Name})
	s.setFlash(c, "success", "List "+l.Name+" created.")
	redirect(c, k.path)
}

// apiListRoutes registers an audience's list endpoints of the JSON API.
func (s *Server) apiListRoutes(r Routes, k audienceLists, editors Access) {
	r.GET(k.apiPath, Staff, func(c *gin.Context) {
		ls, err := k.all(c.Request.Context(), s.db.Gorm)
		if err != nil {
			_ = c.Error(err)
			return
		}
		c.JSON(http.StatusOK, listsJSON(ls))
	})
	r.POST(k.apiPath, editors, func(c *gin.Context) {
		var req listRequest
		if err := json.NewDecoder(c.Request.Body).Decode(&req); err != nil {
			apiError(c, http.StatusBadRequest, "bad_request", "the body must be a JSON object", nil)
			return
		}
		ctx := c.Request.Context()
		l, err := k.create(ctx, s.db.Gorm, req.Name, req.Description)
		if err != nil {
			apiFail(c, err)
			return
		}
		actor := currentUser(c)
		_ = models.Audit(ctx, s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: k.auditAction, SubjectType: k.subjectType, SubjectID: l.ID, IP: c.ClientIP(), Details: l.Name})
		c.JSON(http.StatusCreated, l)
	})
	r.POST(k.apiPath+"/:id/import", editors, func(c *gin.Context) { s.apiImport(c, k.audience) })
}

func (s *Server) listImportPage(c *gin.Context, k audienceLists) (importPage, bool) {
	name, err := k.find(c.Request.Context(), s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return importPage{}, false
	}
	id := c.Param("id")
	return importPage{Audience: k.audience, ListID: id, ListName: name, Action: k.path + "/" + id + "/import"}, true
}

// saveSegment stores the filter of a list page (posted back as "query") as a
// named segment of an audience and returns to that page.
func (s *Server) saveSegment(c *gin.Context, audience models.Audience, filter any, page string) {
	ctx := c.Request.Context()
	actor := currentUser(c)
	seg, err := models.CreateSegment(ctx, s.db.Gorm, audience, c.PostForm("name"), filter, &actor.ID)
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		s.setFlash(c, "error", "The segment was not saved: give it a name and check the filter.")
		redirect(c, page+"?"+c.PostForm("query"))
		return
	case errors.Is(err, models.ErrConflict):
		s.setFlash(c, "error", "A segment with that name already exists.")
		redirect(c, page+"?"+c.PostForm("query"))
		return
	case err != nil:
		_ = c.Error(err)
		return
	}
	_ = models.Audit(ctx, s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: "segment_created", SubjectType: "segment", SubjectID: seg.ID, IP: c.ClientIP(), Details: seg.Name + " " + seg.Filter})
	s.setFlash(c, "success", "Segment "+seg.Name+" saved.")
	redirect(c, page+"?segment_id="+seg.ID)
}

// removeSegment deletes a segment of an audience and returns to its list page.
func (s *Server) removeSegment(c *gin.Context, audience models.Audience, page string) {
	ctx := c.Request.Context()
	if err := models.DeleteSegment(ctx, s.db.Gorm, audience, c.Param("id")); err != nil {
		_ = c.Error(err)
		return
	}
	actor := currentUser(c)
	_ = models.Audit(ctx, s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: "segment_deleted", SubjectType: "segment", SubjectID: c.Param("id"), IP: c.ClientIP()})
	s.setFlash(c, "success", "Segment deleted.")
	redirect(c, page)
}
