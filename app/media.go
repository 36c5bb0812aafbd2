package app

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/jobs"
	"pressroom/models"
)

// MediaHandler is the media library: uploads (page and API), the library's
// pages, and the files themselves, served publicly only under the one
// visibility rule (models.PublicMediumByHash), to staff through a signed-in
// route, and to embargo preview readers through signed, expiring URLs.
type MediaHandler struct {
	s *Server
}

// uploaders may add to the library: the people who write releases and alerts.
var uploaders = Roles(models.RolePressOfficer, models.RoleCampaigner)

// libraryPath is the library's admin address (/admin/media is the media
// contacts page).
const libraryPath = "/media-library"

// Register adds the library pages under admin, the file route under root and
// the API under api.
func (h *MediaHandler) Register(root, admin, api Routes) {
	root.GET("/media/:hash/:variant", Public, h.servePublic)
	root.GET("/site.css", Public, h.s.siteCSS)
	admin.GET(libraryPath, Staff, h.library)
	admin.POST(libraryPath, uploaders, h.uploadPage)
	admin.GET(libraryPath+"/:id", Staff, h.item)
	admin.GET(libraryPath+"/:id/:variant", Staff, h.serveStaff)
	api.POST("/media", uploaders, h.uploadAPI)
	api.GET("/media", Staff, h.listAPI)
	api.GET("/media/:id", Staff, h.getAPI)
}

// MediaKey is the HMAC key of signed media URLs (models.MediaLinkKey).
func (c *Config) MediaKey() []byte { return models.MediaLinkKey(c.SessionSecret) }

// MediaPath is the public path of a variant: content-addressed, so it never
// changes meaning and may be cached for good once public.
func MediaPath(m *models.Medium, variant string) string {
	return m.PublicPath(variant)
}

// MediaURL is the absolute public URL of a variant.
func (s *Server) MediaURL(m *models.Medium, variant string) string {
	return s.cfg.URL(MediaPath(m, variant))
}

// SignedMediaURL is a URL that serves a variant of a release's file before it
// is public, until exp and while that release (docID) shows the file and is
// not withdrawn, and the preview link it is shown through (linkID) is not
// revoked: for embargo previews, never for a public page.
func (s *Server) SignedMediaURL(m *models.Medium, variant, docID, linkID string, exp time.Time) string {
	return s.cfg.URL(models.SignedMediaPath(s.mediaKey, m, variant, docID, linkID, exp))
}

// signedFor checks a signed URL's query against the clock and returns the
// release and preview link it was signed for (docID "" when it is not a valid
// signature).
func (s *Server) signedFor(c *gin.Context, hash, variant string) (docID, linkID string) {
	sig, expS, docID, linkID := c.Query("sig"), c.Query("exp"), c.Query("d"), c.Query("l")
	if sig == "" || expS == "" || docID == "" {
		return "", ""
	}
	exp, err := strconv.ParseInt(expS, 10, 64)
	if err != nil || s.clock.Now().Unix() > exp {
		return "", ""
	}
	if !hmac.Equal([]byte(sig), []byte(models.MediaSignature(s.mediaKey, hash, variant, docID, linkID, exp))) {
		return "", ""
	}
	return docID, linkID
}

func (h *MediaHandler) servePublic(c *gin.Context) {
	ctx := c.Request.Context()
	hash, variant := c.Param("hash"), c.Param("variant")
	if docID, linkID := h.s.signedFor(c, hash, variant); docID != "" {
		m, err := models.SignedMediumByHash(ctx, h.s.db.Gorm, hash, docID, linkID)
		if err != nil {
			h.notFound(c, err)
			return
		}
		// Still under embargo: no cache but the reader's may keep it.
		c.Header("Cache-Control", "private, no-store")
		h.s.serveFile(c, m, variant)
		return
	}
	m, err := h.s.publicMedium(ctx, hash)
	if err != nil {
		h.notFound(c, err)
		return
	}
	if m.Variant(variant) == nil {
		h.notFound(c, models.ErrNotFound)
		return
	}
	// Public now, but only while its release is: a short lifetime and a
	// validator, not "immutable" (see mediaCacheControl).
	etag := `"` + hash + "-" + variant + `"`
	c.Header("Cache-Control", mediaCacheControl)
	c.Header("ETag", etag)
	c.Header("X-Content-Type-Options", "nosniff")
	if notModified(c, etag) {
		return
	}
	h.s.serveFile(c, m, variant)
}

