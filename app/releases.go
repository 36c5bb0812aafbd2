package app

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
	"pressroom/models/richtext"
)

// ReleasesHandler is the press office's and campaigners' editor, the release
// page with its workflow actions, history and diffs, and the approvers' queue.
type ReleasesHandler struct {
	s *Server
}

// editors may draft and edit documents (the model narrows by kind).
var editors = Roles(models.RolePressOfficer, models.RoleCampaigner)

// reviewers may approve, request changes and comment (the model checks groups).
var reviewers = Roles(models.RoleApprover, models.RolePressOfficer, models.RoleCampaigner)

// Register adds the release routes.
func (h *ReleasesHandler) Register(r Routes) {
	r.GET("/releases", Staff, h.list)
	r.GET("/releases/new", editors, h.newForm)
	r.POST("/releases", editors, h.create)
	r.POST("/releases/preview", editors, h.preview)
	r.GET("/releases/:id", Staff, h.show)
	r.GET("/releases/:id/edit", editors, h.editForm)
	r.POST("/releases/:id", editors, h.update)
	r.POST("/releases/:id/submit", editors, h.submit)
	r.POST("/releases/:id/approve", reviewers, h.approve)
	r.POST("/releases/:id/request-changes", reviewers, h.requestChanges)
	r.POST("/releases/:id/withdraw", editors, h.withdraw)
	r.POST("/releases/:id/comments", reviewers, h.comment)
	r.GET("/releases/:id/history", Staff, h.history)
	r.GET("/releases/:id/diff", Staff, h.diff)
	r.GET("/review", Staff, h.queue)
}

type releaseListPage struct {
	Items    []models.DocumentSummary
	Filter   models.DocumentFilter
	Statuses []models.Status
	Next     string
	Searched bool // full-text results in Hits instead of Items
	Hits     []models.SearchHit
	Total    int
}

func (h *ReleasesHandler) list(c *gin.Context) {
	f := models.DocumentFilter{Status: models.Status(c.Query("status")), Kind: models.Kind(c.Query("kind")), Query: c.Query("q"), AfterID: c.Query("after"), Limit: 50}
	if f.Query != "" {
		h.searchList(c, f)
		return
	}
	items, err := models.Documents(c.Request.Context(), h.s.db.Gorm, f)
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := releaseListPage{Items: items, Filter: f, Statuses: models.Statuses}
	if len(items) == f.Limit {
		q := c.Request.URL.Query()
		q.Set("after", items[len(items)-1].ID)
		p.Next = q.Encode()
	}
	h.s.render(c, http.StatusOK, "admin/releases", h.s.page(c, "Releases", "releases", p))
}

// searchList answers a staff search with full-text results over every
// document, drafts included, in the words of their current revisions.
func (h *ReleasesHandler) searchList(c *gin.Context, f models.DocumentFilter) {
	hits, total, err := models.SearchStaff(c.Request.Context(), h.s.db.Gorm, f.Query, models.SearchOptions{Status: f.Status, Limit: 50, Now: h.s.clock.Now()})
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := releaseListPage{Filter: f, Statuses: models.Statuses, Hits: hits, Total: total, Searched: true}
	h.s.render(c, http.StatusOK, "admin/releases", h.s.page(c, "Releases", "releases", p))
}

type editorPage struct {
	Form       releaseForm
	Series     []models.IndexSeries
	Workflows  []models.Workflow
	Campaigns  []models.Campaign
	Zones      []string
	Preview    template.HTML
	Stale      *models.StaleRevisionError
	StaleDiff  []richtext.Part // current text → the user's text
	Document   *models.Document
	KindLabel  string
	Correction bool
	// Targets are the directory's officials an action alert may name.
	Targets []models.Target
	// Media is what the library offers as lead image and attachments.
	Media mediaPicker
}

