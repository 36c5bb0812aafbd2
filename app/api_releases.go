package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"pressroom/models"
	"pressroom/models/richtext"
)

// ReleasesAPI is the release part of the JSON API v1.
type ReleasesAPI struct {
	s *Server
}

// Register adds the release endpoints.
func (h *ReleasesAPI) Register(r Routes) {
	r.POST("/releases", editors, h.create)
	r.GET("/releases", Staff, h.list)
	r.GET("/releases/:id", Staff, h.get)
	r.PATCH("/releases/:id", editors, h.patch)
	r.GET("/releases/:id/revisions", Staff, h.revisions)
	r.GET("/releases/:id/diff", Staff, h.diff)
	r.POST("/releases/:id/submit", editors, h.submit)
	r.POST("/releases/:id/approve", reviewers, h.approve)
	r.POST("/releases/:id/request-changes", reviewers, h.requestChanges)
	r.POST("/releases/:id/withdraw", editors, h.withdraw)
	r.POST("/releases/:id/preview-links", editors, h.previewLink)
}

type previewLinkRequest struct {
	ContactID string     `json:"contact_id"`
	Email     string     `json:"email"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// previewLink makes an embargo preview link for one journalist (default expiry:
// seven days).
func (h *ReleasesAPI) previewLink(c *gin.Context) {
	var req previewLinkRequest
	if err := json.NewDecoder(io.LimitReader(c.Request.Body, maxBody)).Decode(&req); err != nil {
		apiError(c, http.StatusBadRequest, "bad_json", "the body is not a JSON object: "+err.Error(), nil)
		return
	}
	now := h.s.clock.Now()
	expires := now.Add(7 * 24 * time.Hour)
	if req.ExpiresAt != nil {
		expires = *req.ExpiresAt
	}
	link, token, err := models.CreatePreviewLink(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), req.ContactID, req.Email, expires, now)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": link.ID, "url": h.s.cfg.URL("/preview/" + token), "email": link.Email, "expires_at": link.ExpiresAt.UTC()})
}

// releaseJSON is a release as the API shows it.
type releaseJSON struct {
	ID               string                `json:"id"`
	Kind             models.Kind           `json:"kind"`
	Status           models.Status         `json:"status"`
	Slug             *string               `json:"slug"`
	Revision         int                   `json:"revision"`
	ContentHash      string                `json:"content_hash"`
	ApprovedRevision int                   `json:"approved_revision"`
	IndexNumber      *string               `json:"index_number"`
	Series           string                `json:"series"`
	Workflow         string                `json:"workflow"`
	Headline         string                `json:"headline"`
	Standfirst       string                `json:"standfirst"`
	Dateline         string                `json:"dateline"`
	Body             string                `json:"body"`
	NotesToEditors   string                `json:"notes_to_editors"`
	PressContacts    []models.PressContact `json:"press_contacts"`
	Language         string                `json:"language"`
	OriginalID       *string               `json:"original_id"`
	CampaignID       *string               `json:"campaign_id"`
	Countries        []string              `json:"countries"`
	Regions          []string              `json:"regions"`
	Themes           []string              `json:"themes"`
	EmbargoAt        *time.Time            `json:"embargo_at"`
	EmbargoTimezone  string                `json:"embargo_timezone"`
	PublishedAt      *time.Time            `json:"published_at"`
	PublicURL        *string               `json:"public_url"`
	Rapid            bool                  `json:"rapid"`
	Escalated        bool                  `json:"escalated"`
	CorrectionNote   string                `json:"correction_note"`
	WithdrawalNotice string                `json:"withdrawal_notice"`
	LeadImageID      *string               `json:"lead_image_id"`
	AttachmentIDs    []string              `json:"attachment_ids"`
	LeadImage        *mediaJSON            `json:"lead_image"`
	Attachments      []mediaJSON           `json:"attachments"`
	Approvals        []approvalJSON        `json:"approvals"`
	Steps            []stepJSON            `json:"steps"`
	CreatedAt        time.Time             `json:"created_at"`
	UpdatedAt        time.Time             `json:"updated_at"`
	actionJSON
}

// actionJSON is the Urgent Action part of an action alert; absent on press
// releases.
type actionJSON struct {
	Targets        *[]string  `json:"targets,omitempty"`
	AppealDeadline *time.Time `json:"appeal_deadline,omitempty"`
	AppealTimezone *string    `json:"appeal_timezone,omitempty"`
	LetterSubject  *string    `json:"letter_subject,omitempty"`
	LetterBody     *string    `json:"letter_body,omitempty"`
	CallToAction   *string    `json:"call_to_action,omitempty"`
	Outcome        *string    `json:"outcome,omitempty"`
	UpdateOf       *string    `json:"update_of,omitempty"`
	UpdateNumber   *int       `json:"update_number,omitempty"`
	ActionURL      *string    `json:"action_url,omitempty"`
}

// actionOf fills the action fields of an action alert.
func (s *Server) actionOf(d *models.Document, r *models.Revision) actionJSON {
	if d.Kind != models.KindActionAlert {
		return actionJSON{}
	}
	out := actionJSON{UpdateOf: d.UpdateOf, UpdateNumber: d.UpdateNumber}
	a := r.Content().Action
	if a == nil {
		a = &models.ActionContent{}
	}
	ids := nonNil(a.TargetIDs)
	out.Targets, out.AppealDeadline, out.AppealTimezone = &ids, utcPtr(a.AppealDeadline), &a.AppealTimezone
	out.LetterSubject, out.LetterBody, out.CallToAction = &a.LetterSubject, &a.LetterBody, &a.CallToAction
	if a.Outcome != "" {
		out.Outcome = &a.Outcome
	}
	if d.Slug != nil && d.Public(s.clock.Now()) {
		u := s.cfg.URL("/a/" + models.EscapeSlug(*d.Slug))
		out.ActionURL = &u
	}
	return out
}

type approvalJSON struct {
	User     string    `json:"user"`
	UserID   string    `json:"user_id"`
	Group    string    `json:"group"`
	Revision int       `json:"revision"`
	At       time.Time `json:"at"`
	Comment  string    `json:"comment"`
}

type stepJSON struct {
	Position        int        `json:"position"`
	Group           string     `json:"group"`
	ApprovalsNeeded int        `json:"approvals_needed"`
	Approvals       int        `json:"approvals"`
	Done            bool       `json:"done"`
	Open            bool       `json:"open"`
	DueAt           *time.Time `json:"due_at"`
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (h *ReleasesAPI) toJSON(c *gin.Context, d *models.Document) (*releaseJSON, error) {
	review, err := models.ReviewOf(c.Request.Context(), h.s.db.Gorm, d)
	if err != nil {
		return nil, err
	}
	r := d.Revision
	out := &releaseJSON{ID: d.ID, Kind: d.Kind, Status: d.Status, Slug: d.Slug, Revision: d.CurrentRevision, ContentHash: r.ContentHash,
		ApprovedRevision: d.ApprovedRevision, IndexNumber: d.IndexNumber, Workflow: d.Workflow.Name, Headline: r.Headline, Standfirst: r.Standfirst,
		Dateline: r.Dateline, Body: r.Body, NotesToEditors: r.NotesToEditors, PressContacts: nonNil(r.Contacts()), Language: d.Language,
		OriginalID: d.OriginalID, CampaignID: d.CampaignID, Countries: nonNil(models.Tags(d.Countries)), Regions: nonNil(models.Tags(d.Regions)),
		Themes: nonNil(models.Tags(d.Themes)), EmbargoAt: utcPtr(r.EmbargoAt), EmbargoTimezone: d.EmbargoTZ, PublishedAt: utcPtr(d.PublishedAt),
		Rapid: d.Rapid, Escalated: d.EscalatedAt != nil, CorrectionNote: d.CorrectionNote, WithdrawalNotice: d.WithdrawalNotice,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), Approvals: []approvalJSON{}, Steps: []stepJSON{}}
	if d.Series != nil {
		out.Series = d.Series.Code
	}
	out.actionJSON = h.s.actionOf(d, r)
	if err := h.s.addReleaseMedia(c.Request.Context(), out, r); err != nil {
		return nil, err
	}
	if d.Slug != nil && d.Public(h.s.clock.Now()) {
		u := h.s.cfg.URL(releasePath(*d.Slug))
		out.PublicURL = &u
	}
	for _, s := range review.Steps {
		sj := stepJSON{Position: s.Step.Position, ApprovalsNeeded: s.Step.ApprovalsNeeded, Approvals: len(s.Approvals), Done: s.Done, Open: s.Open}
		if s.Step.Group != nil {
			sj.Group = s.Step.Group.Name
		}
		if !s.Due.IsZero() {
			sj.DueAt = utcPtr(&s.Due)
		}
		out.Steps = append(out.Steps, sj)
		for _, a := range s.Approvals {
			aj := approvalJSON{UserID: a.UserID, Group: sj.Group, Revision: a.Revision, At: a.CreatedAt.UTC(), Comment: a.Comment}
			if a.User != nil {
				aj.User = a.User.Name
			}
			out.Approvals = append(out.Approvals, aj)
		}
	}
	return out, nil
}

func (h *ReleasesAPI) respond(c *gin.Context, status int, id string) {
	d, err := models.DocumentByID(c.Request.Context(), h.s.db.Gorm, id)
	if err != nil {
		_ = c.Error(err)
		return
	}
	out, err := h.toJSON(c, d)
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.JSON(status, out)
}

// releaseRequest is the writable part of a release in a request body. Fields are
// raw so "absent" and "null" can be told apart (null clears an embargo).
type releaseRequest map[string]json.RawMessage

// writableFields are the fields POST and PATCH accept; the read-only fields of
// the response (id, status, index_number, …) are ignored so a client may send
// back what it read.
var writableFields = map[string]bool{"kind": true, "language": true, "series": true, "workflow": true, "campaign_id": true, "original_id": true,
	"headline": true, "standfirst": true, "dateline": true, "body": true, "notes_to_editors": true, "press_contacts": true, "embargo_at": true,
	"embargo_timezone": true, "countries": true, "regions": true, "themes": true, "revision": true, "correction_note": true,
	"lead_image_id": true, "attachment_ids": true, "targets": true, "appeal_deadline": true, "appeal_timezone": true, "letter_subject": true,
	"letter_body": true, "call_to_action": true, "outcome": true, "update_of": true}

var readOnlyFields = map[string]bool{"id": true, "status": true, "slug": true, "content_hash": true, "approved_revision": true, "index_number": true,
	"published_at": true, "public_url": true, "approvals": true, "steps": true, "rapid": true, "escalated": true, "withdrawal_notice": true,
	"created_at": true, "updated_at": true, "lead_image": true, "attachments": true, "update_number": true, "action_url": true}

// maxBody bounds request bodies: a release is text, never megabytes.
const maxBody = 1 << 20

// decodeRelease reads a release request into models input, reporting every bad
// field at once.
func decodeRelease(c *gin.Context) (models.DocumentInput, map[string]string, bool) {
	var in models.DocumentInput
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxBody+1))
	if err != nil {
		apiError(c, http.StatusBadRequest, "bad_request", "could not read the body", nil)
		return in, nil, false
	}
	if len(body) > maxBody {
		apiError(c, http.StatusRequestEntityTooLarge, "too_large", "the body is larger than 1 MiB", nil)
		return in, nil, false
	}
	var raw releaseRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		apiError(c, http.StatusBadRequest, "bad_json", "the body is not a JSON object: "+err.Error(), nil)
		return in, nil, false
	}
	fields := map[string]string{}
	str := func(k string) *string {
		v, ok := raw[k]
		if !ok {
			return nil
		}
		var s *string
		if err := json.Unmarshal(v, &s); err != nil {
			fields[k] = "must be a string"
			return nil
		}
		if s == nil {
			empty := ""
			return &empty
		}
		return s
	}
	strs := func(k string) *[]string {
		v, ok := raw[k]
		if !ok {
			return nil
		}
		var s []string
		if err := json.Unmarshal(v, &s); err != nil {
			fields[k] = "must be an array of strings"
			return nil
		}
		return &s
	}
	for k := range raw {
		if !writableFields[k] && !readOnlyFields[k] {
			fields[k] = "is not a field of a release"
		}
	}
	if k := str("kind"); k != nil {
		in.Kind = models.Kind(*k)
	}
	in.Language, in.SeriesCode, in.Workflow, in.CampaignID, in.OriginalID = str("language"), str("series"), str("workflow"), str("campaign_id"), str("original_id")
	in.Headline, in.Standfirst, in.Dateline, in.Body, in.NotesToEditors = str("headline"), str("standfirst"), str("dateline"), str("body"), str("notes_to_editors")
	in.EmbargoTZ, in.CorrectionNote = str("embargo_timezone"), str("correction_note")
	in.Countries, in.Regions, in.Themes = strs("countries"), strs("regions"), strs("themes")
	in.LeadImageID, in.AttachmentIDs = str("lead_image_id"), strs("attachment_ids")
	in.Action.TargetIDs, in.Action.AppealTimezone = strs("targets"), str("appeal_timezone")
	in.Action.LetterSubject, in.Action.LetterBody, in.Action.Outcome = str("letter_subject"), str("letter_body"), str("outcome")
	in.Action.CallToAction = str("call_to_action")
	in.UpdateOf = str("update_of")
	if v, ok := raw["appeal_deadline"]; ok {
		var t *time.Time
		if err := json.Unmarshal(v, &t); err != nil {
			fields["appeal_deadline"] = "must be an RFC 3339 time with offset, or null"
		} else {
			in.Action.AppealDeadline = &t
		}
	}
	if v, ok := raw["press_contacts"]; ok {
		var pcs []models.PressContact
		if err := json.Unmarshal(v, &pcs); err != nil {
			fields["press_contacts"] = "must be an array of {name, role, phone, email}"
		} else {
			in.PressContacts = &pcs
		}
	}
	if v, ok := raw["embargo_at"]; ok {
		var t *time.Time
		if err := json.Unmarshal(v, &t); err != nil {
			fields["embargo_at"] = "must be an RFC 3339 time with offset, or null"
		} else {
			in.EmbargoAt = &t
		}
	}
	if v, ok := raw["revision"]; ok {
		if err := json.Unmarshal(v, &in.BaseRevision); err != nil {
			fields["revision"] = "must be a revision number"
		}
	}
	if len(fields) > 0 {
		apiError(c, http.StatusUnprocessableEntity, "validation_failed", "some fields are not valid", fields)
		return in, nil, false
	}
	return in, nil, true
}

// fail answers a models error in the API's shape.
func (h *ReleasesAPI) fail(c *gin.Context, err error) {
	var ve *models.ValidationError
	var stale *models.StaleRevisionError
	switch {
	case errors.As(err, &ve):
		apiError(c, http.StatusUnprocessableEntity, "validation_failed", "some fields are not valid", ve.Fields)
	case errors.Is(err, models.ErrEmbargoPassed):
		apiError(c, http.StatusConflict, "embargo_passed", "the embargo passed while this release was in review: approve again with \"publish_now\": true to publish it now", nil)
	case errors.As(err, &stale):
		apiError(c, http.StatusConflict, "revision_conflict", stale.Error(), map[string]string{"revision": fmt.Sprintf("current revision is %d", stale.Current)})
	case errors.Is(err, models.ErrForbidden):
		apiError(c, http.StatusForbidden, "forbidden", reason(err), nil)
	case errors.Is(err, models.ErrConflict):
		apiError(c, http.StatusConflict, "conflict", reason(err), nil)
	default:
		_ = c.Error(err)
	}
}

func (h *ReleasesAPI) create(c *gin.Context) {
	in, _, ok := decodeRelease(c)
	if !ok {
		return
	}
	if in.Kind == "" { // campaigners write alerts, everyone else press releases
		in.Kind = models.KindPressRelease
		if currentUser(c).Role == models.RoleCampaigner {
			in.Kind = models.KindActionAlert
		}
	}
	d, err := models.CreateDocument(c.Request.Context(), h.s.db.Gorm, currentUser(c), in, h.s.clock.Now())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.respond(c, http.StatusCreated, d.ID)
}

func (h *ReleasesAPI) get(c *gin.Context) { h.respond(c, http.StatusOK, c.Param("id")) }

func (h *ReleasesAPI) patch(c *gin.Context) {
	in, _, ok := decodeRelease(c)
	if !ok {
		return
	}
	if in.UpdateOf != nil {
		apiError(c, http.StatusUnprocessableEntity, "validation_failed", "some fields are not valid", map[string]string{"update_of": "can only be set when the update is created"})
		return
	}
	d, err := models.UpdateDocument(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), in, h.s.clock.Now())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.respond(c, http.StatusOK, d.ID)
}

func (h *ReleasesAPI) list(c *gin.Context) {
	limit, after, ok := pageParams(c)
	if !ok {
		return
	}
	f := models.DocumentFilter{Status: models.Status(c.Query("status")), Kind: models.Kind(c.Query("kind")), Query: c.Query("q"),
		Index: c.Query("index"), CampaignID: c.Query("campaign_id"), AfterID: after, Limit: limit}
	items, err := models.Documents(c.Request.Context(), h.s.db.Gorm, f)
	if err != nil {
		_ = c.Error(err)
		return
	}
	page := listPage[releaseSummaryJSON]{Items: []releaseSummaryJSON{}}
	for _, it := range items {
		page.Items = append(page.Items, releaseSummaryJSON{ID: it.ID, Kind: it.Kind, Status: it.Status, Headline: it.Headline, IndexNumber: it.IndexNumber,
			Slug: it.Slug, Language: it.Language, Revision: it.CurrentRevision, EmbargoAt: utcPtr(it.EmbargoAt), PublishedAt: utcPtr(it.PublishedAt), UpdatedAt: it.UpdatedAt.UTC()})
	}
	if len(items) == limit {
		page.NextCursor = nextCursor(items[len(items)-1].ID)
	}
	c.JSON(http.StatusOK, page)
}

type releaseSummaryJSON struct {
	ID          string        `json:"id"`
	Kind        models.Kind   `json:"kind"`
	Status      models.Status `json:"status"`
	Headline    string        `json:"headline"`
	IndexNumber *string       `json:"index_number"`
	Slug        *string       `json:"slug"`
	Language    string        `json:"language"`
	Revision    int           `json:"revision"`
	EmbargoAt   *time.Time    `json:"embargo_at"`
	PublishedAt *time.Time    `json:"published_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
}