// notFound answers a file that is not public (or not there) with a 404 no
// cache may keep: the same file becomes public the moment its embargo lifts.
func (h *MediaHandler) notFound(c *gin.Context, err error) {
	if !errors.Is(err, models.ErrNotFound) {
		_ = c.Error(err)
		return
	}
	noStore(c)
	c.Header("X-Content-Type-Options", "nosniff")
	c.String(http.StatusNotFound, "Not found.\n")
}

func (h *MediaHandler) serveStaff(c *gin.Context) {
	m, err := models.MediumByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.Header("Cache-Control", "private, no-store")
	h.s.serveFile(c, m, c.Param("variant"))
}

// serveFile streams a variant with its real type, nosniff, and a download
// disposition for documents (a PDF is never rendered as our origin's page).
func (s *Server) serveFile(c *gin.Context, m *models.Medium, variant string) {
	v := m.Variant(variant)
	if v == nil {
		noStore(c)
		c.String(http.StatusNotFound, "No such size of this file.\n")
		return
	}
	r, err := s.media.Open(c.Request.Context(), v.StorageKey)
	if err != nil {
		_ = c.Error(err)
		return
	}
	defer func() { _ = r.Close() }()
	hd := c.Writer.Header()
	hd.Set("Content-Type", v.ContentType)
	hd.Set("Content-Length", strconv.FormatInt(v.Bytes, 10))
	hd.Set("X-Content-Type-Options", "nosniff")
	if m.Kind == models.MediaDocument {
		hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(m)}))
	} else {
		hd.Set("Content-Disposition", "inline")
	}
	c.Status(http.StatusOK)
	if c.Request.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(c.Writer, r); err != nil {
		s.logger.WarnContext(c.Request.Context(), "media: serve", "err", err)
	}
}