func (h *ReleasesHandler) renderEditor(c *gin.Context, status int, f releaseForm, doc *models.Document, errs map[string]string, stale *models.StaleRevisionError) {
	ctx := c.Request.Context()
	db := h.s.db.Gorm
	series, err := models.AllSeries(ctx, db)
	if err != nil {
		_ = c.Error(err)
		return
	}
	wfs, err := models.Workflows(ctx, db)
	if err != nil {
		_ = c.Error(err)
		return
	}
	camps, err := models.Campaigns(ctx, db)
	if err != nil {
		_ = c.Error(err)
		return
	}
	v := h.s.page(c, "", "releases", nil)
	zones := slices.Clone(embargoZones)
	for _, z := range []string{h.s.cfg.DefaultTimezone.String(), v.Loc.String()} {
		if !slices.Contains(zones, z) {
			zones = append([]string{z}, zones...)
		}
	}
	if f.EmbargoTZ == "" {
		f.EmbargoTZ = v.Loc.String()
	}
	p := editorPage{Form: f, Series: series, Workflows: wfs, Campaigns: camps, Zones: zones, Preview: h.s.markdown.RenderWith(f.Body, h.s.staffImages(ctx, f.Body)),
		Stale: stale, Document: doc, KindLabel: models.Kind(f.Kind).Label(), Correction: f.Published}
	if p.Media, err = h.s.mediaPicker(ctx, &f); err != nil {
		_ = c.Error(err)
		return
	}
	if f.Kind == string(models.KindActionAlert) {
		if p.Targets, err = models.Targets(ctx, db, models.TargetFilter{Limit: 500}); err != nil {
			_ = c.Error(err)
			return
		}
		if f.AppealTZ == "" {
			p.Form.AppealTZ = v.Loc.String()
		}
	}
	if stale != nil && doc != nil {
		p.StaleDiff = richtext.WordDiff(doc.Revision.Body, f.Body)
	}
	// "New press release", not "New Press release": the label starts a sentence
	// elsewhere, here it is mid-sentence.
	v.Title = "New " + strings.ToLower(p.KindLabel[:1]) + p.KindLabel[1:]
	if doc != nil {
		v.Title = "Edit: " + doc.Revision.Headline
	}
	v.Data, v.Errors = p, errs
	h.s.render(c, status, "admin/release_edit", v)
}

func (h *ReleasesHandler) newForm(c *gin.Context) {
	kind := models.Kind(c.DefaultQuery("kind", string(models.KindPressRelease)))
	u := currentUser(c)
	if !kind.Valid() {
		kind = models.KindPressRelease
	}
	if !models.CanEdit(u, kind) {
		if models.CanEdit(u, models.KindActionAlert) {
			kind = models.KindActionAlert
		}
	}
	f := releaseForm{Kind: string(kind), Language: "en", OriginalID: c.Query("translation_of")}
	if f.OriginalID != "" {
		if orig, err := models.DocumentByID(c.Request.Context(), h.s.db.Gorm, f.OriginalID); err == nil {
			if !models.CanEdit(u, orig.Kind) { // a translation is a document of the original's kind
				_ = c.Error(models.ErrWrongKind)
				return
			}
			f = formFromDocument(orig, h.s.cfg.DefaultTimezone)
			f.ID, f.OriginalID, f.Language, f.BaseRevision, f.Published, f.CorrectionNote = "", orig.ID, "", 0, false, ""
		}
	}
	if up := c.Query("update_of"); up != "" && f.OriginalID == "" {
		// A Further Information update starts from the original's targets and
		// letter; its text is new.
		if orig, err := models.DocumentByID(c.Request.Context(), h.s.db.Gorm, up); err == nil && orig.Kind == models.KindActionAlert && models.CanEdit(u, orig.Kind) {
			of := formFromDocument(orig, h.s.cfg.DefaultTimezone)
			f = releaseForm{Kind: string(models.KindActionAlert), Language: orig.Language, UpdateOf: orig.ID, TargetIDs: of.TargetIDs, AppealTZ: of.AppealTZ,
				LetterSubject: of.LetterSubject, LetterBody: of.LetterBody, Headline: "Further information: " + orig.Revision.Headline}
		}
	}
	h.renderEditor(c, http.StatusOK, f, nil, nil, nil)
}