type revisionJSON struct {
	Number      int       `json:"number"`
	ContentHash string    `json:"content_hash"`
	Headline    string    `json:"headline"`
	Editor      string    `json:"editor"`
	CreatedAt   time.Time `json:"created_at"`
}

func (h *ReleasesAPI) revisions(c *gin.Context) {
	ctx := c.Request.Context()
	if _, err := models.DocumentByID(ctx, h.s.db.Gorm, c.Param("id")); err != nil {
		_ = c.Error(err)
		return
	}
	revs, err := models.Revisions(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	out := listPage[revisionJSON]{Items: []revisionJSON{}}
	for _, r := range revs {
		rj := revisionJSON{Number: r.Number, ContentHash: r.ContentHash, Headline: r.Headline, CreatedAt: r.CreatedAt.UTC()}
		if r.Editor != nil {
			rj.Editor = r.Editor.Name
		}
		out.Items = append(out.Items, rj)
	}
	c.JSON(http.StatusOK, out)
}

type diffFieldJSON struct {
	Field   string          `json:"field"`
	Changed bool            `json:"changed"`
	Parts   []richtext.Part `json:"parts"`
}

func (h *ReleasesAPI) diff(c *gin.Context) {
	ctx := c.Request.Context()
	from, errF := strconv.Atoi(c.Query("from"))
	to, errT := strconv.Atoi(c.Query("to"))
	if errF != nil || errT != nil {
		apiError(c, http.StatusBadRequest, "validation_failed", "from and to must be revision numbers", map[string]string{"from": "required", "to": "required"})
		return
	}
	a, err := models.RevisionByNumber(ctx, h.s.db.Gorm, c.Param("id"), from)
	if err != nil {
		_ = c.Error(err)
		return
	}
	b, err := models.RevisionByNumber(ctx, h.s.db.Gorm, c.Param("id"), to)
	if err != nil {
		_ = c.Error(err)
		return
	}
	var out []diffFieldJSON
	for _, f := range revisionDiff(a, b) {
		out = append(out, diffFieldJSON{Field: f.Label, Changed: richtext.Changed(f.Parts), Parts: f.Parts})
	}
	c.JSON(http.StatusOK, gin.H{"from": from, "to": to, "fields": out})
}

type commentBody struct {
	Comment string `json:"comment"`
	Notice  string `json:"notice"`
	Rapid   bool   `json:"rapid"`
	// PublishNow answers yes to "the embargo passed in review: publish now?".
	PublishNow bool `json:"publish_now"`
}

func bindOptional(c *gin.Context) (commentBody, bool) {
	var b commentBody
	if c.Request.ContentLength == 0 {
		return b, true
	}
	if err := json.NewDecoder(io.LimitReader(c.Request.Body, maxBody)).Decode(&b); err != nil && !errors.Is(err, io.EOF) {
		apiError(c, http.StatusBadRequest, "bad_json", "the body is not a JSON object: "+err.Error(), nil)
		return b, false
	}
	return b, true
}

func (h *ReleasesAPI) submit(c *gin.Context) {
	b, ok := bindOptional(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	id := c.Param("id")
	err := models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		opened, err := models.SubmitDocument(ctx, tx, currentUser(c), id, b.Rapid || c.Query("rapid") == "true", h.s.clock.Now())
		if err != nil {
			return err
		}
		return h.s.notifyApprovers(ctx, tx, id, opened.Steps)
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	h.respond(c, http.StatusOK, id)
}

func (h *ReleasesAPI) approve(c *gin.Context) {
	b, ok := bindOptional(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	id := c.Param("id")
	err := models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		var opts []models.ApproveOption
		if b.PublishNow {
			opts = append(opts, models.PublishNowIfEmbargoPassed)
		}
		res, err := models.ApproveDocument(ctx, tx, currentUser(c), id, b.Comment, h.s.clock.Now(), opts...)
		if err != nil {
			return err
		}
		return h.s.notifyApprovers(ctx, tx, id, res.Opened)
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	h.respond(c, http.StatusOK, id)
}

func (h *ReleasesAPI) requestChanges(c *gin.Context) {
	b, ok := bindOptional(c)
	if !ok {
		return
	}
	if _, err := models.RequestChanges(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), b.Comment, h.s.clock.Now()); err != nil {
		h.fail(c, err)
		return
	}
	h.respond(c, http.StatusOK, c.Param("id"))
}

func (h *ReleasesAPI) withdraw(c *gin.Context) {
	b, ok := bindOptional(c)
	if !ok {
		return
	}
	if _, err := models.WithdrawDocument(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), b.Notice, h.s.clock.Now()); err != nil {
		h.fail(c, err)
		return
	}
	h.respond(c, http.StatusOK, c.Param("id"))
}