// downloadName is a document's file name for the reader's disk: the uploaded
// name when it has one, else the title, always with the type's extension.
func downloadName(m *models.Medium) string {
	name := strings.TrimSpace(path.Base(strings.ReplaceAll(m.Filename, `\`, "/")))
	if name == "" || name == "." || name == "/" {
		name = m.Title
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '/' {
			return '_'
		}
		return r
	}, name)
	if m.ContentType == "application/pdf" && !strings.HasSuffix(strings.ToLower(name), ".pdf") {
		name += ".pdf"
	}
	return name
}

// errUploadTooLarge is the 413 of an upload past the limit.
func uploadTooLarge() *jobs.UploadError {
	return &jobs.UploadError{Status: http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("The file is larger than the limit of %s. Make it smaller (export the PDF for screen, or resize the photo) and upload it again.", models.HumanBytes(jobs.MaxUploadBytes))}
}

// upload reads the multipart upload, checks and derives it, stores every file,
// then records the item. Files are written before the row so a row never
// points at nothing; a refused upload stores nothing at all.
func (h *MediaHandler) upload(c *gin.Context) (*models.Medium, models.MediumInput, error) {
	in := models.MediumInput{}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, jobs.MaxUploadBytes+1<<20)
	fh, err := c.FormFile("file")
	in = models.MediumInput{Title: c.PostForm("title"), Caption: c.PostForm("caption"), Credit: c.PostForm("credit"),
		AltText: c.PostForm("alt_text"), Licence: c.PostForm("licence")}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, in, uploadTooLarge()
	case err != nil:
		return nil, in, &models.ValidationError{Fields: map[string]string{"file": "choose a file to upload (a JPEG, PNG or WebP image, or a PDF)"}}
	case fh.Size > jobs.MaxUploadBytes:
		return nil, in, uploadTooLarge()
	}
	f, err := fh.Open()
	if err != nil {
		return nil, in, fmt.Errorf("app: open upload: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, jobs.MaxUploadBytes+1))
	_ = f.Close()
	if err != nil {
		return nil, in, fmt.Errorf("app: read upload: %w", err)
	}
	p, err := jobs.ProcessUpload(data)
	if err != nil {
		return nil, in, err
	}
	m := &models.Medium{Kind: p.Kind, ContentType: p.ContentType, Width: p.Width, Height: p.Height, ContentHash: p.Hash,
		Filename: path.Base(strings.ReplaceAll(fh.Filename, `\`, "/"))}
	// Check the words before storing anything.
	check := in
	if err := check.Validate(m.Kind, m.Filename); err != nil {
		return nil, in, err
	}
	ctx := c.Request.Context()
	for _, f := range p.Files {
		if f.Name == models.VariantOriginal {
			m.Bytes = f.Bytes
		}
		if err := h.s.media.Put(ctx, f.StorageKey, f.ContentType, f.Data); err != nil {
			return nil, in, err
		}
		m.Variants = append(m.Variants, f.MediaVariant)
	}
	if err := models.CreateMedium(ctx, h.s.db.Gorm, currentUser(c), in, m, h.s.clock.Now()); err != nil {
		return nil, in, err
	}
	return m, in, nil
}

// mediaJSON is the API shape of a library item (API.md "Media").
type mediaJSON struct {
	ID          string            `json:"id"`
	Kind        models.MediaKind  `json:"kind"`
	Title       string            `json:"title"`
	Caption     string            `json:"caption"`
	Credit      string            `json:"credit"`
	AltText     string            `json:"alt_text"`
	Licence     string            `json:"licence"`
	ContentType string            `json:"content_type"`
	Bytes       int64             `json:"bytes"`
	Width       int               `json:"width"`
	Height      int               `json:"height"`
	Hash        string            `json:"content_hash"`
	URL         string            `json:"url"`
	Variants    map[string]string `json:"variants,omitempty"`
	UploadedAt  time.Time         `json:"uploaded_at"`
	UsedIn      []string          `json:"used_in,omitempty"`
}

func (s *Server) mediaToJSON(m *models.Medium) mediaJSON {
	j := mediaJSON{ID: m.ID, Kind: m.Kind, Title: m.Title, Caption: m.Caption, Credit: m.Credit, AltText: m.AltText, Licence: m.Licence,
		ContentType: m.ContentType, Bytes: m.Bytes, Width: m.Width, Height: m.Height, Hash: m.ContentHash,
		URL: s.MediaURL(m, models.VariantOriginal), UploadedAt: m.UploadedAt.UTC()}
	if m.IsImage() {
		j.Variants = map[string]string{}
		for _, v := range models.ImageVariants {
			j.Variants[v] = s.MediaURL(m, v)
		}
	}
	return j
}

func (h *MediaHandler) uploadAPI(c *gin.Context) {
	m, _, err := h.upload(c)
	var ue *jobs.UploadError
	switch {
	case errors.As(err, &ue):
		if ue.Status == http.StatusRequestEntityTooLarge {
			apiError(c, ue.Status, "too_large", ue.Message, nil)
			return
		}
		apiError(c, ue.Status, "validation_failed", ue.Message, map[string]string{"file": ue.Message})
		return
	case err != nil:
		_ = c.Error(err)
		return
	}
	c.JSON(http.StatusCreated, h.s.mediaToJSON(m))
}

func (h *MediaHandler) listAPI(c *gin.Context) {
	limit, _ := strconv.Atoi(c.DefaultQuery("limit", "50"))
	ms, err := models.SearchMedia(c.Request.Context(), h.s.db.Gorm, c.Query("q"), limit)
	if err != nil {
		_ = c.Error(err)
		return
	}
	out := make([]mediaJSON, 0, len(ms))
	for i := range ms {
		out = append(out, h.s.mediaToJSON(&ms[i]))
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

func (h *MediaHandler) getAPI(c *gin.Context) {
	ctx := c.Request.Context()
	m, err := models.MediumByID(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	uses, err := models.MediumUsedIn(ctx, h.s.db.Gorm, m.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	j := h.s.mediaToJSON(m)
	j.UsedIn = []string{}
	for _, u := range uses {
		if len(j.UsedIn) == 0 || j.UsedIn[len(j.UsedIn)-1] != u.DocumentID {
			j.UsedIn = append(j.UsedIn, u.DocumentID)
		}
	}
	c.JSON(http.StatusOK, j)
}

type libraryPage struct {
	Query    string
	Items    []models.Medium
	Form     models.MediumInput
	Upload   bool // the user may upload
	Problem  string
	MaxBytes string
}

func (h *MediaHandler) renderLibrary(c *gin.Context, status int, form models.MediumInput, errs map[string]string, problem string) {
	q := strings.TrimSpace(c.Query("q"))
	items, err := models.SearchMedia(c.Request.Context(), h.s.db.Gorm, q, 100)
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := libraryPage{Query: q, Items: items, Form: form, Upload: models.CanUploadMedia(currentUser(c)), Problem: problem, MaxBytes: models.HumanBytes(jobs.MaxUploadBytes)}
	v := h.s.page(c, "Media library", "media", p)
	v.Errors = errs
	h.s.render(c, status, "admin/media_library", v)
}

func (h *MediaHandler) library(c *gin.Context) {
	h.renderLibrary(c, http.StatusOK, models.MediumInput{}, nil, "")
}

func (h *MediaHandler) uploadPage(c *gin.Context) {
	m, in, err := h.upload(c)
	var ue *jobs.UploadError
	switch {
	case errors.As(err, &ue):
		h.renderLibrary(c, ue.Status, in, map[string]string{"file": ue.Message}, ue.Message)
		return
	case validationFields(err) != nil:
		h.renderLibrary(c, http.StatusUnprocessableEntity, in, validationFields(err), "")
		return
	case err != nil:
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", "Uploaded “"+m.Title+"”.")
	redirect(c, "/admin"+libraryPath+"/"+m.ID)
}

type mediaItemPage struct {
	M      *models.Medium
	UsedIn []models.MediaUse
	URLs   map[string]string
}

func (h *MediaHandler) item(c *gin.Context) {
	ctx := c.Request.Context()
	m, err := models.MediumByID(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	uses, err := models.MediumUsedIn(ctx, h.s.db.Gorm, m.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := mediaItemPage{M: m, UsedIn: uses, URLs: map[string]string{}}
	for _, v := range m.Variants {
		p.URLs[v.Name] = h.s.MediaURL(m, v.Name)
	}
	h.s.render(c, http.StatusOK, "admin/media_item", h.s.page(c, m.Title, "media", p))
}

// addReleaseMedia fills the media fields of a release's API shape from the
// revision shown.
func (s *Server) addReleaseMedia(ctx context.Context, out *releaseJSON, r *models.Revision) error {
	out.AttachmentIDs, out.Attachments = []string{}, []mediaJSON{}
	lead, att, err := models.RevisionMedia(ctx, s.db.Gorm, r)
	if err != nil {
		return err
	}
	if lead != nil {
		j := s.mediaToJSON(lead)
		out.LeadImageID, out.LeadImage = &lead.ID, &j
	}
	for i := range att {
		out.AttachmentIDs = append(out.AttachmentIDs, att[i].ID)
		out.Attachments = append(out.Attachments, s.mediaToJSON(&att[i]))
	}
	return nil
}