// validationFields extracts per-field messages from a models error, or nil.
func validationFields(err error) map[string]string {
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return ve.Fields
	}
	return nil
}

func (h *ReleasesHandler) create(c *gin.Context) {
	ctx := c.Request.Context()
	f := bindReleaseForm(c)
	in, errs := f.input(h.s.cfg.DefaultTimezone)
	if errs != nil {
		h.renderEditor(c, http.StatusUnprocessableEntity, f, nil, withContentErrors(errs, f), nil)
		return
	}
	doc, err := models.CreateDocument(ctx, h.s.db.Gorm, currentUser(c), in, h.s.clock.Now())
	if fields := validationFields(err); fields != nil {
		h.renderEditor(c, http.StatusUnprocessableEntity, f, nil, fields, nil)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	if c.PostForm("then") == "submit" {
		h.doSubmit(c, doc.ID, c.PostForm("rapid") == "on")
		return
	}
	h.s.setFlash(c, "success", "Draft saved (revision 1).")
	redirect(c, "/admin/releases/"+doc.ID)
}

// withContentErrors adds the content's own problems to form-level ones, so one
// round trip shows every message.
func withContentErrors(errs map[string]string, f releaseForm) map[string]string {
	c := models.Content{Headline: f.Headline, Body: f.Body, PressContacts: f.Contacts}
	for k, v := range validationFields(c.Validate()) {
		errs[k] = v
	}
	return errs
}

func (h *ReleasesHandler) load(c *gin.Context) *models.Document {
	d, err := models.DocumentByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return nil
	}
	return d
}

func (h *ReleasesHandler) editForm(c *gin.Context) {
	d := h.load(c)
	if d == nil {
		return
	}
	if !models.CanEdit(currentUser(c), d.Kind) {
		_ = c.Error(models.ErrWrongKind)
		return
	}
	if d.Status == models.StatusWithdrawn {
		h.s.setFlash(c, "error", "A withdrawn release cannot be edited.")
		redirect(c, "/admin/releases/"+d.ID)
		return
	}
	h.renderEditor(c, http.StatusOK, formFromDocument(d, h.s.cfg.DefaultTimezone), d, nil, nil)
}

func (h *ReleasesHandler) update(c *gin.Context) {
	ctx := c.Request.Context()
	d := h.load(c)
	if d == nil {
		return
	}
	f := bindReleaseForm(c)
	f.ID, f.Kind, f.Published = d.ID, string(d.Kind), d.Status == models.StatusPublished
	in, errs := f.input(h.s.cfg.DefaultTimezone)
	if errs != nil {
		h.renderEditor(c, http.StatusUnprocessableEntity, f, d, withContentErrors(errs, f), nil)
		return
	}
	updated, err := models.UpdateDocument(ctx, h.s.db.Gorm, currentUser(c), d.ID, in, h.s.clock.Now())
	var stale *models.StaleRevisionError
	switch {
	case errors.As(err, &stale):
		// Keep every word the user typed; show what changed under them and let
		// them save over it deliberately.
		f.BaseRevision = stale.Current
		h.renderEditor(c, http.StatusConflict, f, d, map[string]string{"form": stale.Error() + ". Your text is below, unchanged: compare, then save again to replace their version."}, stale)
		return
	case validationFields(err) != nil:
		h.renderEditor(c, http.StatusUnprocessableEntity, f, d, validationFields(err), nil)
		return
	case err != nil:
		_ = c.Error(err)
		return
	}
	msg := "Saved."
	if updated.CurrentRevision != d.CurrentRevision {
		msg = "Saved as revision " + strconv.Itoa(updated.CurrentRevision) + "."
		if d.Status == models.StatusApproved || d.Status == models.StatusScheduled {
			msg += " It was approved before: it is back in review, and approvers must sign off the new text."
		}
		if d.Status == models.StatusInReview {
			msg += " Earlier approvals were for the previous text and no longer count."
		}
		if updated.CorrectionPending {
			msg += " The correction goes public once it is approved."
		}
	}
	if c.PostForm("then") == "submit" && (updated.Status == models.StatusDraft || updated.Status == models.StatusChangesRequested) {
		h.doSubmit(c, d.ID, c.PostForm("rapid") == "on")
		return
	}
	h.s.setFlash(c, "success", msg)
	redirect(c, "/admin/releases/"+d.ID)
}

// preview renders the editor's Markdown exactly as the newsroom and the email
// will show it (htmx fragment).
func (h *ReleasesHandler) preview(c *gin.Context) {
	body := c.PostForm("body")
	c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(h.s.markdown.RenderWith(body, h.s.staffImages(c.Request.Context(), body))))
}

type releasePage struct {
	Doc          *models.Document
	Rev          *models.Revision
	Body         template.HTML
	Review       *models.Review
	Comments     []models.Comment
	Translations []models.Document
	Embargo      string
	PublicURL    string
	CanEdit      bool
	CanComment   bool // models.CanComment: the kind's editors and approvers
	CanSubmit    bool
	CanWithdraw  bool
	ApproveStep  *models.StepState
	CanReview    bool
	StandingBy   *models.StepState // the step u is a backup for, not yet escalated
	IsAuthor     bool
	Barred       string // why the user may not approve, when they wrote part of the text
	Previews     []models.PreviewLink
	// Package is the rapid-response box of an approved press release.
	Package *releasePackageBox
	// Analytics are an action alert's letters, linked petitions' signatures
	// and sends.
	Analytics *analyticsView
	// Action is the Urgent Action part of an action alert, nil otherwise.
	Action *actionAdmin
}

// releasePackageBox offers the one-click "Launch campaign" on an approved
// press release, or links to the package once launched.
type releasePackageBox struct {
	Launched  bool
	CanLaunch bool
	Demand    string
}

// actionAdmin is what the action's admin page shows: its targets (a bounced
// one marked), the deadline, the suggested letter, its updates and the
// letters' counts per target and per country.
type actionAdmin struct {
	Content   *models.ActionContent
	Targets   []models.Target
	Deadline  string
	Counts    *models.LetterCounts
	Countries []countryCount
	Updates   []models.ActionUpdate
	Original  *models.Document
	PublicURL string
}

func (h *ReleasesHandler) actionOf(c *gin.Context, d *models.Document) (*actionAdmin, error) {
	ctx := c.Request.Context()
	db := h.s.db.Gorm
	a := d.Revision.Content().Action
	if a == nil {
		a = &models.ActionContent{}
	}
	out := &actionAdmin{Content: a}
	var err error
	if out.Targets, err = models.TargetsByID(ctx, db, a.TargetIDs); err != nil {
		return nil, err
	}
	if a.AppealDeadline != nil {
		out.Deadline = a.AppealDeadline.In(a.Location(h.s.cfg.DefaultTimezone)).Format("15:04 MST, 2 January 2006")
	}
	if out.Counts, err = models.LetterCountsOf(ctx, db, d.ID); err != nil {
		return nil, err
	}
	for code, n := range out.Counts.ByCountry {
		out.Countries = append(out.Countries, countryCount{Code: code, Name: models.CountryName(code), N: n})
	}
	sort.Slice(out.Countries, func(i, j int) bool {
		if out.Countries[i].N != out.Countries[j].N {
			return out.Countries[i].N > out.Countries[j].N
		}
		return out.Countries[i].Code < out.Countries[j].Code
	})
	root := d.ID
	if d.UpdateOf != nil {
		root = *d.UpdateOf
		if out.Original, err = models.DocumentByID(ctx, db, root); err != nil {
			return nil, err
		}
	}
	if out.Updates, err = models.ActionUpdates(ctx, db, root, false, h.s.clock.Now()); err != nil {
		return nil, err
	}
	if d.Slug != nil && d.Public(h.s.clock.Now()) {
		out.PublicURL = h.s.cfg.URL("/a/" + models.EscapeSlug(*d.Slug))
	}
	return out, nil
}

func (h *ReleasesHandler) show(c *gin.Context) {
	ctx := c.Request.Context()
	d := h.load(c)
	if d == nil {
		return
	}
	u := currentUser(c)
	review, err := models.ReviewOf(ctx, h.s.db.Gorm, d)
	if err != nil {
		_ = c.Error(err)
		return
	}
	comments, err := models.Comments(ctx, h.s.db.Gorm, d.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	trans, err := models.Translations(ctx, h.s.db.Gorm, d)
	if err != nil {
		_ = c.Error(err)
		return
	}
	previews, err := models.PreviewLinks(ctx, h.s.db.Gorm, d.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := releasePage{Doc: d, Rev: d.Revision, Body: h.s.markdown.RenderWith(d.Revision.Body, h.s.staffImages(ctx, d.Revision.Body)), Review: review, Comments: comments, Translations: trans, Previews: previews}
	if d.Revision.EmbargoAt != nil {
		p.Embargo = EmbargoLabel(*d.Revision.EmbargoAt, d.EmbargoLocation(h.s.cfg.DefaultTimezone))
	}
	if d.Slug != nil && d.Public(h.s.clock.Now()) {
		p.PublicURL = h.s.cfg.URL(releasePath(*d.Slug))
	}
	can := models.CanEdit(u, d.Kind)
	p.Barred = review.Barred(u)
	p.IsAuthor = p.Barred != ""
	p.CanEdit = can && d.Status != models.StatusWithdrawn
	p.CanComment = models.CanComment(u, d.Kind)
	p.CanSubmit = can && (d.Status == models.StatusDraft || d.Status == models.StatusChangesRequested)
	p.CanWithdraw = can && d.Status == models.StatusPublished
	if !p.IsAuthor {
		p.ApproveStep = review.OpenStepFor(u, d.Revision.ContentHash)
		p.CanReview = p.ApproveStep != nil
		if !p.CanReview {
			p.StandingBy = review.StandingBy(u)
		}
	}
	if p.Package, err = h.packageBox(c, d); err != nil {
		_ = c.Error(err)
		return
	}
	if d.Kind == models.KindActionAlert {
		if p.Action, err = h.actionOf(c, d); err != nil {
			_ = c.Error(err)
			return
		}
		a, err := models.ActionAnalytics(ctx, h.s.db.Gorm, d)
		if err != nil {
			_ = c.Error(err)
			return
		}
		v := newAnalyticsView(a, "/admin/releases/"+d.ID+"/analytics.csv", u.Location(h.s.cfg.DefaultTimezone))
		p.Analytics = &v
	}
	h.s.render(c, http.StatusOK, "admin/release", h.s.page(c, d.Revision.Headline, "releases", p))
}

// packageBox is the release page's rapid-response box: for an approved
// press release (even under embargo), the Launch campaign button or a link
// to the package launched from it.
func (h *ReleasesHandler) packageBox(c *gin.Context, d *models.Document) (*releasePackageBox, error) {
	if d.Kind != models.KindPressRelease {
		return nil, nil
	}
	_, parts, err := models.PackageOf(c.Request.Context(), h.s.db.Gorm, d.ID, h.s.clock.Now())
	if err != nil {
		return nil, err
	}
	launched := len(parts) > 1
	approved := d.Status == models.StatusApproved || d.Status == models.StatusScheduled || d.Status == models.StatusPublished
	can := approved && models.CanLaunchPackage(currentUser(c))
	if !launched && !can {
		return nil, nil
	}
	return &releasePackageBox{Launched: launched, CanLaunch: can, Demand: DefaultDemand(d.Revision.Standfirst, d.Revision.Headline)}, nil
}

// doSubmit submits and enqueues the approval requests in one transaction.
func (h *ReleasesHandler) doSubmit(c *gin.Context, id string, rapid bool) {
	ctx := c.Request.Context()
	var opened *models.Opened
	err := models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		var err error
		if opened, err = models.SubmitDocument(ctx, tx, currentUser(c), id, rapid, h.s.clock.Now()); err != nil {
			return err
		}
		return h.s.notifyApprovers(ctx, tx, id, opened.Steps)
	})
	if fields := validationFields(err); fields != nil {
		h.s.setFlash(c, "error", "Not submitted. "+sentences(fields))
		redirect(c, "/admin/releases/"+id)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	msg := "Submitted for approval."
	if rapid {
		msg = "Submitted in rapid-response mode: every approval step is reviewing it now."
	}
	h.s.setFlash(c, "success", msg)
	redirect(c, "/admin/releases/"+id)
}

// firstMessage is one field's problem, as a sentence, for a flash: the field
// first in name order, so the same input always gives the same message.
func firstMessage(fields map[string]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		return models.FieldMessage(k, fields[k])
	}
	return ""
}

func (h *ReleasesHandler) submit(c *gin.Context) {
	h.doSubmit(c, c.Param("id"), c.PostForm("rapid") == "on")
}

func (h *ReleasesHandler) approve(c *gin.Context) {
	ctx := c.Request.Context()
	id := c.Param("id")
	var res *models.ApproveResult
	var opts []models.ApproveOption
	if c.PostForm("publish_now") == "yes" {
		opts = append(opts, models.PublishNowIfEmbargoPassed)
	}
	// The forms name the revision the approver read (the queue shows its text
	// inline): a text changed since is not approved unread.
	read, _ := strconv.Atoi(c.PostForm("revision"))
	err := models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		if read != 0 {
			d, err := models.DocumentByID(ctx, tx, id)
			if err != nil {
				return err
			}
			if d.CurrentRevision != read {
				return &revisionChangedError{read: read, current: d.CurrentRevision}
			}
		}
		var err error
		if res, err = models.ApproveDocument(ctx, tx, currentUser(c), id, c.PostForm("comment"), h.s.clock.Now(), opts...); err != nil {
			return err
		}
		return h.s.notifyApprovers(ctx, tx, id, res.Opened)
	})
	if err != nil {
		if errors.Is(err, models.ErrEmbargoPassed) {
			h.confirmPublishNow(c, id)
			return
		}
		var rc *revisionChangedError
		if errors.As(err, &rc) {
			h.s.setFlash(c, "error", rc.Error())
			redirect(c, "/admin/releases/"+id)
			return
		}
		var ve *models.ValidationError
		if errors.As(err, &ve) {
			h.s.setFlash(c, "error", "Not approved. "+sentences(ve.Fields))
			redirect(c, "/admin/releases/"+id)
			return
		}
		if errors.Is(err, models.ErrForbidden) || errors.Is(err, models.ErrConflict) {
			h.s.setFlash(c, "error", "Not approved: "+reason(err))
			redirect(c, "/admin/releases/"+id)
			return
		}
		_ = c.Error(err)
		return
	}
	msg := "Approved."
	if res.Final {
		msg = "Approved: the release is " + res.Document.Status.Label() + " as " + *res.Document.IndexNumber + "."
	}
	h.s.setFlash(c, "success", msg)
	if c.PostForm("from") == "queue" {
		redirect(c, "/admin/review")
		return
	}
	redirect(c, "/admin/releases/"+id)
}

// revisionChangedError: the text was edited after the approver read it.
type revisionChangedError struct{ read, current int }

func (e *revisionChangedError) Error() string {
	return fmt.Sprintf("Not approved. The text changed after you read revision %d. Read revision %d, then approve it.", e.read, e.current)
}

// confirmPublishNow asks the last approver of a release whose embargo passed
// during review whether to publish it now; nothing was recorded yet.
func (h *ReleasesHandler) confirmPublishNow(c *gin.Context, id string) {
	d, err := models.DocumentByID(c.Request.Context(), h.s.db.Gorm, id)
	if err != nil {
		_ = c.Error(err)
		return
	}
	v := h.s.page(c, "The embargo has passed", "review", nil)
	embargo := ""
	if d.Revision.EmbargoAt != nil {
		embargo = d.Revision.EmbargoAt.In(d.EmbargoLocation(v.Loc)).Format("15:04 MST on 2 January 2006")
	}
	v.Data = map[string]string{"ID": id, "Headline": d.Revision.Headline, "Embargo": embargo, "Comment": c.PostForm("comment"), "From": c.PostForm("from")}
	h.s.render(c, http.StatusConflict, "admin/approve_publish_now", v)
}

// sentences joins every field's problem, each as a sentence, for a flash.
func sentences(fields map[string]string) string {
	msgs := make([]string, 0, len(fields))
	for k, m := range fields {
		msgs = append(msgs, models.FieldMessage(k, m))
	}
	sort.Strings(msgs)
	return strings.Join(msgs, " ")
}

// reason is the last part of a wrapped domain error, for people to read.
func reason(err error) string {
	var te *models.TransitionError
	var se *models.StaleRevisionError
	var he *models.HeldError
	var re *models.RepointError
	var be *models.BarredError
	switch {
	case errors.As(err, &he):
		return he.Error()
	case errors.As(err, &re):
		return re.Error()
	case errors.As(err, &te):
		return te.Error()
	case errors.As(err, &se):
		return se.Error()
	case errors.As(err, &be):
		return be.Reason
	case errors.Is(err, models.ErrSelfApproval):
		return "nobody approves their own release"
	case errors.Is(err, models.ErrNotYourStep):
		return "no open step of this release needs an approval from your groups"
	case errors.Is(err, models.ErrAlreadyApproved):
		return "you already approved this revision"
	case errors.Is(err, models.ErrWrongKind):
		return "your role may not edit this kind of document"
	}
	return err.Error()
}

func (h *ReleasesHandler) requestChanges(c *gin.Context) {
	id := c.Param("id")
	_, err := models.RequestChanges(c.Request.Context(), h.s.db.Gorm, currentUser(c), id, c.PostForm("comment"), h.s.clock.Now())
	if fields := validationFields(err); fields != nil {
		h.s.setFlash(c, "error", "Say what needs to change: the comment is required.")
		redirect(c, "/admin/releases/"+id)
		return
	}
	if err != nil {
		if errors.Is(err, models.ErrForbidden) || errors.Is(err, models.ErrConflict) {
			h.s.setFlash(c, "error", "Not sent back: "+reason(err))
			redirect(c, "/admin/releases/"+id)
			return
		}
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", "Sent back to the author with your comment.")
	redirect(c, "/admin/releases/"+id)
}

func (h *ReleasesHandler) withdraw(c *gin.Context) {
	id := c.Param("id")
	_, err := models.WithdrawDocument(c.Request.Context(), h.s.db.Gorm, currentUser(c), id, c.PostForm("notice"), h.s.clock.Now())
	if fields := validationFields(err); fields != nil {
		h.s.setFlash(c, "error", "A withdrawal needs a public notice saying why.")
		redirect(c, "/admin/releases/"+id)
		return
	}
	if err != nil {
		if errors.Is(err, models.ErrForbidden) || errors.Is(err, models.ErrConflict) {
			h.s.setFlash(c, "error", "Not withdrawn: "+reason(err))
			redirect(c, "/admin/releases/"+id)
			return
		}
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", "Withdrawn. The newsroom now shows your notice in its place.")
	redirect(c, "/admin/releases/"+id)
}

func (h *ReleasesHandler) comment(c *gin.Context) {
	id := c.Param("id")
	if _, err := models.AddComment(c.Request.Context(), h.s.db.Gorm, currentUser(c), id, c.PostForm("comment"), h.s.clock.Now()); err != nil {
		if validationFields(err) != nil {
			h.s.setFlash(c, "error", "The comment is empty.")
			redirect(c, "/admin/releases/"+id+"#comments")
			return
		}
		_ = c.Error(err)
		return
	}
	redirect(c, "/admin/releases/"+id+"#comments")
}

type historyPage struct {
	Doc       *models.Document
	Revisions []models.Revision
}

func (h *ReleasesHandler) history(c *gin.Context) {
	d := h.load(c)
	if d == nil {
		return
	}
	revs, err := models.Revisions(c.Request.Context(), h.s.db.Gorm, d.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.render(c, http.StatusOK, "admin/release_history", h.s.page(c, "History: "+d.Revision.Headline, "releases", historyPage{Doc: d, Revisions: revs}))
}

type diffField struct {
	Label string
	Parts []richtext.Part
}

type diffPage struct {
	Doc      *models.Document
	From, To *models.Revision
	Fields   []diffField
}

// revisionDiff compares two revisions field by field, word by word.
func revisionDiff(a, b *models.Revision) []diffField {
	contacts := func(r *models.Revision) string {
		var s string
		for _, pc := range r.Contacts() {
			s += pc.Name + " " + pc.Role + " " + pc.Phone + " " + pc.Email + "\n"
		}
		return s
	}
	emb := func(r *models.Revision) string {
		if r.EmbargoAt == nil {
			return "none"
		}
		return r.EmbargoAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	type pair struct{ label, a, b string }
	pairs := []pair{
		{"Headline", a.Headline, b.Headline}, {"Standfirst", a.Standfirst, b.Standfirst}, {"Dateline", a.Dateline, b.Dateline},
		{"Body", a.Body, b.Body}, {"Notes to editors", a.NotesToEditors, b.NotesToEditors}, {"Press contacts", contacts(a), contacts(b)},
		{"Embargo", emb(a), emb(b)},
	}
	// An action alert's ask and letter are approved text too: an approver
	// re-reading a correction must see them change.
	ca, cb := a.Content().Action, b.Content().Action
	if ca != nil || cb != nil {
		var ea, eb models.ActionContent
		if ca != nil {
			ea = *ca
		}
		if cb != nil {
			eb = *cb
		}
		pairs = append(pairs, pair{"Call to action", ea.CallToAction, eb.CallToAction},
			pair{"Letter subject", ea.LetterSubject, eb.LetterSubject}, pair{"Suggested letter", ea.LetterBody, eb.LetterBody})
	}
	var out []diffField
	for _, p := range pairs {
		out = append(out, diffField{Label: p.label, Parts: richtext.WordDiff(p.a, p.b)})
	}
	return out
}

func (h *ReleasesHandler) diff(c *gin.Context) {
	ctx := c.Request.Context()
	d := h.load(c)
	if d == nil {
		return
	}
	from, _ := strconv.Atoi(c.DefaultQuery("from", strconv.Itoa(max(1, d.CurrentRevision-1))))
	to, _ := strconv.Atoi(c.DefaultQuery("to", strconv.Itoa(d.CurrentRevision)))
	a, err := models.RevisionByNumber(ctx, h.s.db.Gorm, d.ID, from)
	if err != nil {
		_ = c.Error(err)
		return
	}
	b, err := models.RevisionByNumber(ctx, h.s.db.Gorm, d.ID, to)
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.render(c, http.StatusOK, "admin/release_diff", h.s.page(c, "Changes: "+d.Revision.Headline, "releases", diffPage{Doc: d, From: a, To: b, Fields: revisionDiff(a, b)}))
}

// notifyApprovers enqueues the approval-request email for newly opened steps, in
// the transaction that opened them.
func (s *Server) notifyApprovers(ctx context.Context, tx *gorm.DB, docID string, steps []models.WorkflowStep) error {
	if len(steps) == 0 {
		return nil
	}
	ids := make([]string, len(steps))
	for i, st := range steps {
		ids[i] = st.ID
	}
	return jobs.EnqueueTx(ctx, s.jobs, tx, jobs.NotifyApproversArgs{DocumentID: docID, StepIDs: ids}, nil)
}
